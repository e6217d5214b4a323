//! What validation may cost: each API key's validation budget, and suspicious inputs audited
//! as samples rather than one row each. Validation is local and cheap, but every reserved
//! pattern it sees is audited: without these, any key could fill the audit store's disk (four
//! connections sending batches of reserved strings once wrote 250 MB in 10 s).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chittyid_domain::ReservedPattern;

use super::{GatewayError, GatewayService, RATE_LIMIT_PERIOD};
use crate::authority::CallerHash;
use crate::clock::Clock;
use crate::gateway::ports::{AuditEvent, RateDecision, RateLimitStore};

/// The validation budget's key space beside the generate limit's: [`CallerHash::scoped`] for
/// `validate`, computed once.
static VALIDATE_SCOPE: std::sync::LazyLock<[u8; 32]> =
    std::sync::LazyLock::new(|| CallerHash::of_token("validate").0);

/// A suspicious pattern from one key is audited at most once per this window; repeats within
/// it are counted in the metrics only.
pub const SUSPICIOUS_AUDIT_WINDOW_MS: i64 = 60_000;

/// Distinct inputs one suspicious-input audit event keeps, each cut to
/// [`chittyid_domain::MAX_INPUT_LEN`] characters.
pub const SUSPICIOUS_SAMPLES_PER_EVENT: usize = 8;

/// (key, pattern) windows remembered at most; when full, expired ones are forgotten, and if
/// none has expired new ones are not audited (their inputs are still counted).
const MAX_SUSPICIOUS_WINDOWS: usize = 10_000;

/// When each key last had each suspicious pattern audited.
#[derive(Debug, Default)]
pub(super) struct SuspiciousWindows {
    opened_at_ms: Mutex<HashMap<(CallerHash, ReservedPattern), i64>>,
}

impl SuspiciousWindows {
    /// Whether `pattern` from `caller` is to be audited now (the first in its window).
    fn admit(&self, caller: CallerHash, pattern: ReservedPattern, now_ms: i64) -> bool {
        let mut windows = self
            .opened_at_ms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(opened) = windows.get(&(caller, pattern)) {
            if now_ms - opened < SUSPICIOUS_AUDIT_WINDOW_MS {
                return false;
            }
        } else if windows.len() >= MAX_SUSPICIOUS_WINDOWS {
            windows.retain(|_, opened| now_ms - *opened < SUSPICIOUS_AUDIT_WINDOW_MS);
            if windows.len() >= MAX_SUSPICIOUS_WINDOWS {
                return false;
            }
        }
        windows.insert((caller, pattern), now_ms);
        true
    }
}

impl GatewayService {
    /// Takes `count` inputs from `caller`'s validation budget, or says when to retry.
    pub async fn check_validation_budget(
        &self,
        caller: CallerHash,
        count: usize,
    ) -> Result<(), GatewayError> {
        let Some(limit) = self.config.validation_limit_per_minute else {
            return Ok(());
        };
        let cost = u32::try_from(count).unwrap_or(u32::MAX);
        if cost > limit {
            return Err(GatewayError::ValidationBatchOverLimit { size: count, limit });
        }
        // The same store as the generate limit, under a key of its own per caller.
        match self
            .rate_limits
            .try_acquire(
                caller.masked(&VALIDATE_SCOPE),
                cost,
                limit,
                RATE_LIMIT_PERIOD,
            )
            .await
        {
            Ok(RateDecision::Allowed) => Ok(()),
            Ok(RateDecision::Limited { retry_after }) => {
                self.metrics.record_validation_refusal();
                Err(GatewayError::ValidationRateLimited { retry_after, limit })
            }
            Err(err) => {
                tracing::warn!(error = %err, "the validation budget could not be checked; admitting");
                Ok(())
            }
        }
    }

    /// Reserved command or test patterns arrived where IDs are expected: never IDs, and a sign
    /// of a client treating such strings as commands or mocks. Every one is counted; the first
    /// of each pattern from a key in [`SUSPICIOUS_AUDIT_WINDOW_MS`] is queued for the audit log
    /// with up to [`SUSPICIOUS_SAMPLES_PER_EVENT`] distinct inputs of this call, without holding
    /// up the answer.
    pub fn report_suspicious(&self, inputs: &[(&str, ReservedPattern)], caller: CallerHash) {
        let mut by_pattern: Vec<(ReservedPattern, Vec<String>)> = Vec::new();
        for (input, pattern) in inputs {
            self.metrics.record_suspicious(*pattern);
            let samples = match by_pattern.iter_mut().find(|(p, _)| p == pattern) {
                Some((_, samples)) => samples,
                None => {
                    by_pattern.push((*pattern, Vec::new()));
                    &mut by_pattern.last_mut().expect("just pushed").1
                }
            };
            let sample: String = input.chars().take(chittyid_domain::MAX_INPUT_LEN).collect();
            if samples.len() < SUSPICIOUS_SAMPLES_PER_EVENT && !samples.contains(&sample) {
                samples.push(sample);
            }
        }
        let now = self.clock.unix_ms();
        for (pattern, samples) in by_pattern {
            if self.suspicious.admit(caller, pattern, now) {
                self.record_audit_detached(AuditEvent {
                    at_unix_ms: now,
                    action: "suspicious_input",
                    caller,
                    outcome: pattern.code(),
                    ids: samples,
                    entity: None,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_from_a_key_is_admitted_once_per_window() {
        let windows = SuspiciousWindows::default();
        let caller = CallerHash::of_token("k");
        let other = CallerHash::of_token("other");
        let pattern = ReservedPattern::SystemCommand;
        assert!(windows.admit(caller, pattern, 0));
        assert!(!windows.admit(caller, pattern, SUSPICIOUS_AUDIT_WINDOW_MS - 1));
        assert!(
            windows.admit(other, pattern, 1),
            "another key has its own window"
        );
        assert!(windows.admit(caller, pattern, SUSPICIOUS_AUDIT_WINDOW_MS));
    }

    #[test]
    fn the_windows_remembered_are_bounded() {
        let windows = SuspiciousWindows::default();
        let pattern = ReservedPattern::SystemCommand;
        for n in 0..MAX_SUSPICIOUS_WINDOWS {
            assert!(windows.admit(CallerHash::of_token(&n.to_string()), pattern, 0));
        }
        assert!(!windows.admit(CallerHash::of_token("one more"), pattern, 1));
        assert!(
            windows.admit(
                CallerHash::of_token("later"),
                pattern,
                SUSPICIOUS_AUDIT_WINDOW_MS
            ),
            "expired windows make room"
        );
        assert!(windows.opened_at_ms.lock().expect("lock").len() <= MAX_SUSPICIOUS_WINDOWS);
    }
}
