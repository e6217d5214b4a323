//! The process's open-file limit. A shell usually starts programs with a soft limit of 1,024
//! descriptors under a much higher hard limit; a server that keeps the soft one runs out of
//! descriptors long before its connection caps (every accept then fails, and the stores cannot
//! open files). Like Go's runtime and nginx's `worker_rlimit_nofile`, the servers raise the soft
//! limit to the hard one at start, and derive their connection caps from what they got.

/// The soft limit before and after [`raise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimit {
    pub before: u64,
    pub now: u64,
}

/// Raises the soft open-file limit to the hard limit. `None` where the platform has no such
/// limit or it could not be read.
pub fn raise() -> Option<FileLimit> {
    let (before, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).ok()?;
    let now = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(before);
    Some(FileLimit { before, now })
}

/// The soft open-file limit now, if there is one.
pub fn current() -> Option<u64> {
    rlimit::getrlimit(rlimit::Resource::NOFILE)
        .ok()
        .map(|(soft, _)| soft)
        .filter(|soft| *soft != rlimit::INFINITY)
}

/// `limits` within this process's open-file limit (see
/// [`chittyid_http::server::ServerLimits::within_file_limit`]), with the figures logged.
pub fn fit_to_file_limit(
    limits: chittyid_http::server::ServerLimits,
) -> chittyid_http::server::ServerLimits {
    let Some(open_files) = current() else {
        return limits;
    };
    let fitted = limits.within_file_limit(open_files);
    if fitted.max_connections < limits.max_connections {
        tracing::warn!(
            open_files,
            max_connections = fitted.max_connections,
            max_connections_per_client = fitted.max_connections_per_client,
            "connection caps lowered to fit the open-file limit; raise the hard limit (ulimit -Hn, LimitNOFILE=) to hold more"
        );
    } else {
        tracing::info!(
            open_files,
            max_connections = fitted.max_connections,
            max_connections_per_client = fitted.max_connections_per_client,
            "connection caps"
        );
    }
    fitted
}
