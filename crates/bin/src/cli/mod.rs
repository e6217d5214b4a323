//! One module per subcommand.

pub(crate) mod authority;
pub(crate) mod inspect;
pub(crate) mod serve;
pub(crate) mod validate;

use std::process::ExitCode;

/// Exit status for a usage or I/O error, as for argument errors caught by clap.
pub(crate) const EXIT_TROUBLE: u8 = 2;

pub(crate) fn trouble(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("chittyid: {message}");
    ExitCode::from(EXIT_TROUBLE)
}

/// Shows `input` as typed when it is plain, quoted and escaped when it holds white space or
/// control characters, so that a terminal never interprets what a caller sent.
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plain = !self.0.is_empty()
            && self
                .0
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && c != '"');
        if plain {
            f.write_str(self.0)
        } else {
            write!(f, "{:?}", self.0)
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}

/// Starts logging and a runtime, runs `serve` on it, and turns a failure into exit status 2
/// with `name:` before the message.
pub(crate) fn run_server<F>(name: &str, serve: F) -> ExitCode
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    chittyid::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return trouble(format_args!("{name}: starting the runtime: {err}")),
    };
    match runtime.block_on(serve) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => trouble(format_args!("{name}: {err:#}")),
    }
}
