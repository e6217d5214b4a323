//! One module per subcommand.

pub(crate) mod authority;
pub(crate) mod inspect;
pub(crate) mod keys;
pub(crate) mod loadtest;
pub(crate) mod log;
pub(crate) mod serve;
pub(crate) mod validate;

use std::process::ExitCode;

/// Exit status for a usage or I/O error, as for argument errors caught by clap.
pub(crate) const EXIT_TROUBLE: u8 = 2;

pub(crate) fn trouble(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("chittyid: {message}");
    ExitCode::from(EXIT_TROUBLE)
}

/// A `--listen` value: `PORT` (on 127.0.0.1), `HOST:PORT` with an IP address or a host name
/// (`localhost:8787`, resolved now; its first IPv4 address, else its first), or `[IPv6]:PORT`.
pub(crate) fn parse_listen(value: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
    let value = value.trim();
    if let Ok(port) = value.parse::<u16>() {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    if let Ok(address) = value.parse::<SocketAddr>() {
        return Ok(address);
    }
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(format!(
            "{value:?} is not PORT, HOST:PORT or [IPv6]:PORT (e.g. 8787, localhost:8787, 0.0.0.0:8787)"
        ));
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{value:?}: {port:?} is not a port number (0-65535)"))?;
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{value:?}: the host {host:?} does not resolve: {e}"))?
        // IPv4 first: `localhost` then binds where `http://127.0.0.1:PORT` reaches it.
        .min_by_key(SocketAddr::is_ipv6)
        .ok_or_else(|| format!("{value:?}: the host {host:?} resolves to no address"))
}

/// Reads a secret argument (a token, an API key, a URL that may hold a password) into a type
/// whose `Debug` never shows it.
pub(crate) fn secret(value: &str) -> Result<secrecy::SecretString, std::convert::Infallible> {
    Ok(secrecy::SecretString::from(value.to_owned()))
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

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum LogFormatArg {
    Text,
    Json,
}

/// How a server logs.
#[derive(Debug, clap::Args)]
pub(crate) struct LogArgs {
    /// Log lines as readable `text` or as `json` (one object per line, with the request's
    /// method, path and id). `RUST_LOG` filters them (default `info`; add
    /// `chittyid::access=info` for a line per answer).
    #[arg(long, env = "CHITTYID_LOG_FORMAT", value_enum, default_value_t = LogFormatArg::Text)]
    log_format: LogFormatArg,
}

/// Starts a runtime, logging and tracing on it, runs `serve`, sends the last spans, and turns a
/// failure into exit status 2 with `name:` before the message.
pub(crate) fn run_server<F>(name: &str, service: &'static str, log: &LogArgs, serve: F) -> ExitCode
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return trouble(format_args!("{name}: starting the runtime: {err}")),
    };
    let format = match log.log_format {
        LogFormatArg::Text => chittyid::telemetry::LogFormat::Text,
        LogFormatArg::Json => chittyid::telemetry::LogFormat::Json,
    };
    let telemetry = {
        let _entered = runtime.enter();
        match chittyid::telemetry::init(format, service) {
            Ok(telemetry) => telemetry,
            Err(err) => return trouble(format_args!("{name}: {err:#}")),
        }
    };
    match chittyid::file_limit::raise() {
        Some(limit) if limit.now > limit.before => tracing::info!(
            before = limit.before,
            now = limit.now,
            "raised the open-file limit to the hard limit"
        ),
        Some(limit) => tracing::info!(limit = limit.now, "open-file limit"),
        None => tracing::warn!("the open-file limit could not be read"),
    }
    let served = runtime.block_on(serve);
    // The exporter runs on the runtime: flush while it still does.
    runtime
        .block_on(async { tokio::task::spawn_blocking(move || telemetry.shutdown()).await })
        .ok();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => trouble(format_args!("{name}: {err:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_listen;

    #[test]
    fn listen_takes_a_port_a_host_name_or_an_address() {
        assert_eq!(
            parse_listen("8787"),
            Ok("127.0.0.1:8787".parse().expect("addr"))
        );
        assert_eq!(
            parse_listen("0.0.0.0:80"),
            Ok("0.0.0.0:80".parse().expect("addr"))
        );
        assert_eq!(
            parse_listen("[::1]:9"),
            Ok("[::1]:9".parse().expect("addr"))
        );
        let local = parse_listen("localhost:8787").expect("resolves");
        assert!(local.ip().is_loopback() && local.port() == 8787, "{local}");
        for bad in [
            "",
            "host",
            "localhost:99999",
            "localhost:http",
            "no.such.host.invalid:1",
        ] {
            let err = parse_listen(bad).expect_err(bad);
            assert!(err.contains(bad.trim()), "{err}");
        }
    }
}
