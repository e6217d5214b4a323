//! The status page (`GET /`) in a real browser: headless Chromium loads it from a running
//! gateway, runs its script, and the figures it shows are the gateway's own (`/api/id/status`);
//! a screenshot is taken. The page loads nothing from elsewhere (its policy says so).

use std::process::Command;

use serde_json::{Value, json};

use crate::gateway::helpers::spawn_app;

fn chromium(args: &[&str]) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(args)
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "chromium could not be run ({err}): install Debian's `chromium` package \
                 (apt-get install chromium), as scripts/test.sh does"
            )
        })
}

/// The text of the element with `id` in a serialised DOM.
fn shown<'d>(dom: &'d str, id: &str) -> &'d str {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page:\n{dom}"));
    let rest = &dom[at..];
    let start = rest.find('>').expect("a tag") + 1;
    let end = rest[start..].find('<').expect("a closing tag") + start;
    &rest[start..end]
}

fn percent(part: u64, all: u64) -> String {
    format!("{:.1} %", 100.0 * part as f64 / all as f64)
}

/// The p95 as the page writes it: interpolated in the bucket holding it, as Prometheus's
/// `histogram_quantile` does.
fn p95_shown(status: &Value) -> String {
    let count = status["generation"]["latencyCount"]
        .as_u64()
        .expect("count");
    let rank = count as f64 * 0.95;
    let (mut lower, mut below) = (0.0, 0.0);
    let mut p95 = None;
    for bucket in status["generation"]["latencyBuckets"]
        .as_array()
        .expect("buckets")
    {
        let le = bucket["le"].as_f64().expect("le");
        let cumulative = bucket["count"].as_f64().expect("count");
        if cumulative >= rank {
            let inside = cumulative - below;
            p95 = Some(if inside > 0.0 {
                lower + (le - lower) * (rank - below) / inside
            } else {
                le
            });
            break;
        }
        (lower, below) = (le, cumulative);
    }
    let p95 = p95.expect("a bucket holds it");
    let digits = if p95 < 0.001 {
        2
    } else if p95 < 0.01 {
        1
    } else {
        0
    };
    format!("{:.*} ms", digits, p95 * 1000.0)
}

#[tokio::test]
async fn the_status_page_shows_the_gateways_own_figures_in_chromium() {
    let app = spawn_app().await;
    let id = app.generate_id("PEO").await;
    for _ in 0..4 {
        app.generate_id("PLACE").await;
    }
    for _ in 0..3 {
        assert_eq!(app.validate(&id, "?verify=true").await.status, 200);
    }
    let page = app.client.get("/", None).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    let policy = page.headers["content-security-policy"]
        .to_str()
        .expect("text");
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let html = String::from_utf8(page.body.to_vec()).expect("UTF-8");
    // Nothing to fetch: no source, link, import or URL (the SVG namespace is a name, not one).
    let html = html.replace("\"http://www.w3.org/2000/svg\"", "");
    for fetches in ["http://", "https://", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(fetches), "the page refers to {fetches}");
    }

    let status = app.client.get("/api/id/status", None).await.json();
    let url = format!("http://{}/", app.client.address());
    let dir = tempfile::tempdir().expect("temp dir");
    let screenshot = dir.path().join("status.png");
    let (dom, shot) = tokio::task::spawn_blocking({
        let url = url.clone();
        let screenshot = screenshot.clone();
        move || {
            let dom = chromium(&["--virtual-time-budget=5000", "--dump-dom", &url]);
            let shot = chromium(&[
                "--virtual-time-budget=5000",
                "--window-size=1100,720",
                &format!("--screenshot={}", screenshot.display()),
                &url,
            ]);
            (dom, shot)
        }
    })
    .await
    .expect("joined");
    let dom = String::from_utf8(dom.stdout).expect("UTF-8");
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    if let Some(keep) = std::env::var_os("CHITTYID_KEEP_SCREENSHOT") {
        std::fs::copy(&screenshot, keep).expect("keep the screenshot");
    }

    let generation = &status["generation"];
    let (successes, failures) = (
        generation["successes"].as_u64().expect("n"),
        generation["failures"].as_u64().expect("n"),
    );
    let (hits, misses) = (
        status["cache"]["hits"].as_u64().expect("n"),
        status["cache"]["misses"].as_u64().expect("n"),
    );
    assert_eq!(
        (successes, failures, hits, misses),
        (5, 0, 2, 1),
        "{status}"
    );
    assert_eq!(shown(&dom, "connection"), status["connection"]);
    assert_eq!(shown(&dom, "breaker"), status["circuitBreaker"]);
    assert_eq!(shown(&dom, "generates"), (successes + failures).to_string());
    assert_eq!(shown(&dom, "hit-rate"), percent(hits, hits + misses));
    assert_eq!(
        shown(&dom, "error-rate"),
        percent(failures, successes + failures)
    );
    assert_eq!(shown(&dom, "p95"), p95_shown(&status));
    assert_eq!(shown(&dom, "version"), status["version"]);
    assert_eq!(status["status"], json!("ok"));
    assert!(!shown(&dom, "updated").contains("failed"), "{dom}");
    app.stop().await;
}
