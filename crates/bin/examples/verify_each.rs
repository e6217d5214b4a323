//! A load client for `scripts/bench-redis.sh`: asks `GET {base}/api/id/validate/{id}?verify=true`
//! once for each ID of a file, from `connections` concurrent keep-alive connections, and prints
//! requests per second, p50 and p99 (wrk cannot stop after a fixed list of requests).
//!
//! Usage: verify_each BASE_URL API_KEY IDS_FILE CONNECTIONS

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, key, file, connections] = args.as_slice() else {
        anyhow::bail!("usage: verify_each BASE_URL API_KEY IDS_FILE CONNECTIONS");
    };
    let connections: usize = connections.parse()?;
    let ids: Vec<String> = std::fs::read_to_string(file)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        let mine: Vec<String> = ids
            .iter()
            .skip(worker)
            .step_by(connections)
            .cloned()
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(mine.len());
            let mut failures = 0u64;
            for id in mine {
                let request =
                    http::Request::get(format!("{base}/api/id/validate/{id}?verify=true"))
                        .header("authorization", format!("Bearer {key}"))
                        .body(Empty::new())?;
                let sent = Instant::now();
                let response = client.request(request).await?;
                let ok = response.status().is_success();
                let _ = response.into_body().collect().await?;
                latencies.push(sent.elapsed());
                failures += u64::from(!ok);
            }
            anyhow::Ok((latencies, failures))
        }));
    }
    let (mut latencies, mut failures) = (Vec::<Duration>::new(), 0);
    for task in tasks {
        let (mine, failed) = task.await??;
        latencies.extend(mine);
        failures += failed;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
    };
    println!(
        "{:.0} | {:.2} | {:.2} | {failures}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(0.50),
        at(0.99)
    );
    Ok(())
}
