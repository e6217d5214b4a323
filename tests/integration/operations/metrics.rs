//! Both servers' `/metrics` after real traffic: `promtool check metrics` passes, names follow
//! the conventions (counters `_total`, durations histograms in seconds, no series twice, no
//! gauge that can print `inf`), the dashboard's series exist with the values the traffic made,
//! and OpenMetrics is served to a scraper that asks for it.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::authority::helpers::{TOKEN, settings as authority_settings, spawn_authority};
use crate::gateway::helpers::{API_KEY, remote, settings, spawn_app_with};

/// A gateway in front of a real authority, with the shared cache and rate limit on Redis
/// (`REDIS_URL`, a prefix of its own), after a generate, a verification (twice: once asked,
/// once from the cache), a refused key and an unknown path.
async fn scrapes_after_traffic() -> Scrapes {
    let authority_dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(authority_settings(authority_dir.path())).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}", authority.address());
    let mut gateway = remote(settings(&dir), url.clone(), TOKEN);
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "REDIS_URL is not set: this test needs a Redis server. Run `bash scripts/test.sh` \
             (it starts or installs one and sets REDIS_URL), or set REDIS_URL=redis://host:port"
        )
    });
    let mut redis = chittyid_redis::RedisSettings::new(redis_url);
    redis.prefix = format!("chittyid-metrics-test-{}", std::process::id());
    gateway.redis = Some(redis);
    gateway.gateway.rate_limit_per_minute = Some(1_000);
    let app = spawn_app_with(gateway, dir).await;
    let id = app.generate_id("PEO").await;
    for _ in 0..2 {
        assert_eq!(app.validate(&id, "?verify=true").await.status, 200);
    }
    let refused = app
        .client
        .post_json(
            "/api/id/generate",
            Some("wrong-key"),
            &json!({"entity": "PEO"}),
        )
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(app.client.get("/no/such/path", None).await.status, 404);
    let gateway = text(&app.client.get("/metrics", None).await);
    let authority_text = text(&authority.client.get("/v1/metrics", None).await);
    let openmetrics = app
        .client
        .send_with_headers(
            http::Method::GET,
            "/metrics",
            &[("accept", "application/openmetrics-text; version=1.0.0")],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(
        openmetrics.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let openmetrics = text(&openmetrics);
    app.stop().await;
    // A second gateway, a witness of the authority's mint log, verifies the same ID from it.
    let key = text(&authority.client.get("/v1/log/key", None).await);
    let witness_dir = tempfile::tempdir().expect("temp dir");
    let mut witnessing = remote(settings(&witness_dir), url, TOKEN);
    witnessing.authority_log_key = Some(key.trim().to_owned());
    let witness_app = spawn_app_with(witnessing, witness_dir).await;
    assert_eq!(witness_app.validate(&id, "?verify=true").await.status, 200);
    let witness = text(&witness_app.client.get("/metrics", None).await);
    witness_app.stop().await;
    authority.stop().await;
    Scrapes {
        gateway,
        authority: authority_text,
        openmetrics,
        witness,
    }
}

/// What `scrapes_after_traffic` scraped.
struct Scrapes {
    gateway: String,
    authority: String,
    openmetrics: String,
    /// A gateway verifying from the authority's mint log.
    witness: String,
}

fn text(answer: &crate::http_client::Answer) -> String {
    assert_eq!(answer.status, 200);
    String::from_utf8(answer.body.to_vec()).expect("UTF-8")
}

/// `promtool check metrics` on `text`; fails saying how to get promtool when it is missing.
fn promtool_check(text: &str, server: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = child.unwrap_or_else(|err| {
        panic!(
            "promtool could not be run ({err}): install Debian's `prometheus` package \
             (apt-get install prometheus), as scripts/test.sh does"
        )
    });
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(text.as_bytes())
        .expect("promtool reads");
    let output = child.wait_with_output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check metrics refused the {server}'s metrics:\n{}{}\n--- the metrics:\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Each family's name and type, from the `# TYPE` lines; fails on a family declared twice.
fn families(text: &str) -> HashMap<String, String> {
    let mut families = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("name and type");
            let earlier = families.insert(name.to_owned(), kind.to_owned());
            assert!(earlier.is_none(), "{name} is declared twice");
        }
    }
    families
}

