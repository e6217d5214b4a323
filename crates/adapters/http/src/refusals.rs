//! Connection refusals and accept failures, logged as summaries: a client that opens
//! connections as fast as it can must not be able to write a log line per attempt (one address
//! once produced 129,651 lines in 30 s). The first refusal of a quiet spell is logged at once, so
//! that an operator sees trouble start; the rest are counted and logged as one line per
//! [`REFUSAL_SUMMARY_EVERY`], naming the addresses refused most.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// How often refusals are summarized while they happen.
pub const REFUSAL_SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// Distinct addresses counted per summary; refusals from more are counted in the total only,
/// so that many addresses cannot grow the counter without bound.
const MAX_ADDRESSES_COUNTED: usize = 64;

/// Addresses named in a summary line.
const ADDRESSES_NAMED: usize = 3;

/// What the server loop has refused since the last summary.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    refused: u64,
    by_address: HashMap<IpAddr, u64>,
    accept_failures: u64,
    last_accept_error: Option<String>,
    /// Whether the first refusal of this spell was logged on its own already.
    refusal_announced: bool,
    accept_failure_announced: bool,
}

impl RefusalLog {
    /// A connection from `peer` refused because a connection cap is reached.
    pub(crate) fn refused(&mut self, peer: IpAddr) {
        if !self.refusal_announced {
            self.refusal_announced = true;
            tracing::warn!(
                %peer,
                "connection refused: a connection cap is reached; further refusals are logged as a summary every {}s",
                REFUSAL_SUMMARY_EVERY.as_secs()
            );
            return;
        }
        self.refused += 1;
        let counted = self.by_address.len() < MAX_ADDRESSES_COUNTED;
        if let Some(count) = self.by_address.get_mut(&peer) {
            *count += 1;
        } else if counted {
            self.by_address.insert(peer, 1);
        }
    }

    /// `accept` failed (out of file descriptors and the like).
    pub(crate) fn accept_failed(&mut self, error: &std::io::Error) {
        if !self.accept_failure_announced {
            self.accept_failure_announced = true;
            tracing::warn!(
                error = %error,
                "accept failed; further failures are logged as a summary every {}s",
                REFUSAL_SUMMARY_EVERY.as_secs()
            );
            return;
        }
        self.accept_failures += 1;
        self.last_accept_error = Some(error.to_string());
    }

    /// Logs what was counted since the last summary, if anything, and starts a new spell: after
    /// a summary with nothing in it, the next refusal is announced on its own again.
    pub(crate) fn summarize(&mut self) {
        if self.refused > 0 {
            let mut addresses: Vec<(IpAddr, u64)> = self.by_address.drain().collect();
            addresses.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let most = addresses
                .iter()
                .take(ADDRESSES_NAMED)
                .map(|(address, count)| format!("{address} ({count})"))
                .collect::<Vec<_>>()
                .join(", ");
            tracing::warn!(
                refused = self.refused,
                addresses = addresses.len(),
                most_refused = %most,
                "connections refused since the last summary: a connection cap is reached"
            );
            self.refused = 0;
        } else {
            self.refusal_announced = false;
        }
        if self.accept_failures > 0 {
            tracing::warn!(
                failures = self.accept_failures,
                last_error = self.last_accept_error.take().unwrap_or_default(),
                "accept failed since the last summary"
            );
            self.accept_failures = 0;
        } else {
            self.accept_failure_announced = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_refusal_of_a_spell_is_logged_on_its_own() {
        let mut log = RefusalLog::default();
        let peer: IpAddr = "127.0.0.2".parse().expect("address");
        for _ in 0..1_000 {
            log.refused(peer);
        }
        assert_eq!(log.refused, 999);
        log.summarize();
        assert_eq!(log.refused, 0);
        assert!(
            log.refusal_announced,
            "the spell goes on until a quiet summary"
        );
        log.summarize();
        assert!(!log.refusal_announced, "a quiet interval ends the spell");
    }

    #[test]
    fn many_addresses_do_not_grow_the_counter_without_bound() {
        let mut log = RefusalLog::default();
        for n in 0..10_000u32 {
            log.refused(IpAddr::from(n.to_be_bytes()));
        }
        assert_eq!(log.by_address.len(), MAX_ADDRESSES_COUNTED);
        assert_eq!(log.refused, 9_999);
    }
}
