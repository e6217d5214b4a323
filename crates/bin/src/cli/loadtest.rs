//! `chittyid loadtest`: arguments, a progress bar while it runs, the report, the exit status.

use chittyid_app::error_code::ErrorCode;
use std::process::ExitCode;
use std::time::Duration;

use chittyid::loadtest::{LoadTestConfig, Mode, Report, Thresholds};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ModeArg {
    Generate,
    Validate,
}

#[derive(Debug, Args)]
pub(crate) struct LoadTestArgs {
    /// A gateway's base URL (http://host:port); repeat it to spread the load over several, in
    /// turn.
    #[arg(long = "url", required = true)]
    urls: Vec<String>,
    /// The API key sent as the bearer token.
    #[arg(long, env = "CHITTYID_LOADTEST_KEY", hide_env_values = true)]
    key: String,
    /// How many requests in all.
    #[arg(long, default_value_t = 1_000)]
    requests: u64,
    /// How many in flight at once.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    #[arg(long, value_enum, default_value_t = ModeArg::Generate)]
    mode: ModeArg,
    /// In validate mode, also ask the authority (`?verify=true`).
    #[arg(long)]
    verify: bool,
    /// Each request's limit in milliseconds; one over it counts as a `timeout` error.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Fail (exit 1) when fewer requests than this percentage succeed.
    #[arg(long, default_value_t = 100.0)]
    min_success_percent: f64,
    /// Fail (exit 1) when the 95th percentile latency is over this many milliseconds.
    #[arg(long, default_value_t = 500)]
    max_p95_ms: u64,
    /// Print the report as one JSON object (with `passed` and `missed`).
    #[arg(long)]
    json: bool,
    /// Write the IDs the generates returned to this file, one per line.
    #[arg(long)]
    save_ids: Option<std::path::PathBuf>,
}

pub(crate) fn run(args: &LoadTestArgs) -> ExitCode {
    if !(0.0..=100.0).contains(&args.min_success_percent) {
        return super::trouble("--min-success-percent must be between 0 and 100");
    }
    let config = LoadTestConfig {
        urls: args.urls.clone(),
        key: args.key.clone(),
        requests: args.requests,
        concurrency: args.concurrency,
        mode: match args.mode {
            ModeArg::Generate => Mode::Generate,
            ModeArg::Validate => Mode::Validate,
        },
        verify: args.verify,
        timeout: Duration::from_millis(args.timeout_ms),
    };
    let thresholds = Thresholds {
        min_success_rate: args.min_success_percent / 100.0,
        max_p95: Duration::from_millis(args.max_p95_ms),
    };
    // Drawn on stderr, and only when it is a terminal: a report piped to a file stays clean.
    let bar = ProgressBar::with_draw_target(Some(args.requests), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} requests, {per_sec}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return super::trouble(format_args!("loadtest: starting the runtime: {err}")),
    };
    let ticker = bar.clone();
    let report = runtime.block_on(chittyid::loadtest::run(config, move |done| {
        ticker.set_position(done);
    }));
    bar.finish_and_clear();
    let (report, ids) = match report {
        Ok(done) => done,
        Err(err) => return super::trouble(format_args!("loadtest: {err:#}")),
    };
    if let Some(path) = &args.save_ids {
        let mut text = ids.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        if let Err(err) = std::fs::write(path, text) {
            return super::trouble(format_args!("loadtest: writing {}: {err}", path.display()));
        }
    }
    let missed = report.missed(thresholds);
    let hint = rate_limit_hint(&report);
    if args.json {
        let mut value = serde_json::to_value(&report).expect("a report serialises");
        value["passed"] = serde_json::json!(missed.is_empty());
        value["missed"] = serde_json::json!(missed);
        if let Some(hint) = &hint {
            value["hint"] = serde_json::json!(hint);
        }
        println!("{value}");
    } else {
        print!("{}", text(&report, args, &missed));
        if let Some(hint) = &hint {
            println!("hint        {hint}");
        }
    }
    if missed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Why requests were refused when a key's limit did it, and what to do: the gateway's default
/// of 100 IDs a minute per key stops the checklist's 1,000-request check at the 101st.
fn rate_limit_hint(report: &Report) -> Option<String> {
    let limited: u64 = [ErrorCode::RateLimited, ErrorCode::ValidationRateLimited]
        .iter()
        .filter_map(|code| report.errors.get(code.as_str()))
        .sum();
    (limited > 0).then(|| {
        format!(
            "{limited} requests were refused by the key's rate limit (the gateway allows 100 IDs a minute per key unless told otherwise): load-test with a key of its own rate, made on the gateway's store with `chittyid keys create --name loadtest --rate 0` (no limit), or raise the gateway's --rate-limit / --validation-limit"
        )
    })
}

fn text(report: &Report, args: &LoadTestArgs, missed: &[String]) -> String {
    let errors = if report.errors.is_empty() {
        "none".to_owned()
    } else {
        report
            .errors
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let statuses = report
        .statuses
        .iter()
        .map(|(status, count)| format!("{status} {count}"))
        .collect::<Vec<_>>()
        .join(", ");
    let verdict = if missed.is_empty() {
        format!(
            "passed (success >= {} %, p95 <= {} ms)",
            args.min_success_percent, args.max_p95_ms
        )
    } else {
        format!("FAILED: {}", missed.join("; "))
    };
    format!(
        "{} {} requests, {} at once, over {} URL(s)\n\
         succeeded   {} ({:.2} %)\n\
         errors      {errors}\n\
         statuses    {statuses}\n\
         latency     p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms\n\
         throughput  {:.1} requests/s ({:.2} s)\n\
         result      {verdict}\n",
        report.requests,
        match args.mode {
            ModeArg::Generate => "generate",
            ModeArg::Validate => "validate",
        },
        args.concurrency,
        args.urls.len(),
        report.successes,
        report.success_rate() * 100.0,
        report.p50_ms,
        report.p95_ms,
        report.p99_ms,
        report.requests_per_second,
        report.seconds,
    )
}
