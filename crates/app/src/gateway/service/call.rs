//! One call to the authority through the breaker, the retry policy and the retry budget.

use std::future::Future;
use std::sync::Mutex;

use chittyid_domain::resilience::{GiveUp, Idempotency, Outcome, Permit, RetryDecision, Timestamp};

use super::{Control, GatewayError, GatewayService};
use crate::clock::Clock;
use crate::gateway::ports::AuthorityError;
use crate::sync::lock;

/// Returns the breaker permit whatever happens: with an outcome, or cancelled if the call is
/// dropped half-way.
pub(super) struct PermitGuard<'a> {
    control: &'a Mutex<Control>,
    permit: Option<Permit>,
}

impl PermitGuard<'_> {
    fn finish(mut self, outcome: Outcome, now: Timestamp) {
        if let Some(permit) = self.permit.take() {
            let mut control = lock(self.control);
            let Control { breaker, rng, .. } = &mut *control;
            breaker.record(permit, outcome, now, rng);
        }
    }
}

impl Drop for PermitGuard<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            lock(self.control).breaker.cancel(permit);
        }
    }
}

/// A failed call to the authority, and whether it may have minted all the same (an attempt
/// timed out, broke off, or was answered with something unreadable).
pub(super) struct Failed {
    pub(super) error: GatewayError,
    pub(super) maybe_minted: bool,
}

impl From<GatewayError> for Failed {
    fn from(error: GatewayError) -> Self {
        Self {
            error,
            maybe_minted: false,
        }
    }
}

impl GatewayService {
    /// One call to the authority: one breaker permit for the whole retry sequence, retries as
    /// the policy and the budget allow, each attempt within its timeout.
    pub(super) async fn call_authority<T, F, Fut>(
        &self,
        idempotency: Idempotency,
        mut attempt: F,
    ) -> Result<T, Failed>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AuthorityError>>,
    {
        let now = self.clock.monotonic();
        let permit = {
            let mut control = lock(&self.control);
            let Control {
                breaker,
                budget,
                rng,
            } = &mut *control;
            budget.deposit(now);
            match breaker.try_acquire(now, rng) {
                Ok(permit) => {
                    tracing::debug!(decision = "admitted", "breaker");
                    permit
                }
                Err(refused) => {
                    tracing::debug!(decision = "refused", "breaker");
                    return Err(GatewayError::BreakerOpen(refused).into());
                }
            }
        };
        let guard = PermitGuard {
            control: &self.control,
            permit: Some(permit),
        };
        let mut state = self.retry.start(now);
        let mut maybe_minted = false;
        loop {
            let now = self.clock.monotonic();
            let Some(timeout) = self.retry.attempt_timeout(&state, now) else {
                guard.finish(Outcome::Failure { retry_after: None }, now);
                return Err(Failed {
                    error: GatewayError::Timeout,
                    maybe_minted,
                });
            };
            let result = match tokio::time::timeout(timeout, attempt()).await {
                Ok(result) => result,
                Err(_) => Err(AuthorityError::Timeout),
            };
            let err = match result {
                Ok(value) => {
                    let now = self.clock.monotonic();
                    guard.finish(Outcome::Success, now);
                    // A successful call is proof of health: readiness follows it at once
                    // rather than after the monitor's reconnect backoff.
                    lock(&self.monitor).0.on_call_succeeded(now);
                    return Ok(value);
                }
                Err(err) => err,
            };
            maybe_minted |= err.may_have_succeeded();
            let now = self.clock.monotonic();
            let decision = {
                let mut control = lock(&self.control);
                let Control { budget, rng, .. } = &mut *control;
                match self.retry.after_failure(
                    &mut state,
                    err.failure_kind(),
                    idempotency,
                    now,
                    rng,
                ) {
                    RetryDecision::RetryAfter(delay) if budget.try_withdraw(now) => {
                        RetryDecision::RetryAfter(delay)
                    }
                    RetryDecision::RetryAfter(_) => RetryDecision::GiveUp(GiveUp::BudgetExhausted),
                    give_up => give_up,
                }
            };
            match decision {
                RetryDecision::RetryAfter(delay) => {
                    tracing::debug!(error = %err, ?delay, "retrying the authority");
                    tokio::time::sleep(delay).await;
                }
                RetryDecision::GiveUp(why) => {
                    let outcome = if err.is_upstream_fault() {
                        Outcome::Failure {
                            retry_after: err.failure_kind().retry_after(),
                        }
                    } else {
                        Outcome::Ignored
                    };
                    guard.finish(outcome, now);
                    tracing::warn!(error = %err, reason = %why, "the authority call failed");
                    return Err(Failed {
                        error: gateway_error(err),
                        maybe_minted,
                    });
                }
            }
        }
    }
}

pub(super) fn gateway_error(err: AuthorityError) -> GatewayError {
    match err {
        AuthorityError::Timeout => GatewayError::Timeout,
        AuthorityError::RateLimited { retry_after }
        | AuthorityError::Unavailable { retry_after } => GatewayError::Unavailable {
            retry_after,
            reason: err.to_string(),
        },
        AuthorityError::ConnectionRefused
        | AuthorityError::Dns
        | AuthorityError::ConnectionReset
        | AuthorityError::Unknown(_) => GatewayError::Unavailable {
            retry_after: None,
            reason: err.to_string(),
        },
        AuthorityError::ServerError { .. } | AuthorityError::MalformedResponse(_) => {
            GatewayError::BadUpstream
        }
        AuthorityError::Unauthorized => GatewayError::Misconfigured,
        AuthorityError::Rejected {
            status,
            code,
            message,
        } => GatewayError::Rejected {
            status,
            code,
            message,
        },
    }
}