/// The value of the sample written exactly as `series` (name and labels).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn both_servers_metrics_pass_promtool_and_follow_the_conventions() {
    let Scrapes {
        gateway,
        authority,
        openmetrics,
        witness,
    } = scrapes_after_traffic().await;
    promtool_check(&gateway, "gateway");
    promtool_check(&authority, "authority");
    promtool_check(&witness, "witnessing gateway");
    assert_eq!(
        value(&witness, "chittyid_authority_log_proofs_verified_total"),
        1.0
    );
    assert_eq!(value(&witness, "chittyid_authority_log_forks_total"), 0.0);
    for (server, text) in [
        ("gateway", &gateway),
        ("authority", &authority),
        ("witnessing gateway", &witness),
    ] {
        for (name, kind) in families(text) {
            assert!(name.starts_with("chittyid_"), "{server}: {name}");
            match kind.as_str() {
                "counter" => assert!(name.ends_with("_total"), "{server}: {name}"),
                "histogram" => assert!(name.ends_with("_seconds"), "{server}: {name}"),
                "gauge" => assert!(!name.ends_with("_total"), "{server}: {name}"),
                other => panic!("{server}: {name} is a {other}"),
            }
        }
        assert!(!text.to_lowercase().contains("inf\n"), "{server}: {text}");
        assert!(!text.contains(API_KEY) && !text.contains(TOKEN), "{server}");
    }
    for (series, expected) in [
        (
            "chittyid_generation_requests_total{outcome=\"success\"}",
            1.0,
        ),
        ("chittyid_generated_ids_total", 1.0),
        ("chittyid_generation_duration_seconds_count", 1.0),
        ("chittyid_cache_misses_total{level=\"local\"}", 1.0),
        ("chittyid_cache_hits_total{level=\"local\"}", 1.0),
        ("chittyid_cache_entries{level=\"local\"}", 1.0),
        ("chittyid_connection_state{state=\"CONNECTED\"}", 1.0),
        ("chittyid_connection_state{state=\"FAILED\"}", 0.0),
        ("chittyid_circuit_breaker_state{state=\"CLOSED\"}", 1.0),
        ("chittyid_circuit_breaker_state{state=\"OPEN\"}", 0.0),
        ("chittyid_ready", 1.0),
        ("chittyid_store_up{store=\"audit\"}", 1.0),
        ("chittyid_shared_store_up{store=\"cache\"}", 1.0),
        ("chittyid_shared_store_up{store=\"rate_limit\"}", 1.0),
        (
            "chittyid_http_requests_total{method=\"POST\",route=\"/api/id/generate\",status=\"401\"}",
            1.0,
        ),
        (
            "chittyid_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}",
            1.0,
        ),
    ] {
        assert_eq!(value(&gateway, series), expected, "{series}");
    }
    // Every event is committed before its answer: the generate and the two verifications.
    assert!(
        value(
            &gateway,
            "chittyid_audit_records_total{outcome=\"committed\"}"
        ) >= 3.0
    );
    assert_eq!(value(&authority, "chittyid_authority_mints_total"), 1.0);
    assert_eq!(
        value(&authority, "chittyid_store_up{store=\"ledger\"}"),
        1.0
    );
    assert_eq!(
        value(
            &authority,
            "chittyid_http_requests_total{method=\"POST\",route=\"/api/v1/mint\",status=\"200\"}"
        ),
        1.0
    );
    // The same registry in OpenMetrics: counters declared without the suffix, and an end.
    assert!(openmetrics.contains("# TYPE chittyid_generation_requests counter"));
    assert!(openmetrics.trim_end().ends_with("# EOF"));
}

/// Every sample name in a scrape (histograms give their `_bucket`, `_sum` and `_count`).
fn sample_names(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            line.split(['{', ' '])
                .next()
                .expect("a sample has a name")
                .to_owned()
        })
        .collect()
}

/// The `chittyid_…` names in a text of PromQL expressions.
fn names_in(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("chittyid_") {
        let name: String = rest[start..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[start + name.len()..];
        names.insert(name);
    }
    names
}

#[tokio::test]
async fn the_dashboard_and_the_alerts_name_only_series_the_servers_export() {
    let scrapes = scrapes_after_traffic().await;
    let exported: std::collections::BTreeSet<String> = sample_names(&scrapes.gateway)
        .union(&sample_names(&scrapes.authority))
        .chain(sample_names(&scrapes.witness).iter())
        .cloned()
        .collect();
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../../../deploy/grafana/chittyid.json"))
            .expect("the dashboard is JSON");
    let mut expressions = String::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            expressions.push_str(target["expr"].as_str().expect("an expression"));
            expressions.push('\n');
        }
    }
    let alerts = include_str!("../../../deploy/prometheus/alerts.yml");
    // The recording rules' inputs (their `expr`s; the names they record are new).
    let recorded: String = include_str!("../../../deploy/prometheus/v2_2_0_names.yml")
        .split("- record: ")
        .skip(1)
        .filter_map(|rule| rule.split_once("expr:").map(|(_, expr)| expr))
        .collect::<Vec<_>>()
        .join("\n");
    let own_names: Vec<&str> = include_str!("../../../deploy/prometheus/v2_2_0_names.yml")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- record: "))
        .collect();
    let recorded: String = recorded
        .lines()
        .filter(|line| !own_names.iter().any(|name| line.trim() == *name))
        .collect::<Vec<_>>()
        .join("\n");
    for (file, text) in [
        ("the dashboard", expressions.as_str()),
        ("alerts.yml", alerts),
    ] {
        let named = names_in(text);
        assert!(named.len() >= 10, "{file}: {named:?}");
        let missing: Vec<&String> = named.difference(&exported).collect();
        assert!(
            missing.is_empty(),
            "{file} names series the servers do not export: {missing:?}"
        );
    }
    let inputs = names_in(&recorded);
    let missing: Vec<&String> = inputs.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "v2_2_0_names.yml reads series the servers do not export: {missing:?}"
    );
    // The dashboard covers what the alerts watch.
    let unwatched: Vec<String> = names_in(alerts)
        .difference(&names_in(&expressions))
        .cloned()
        .collect();
    assert!(unwatched.is_empty(), "no panel shows {unwatched:?}");
}
