//! Generate: idempotency keys, the rate limit, minting through the policies, answers checked
//! against their requests, and the audit event before the answer.

use std::time::Duration;

use chittyid_domain::ChittyId;
use chittyid_domain::resilience::{Idempotency, Timestamp};

use super::call::Failed;
use super::{GatewayError, GatewayService, GeneratedId, RATE_LIMIT_PERIOD, error_outcome};
use crate::authority::{CallerHash, MintRequest};
use crate::clock::Clock;
use crate::gateway::idempotency::{
    Claim, ClaimTerms, IdempotencyKey, IdempotencyStore, UpstreamKey,
};
use crate::gateway::ports::{AuthorityError, MintAuthority, RateDecision, RateLimitStore};

impl GatewayService {
    /// Generates one ID per request through the authority. With a key, a repeat of the same
    /// request gets the same IDs. Every call is audited: IDs are handed out only once their
    /// event is stored; a refusal or failure (which hands out nothing) does not wait for its
    /// event.
    pub async fn generate(
        &self,
        requests: Vec<MintRequest>,
        caller: CallerHash,
        key: Option<&IdempotencyKey>,
    ) -> Result<Vec<GeneratedId>, GatewayError> {
        let (result, replayed) = self.generate_unaudited(&requests, caller, key).await;
        let (outcome, shown) = match &result {
            Ok(ids) if replayed => ("replayed", ids.iter().map(|g| g.id.to_string()).collect()),
            Ok(ids) => ("ok", ids.iter().map(|g| g.id.to_string()).collect()),
            Err(err) => (error_outcome(err), Vec::new()),
        };
        let event = self.audit_event("generate", caller, outcome, shown, &requests);
        if result.is_ok() {
            self.record_audit(event).await?;
        } else {
            self.record_audit_detached(event);
        }
        result
    }

    /// Generate without its audit event; true with a replayed answer.
    async fn generate_unaudited(
        &self,
        requests: &[MintRequest],
        caller: CallerHash,
        key: Option<&IdempotencyKey>,
    ) -> (Result<Vec<GeneratedId>, GatewayError>, bool) {
        let started = self.clock.monotonic();
        if let Some(key) = key {
            match self.claim_key(caller, key, started).await {
                Ok(None) => {}
                Ok(Some(ids)) => return (Ok(ids), true),
                Err(err) => return (Err(err), false),
            }
        }
        let upstream_key = key.map_or_else(UpstreamKey::fresh, |key| {
            UpstreamKey::for_client(caller, key)
        });
        let result = match self.check_rate(caller, requests.len()).await {
            Ok(()) => self.mint_through_policies(requests, &upstream_key).await,
            Err(err) => Err(Failed::from(err)),
        };
        let elapsed = self.clock.monotonic().saturating_since(started);
        self.metrics
            .record_generation(requests.len(), result.is_ok(), elapsed);
        match result {
            Ok(ids) => {
                let ids: Vec<GeneratedId> = ids
                    .into_iter()
                    .zip(requests)
                    .map(|(id, request)| GeneratedId {
                        id,
                        entity: request.entity.as_str().to_owned(),
                    })
                    .collect();
                if let Some(key) = key
                    && let Err(err) = self.keys.complete(caller, key, &ids).await
                {
                    // The key stays in flight, then reads as "outcome unknown": never a second
                    // ID for it, and with an authority that honours keys, the same one again.
                    tracing::error!(error = %err, "an idempotency key could not be completed");
                }
                (Ok(ids), false)
            }
            Err(failed) => {
                if let Some(key) = key {
                    let settled = if failed.maybe_minted {
                        self.keys.mark_unknown(caller, key).await
                    } else {
                        self.keys.release(caller, key).await
                    };
                    if let Err(err) = settled {
                        tracing::error!(error = %err, "an idempotency key could not be settled");
                    }
                }
                (Err(failed.error), false)
            }
        }
    }

    /// Claims `key`: `None` to go ahead, the IDs to replay, or why not. A key held by a request
    /// in flight is waited for, up to `idempotency_wait`.
    async fn claim_key(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        started: Timestamp,
    ) -> Result<Option<Vec<GeneratedId>>, GatewayError> {
        let deadline = started + self.config.idempotency_wait;
        let mut pause = Duration::from_millis(10);
        loop {
            let terms = ClaimTerms {
                now_unix_ms: self.clock.unix_ms(),
                ttl: self.config.idempotency_ttl,
                lease: self.config.idempotency_lease,
                take_over_unknown: self.authority.honours_mint_keys(),
            };
            let claim = self.keys.claim(caller, key, terms).await.map_err(|err| {
                tracing::error!(error = %err, "the idempotency store failed");
                GatewayError::IdempotencyUnavailable
            })?;
            match claim {
                Claim::Proceed => return Ok(None),
                Claim::Replay(ids) => return Ok(Some(ids)),
                Claim::Mismatch => return Err(GatewayError::IdempotencyMismatch),
                Claim::OutcomeUnknown => return Err(GatewayError::IdempotencyOutcomeUnknown),
                Claim::InFlight => {
                    let now = self.clock.monotonic();
                    if now >= deadline {
                        return Err(GatewayError::IdempotencyInProgress);
                    }
                    tokio::time::sleep(pause.min(deadline.saturating_since(now))).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
            }
        }
    }

    async fn check_rate(&self, caller: CallerHash, count: usize) -> Result<(), GatewayError> {
        // A stored key's own rate wins (0: no limit); other keys have the configured one.
        let limit = match self.key_directory.rate_of(&caller) {
            Some(0) => None,
            Some(rate) => Some(rate),
            None => self.config.rate_limit_per_minute,
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        let cost = u32::try_from(count).unwrap_or(u32::MAX);
        if cost > limit {
            return Err(GatewayError::BatchOverLimit { size: count, limit });
        }
        match self
            .rate_limits
            .try_acquire(caller, cost, limit, RATE_LIMIT_PERIOD)
            .await
        {
            Ok(RateDecision::Allowed) => Ok(()),
            Ok(RateDecision::Limited { retry_after }) => {
                self.metrics.record_rate_limit_refusal();
                Err(GatewayError::RateLimited { retry_after, limit })
            }
            // A limit that cannot be checked does not stop minting: the authority's own limits
            // still hold, and the failure is logged.
            Err(err) => {
                tracing::warn!(error = %err, "the rate limit could not be checked; admitting");
                Ok(())
            }
        }
    }

    async fn mint_through_policies(
        &self,
        requests: &[MintRequest],
        key: &UpstreamKey,
    ) -> Result<Vec<ChittyId>, Failed> {
        // Every attempt sends the same key. An authority that honours keys answers a repeat
        // with the first attempt's IDs, so any failure may be retried. One that does not may
        // have minted after a timeout or a broken connection: only failures that prove it did
        // not are retried.
        let idempotency = if self.authority.honours_mint_keys() {
            Idempotency::Idempotent
        } else {
            Idempotency::NotIdempotent
        };
        // Every answer is checked against its request inside the attempt, so that a wrong one
        // counts at the breaker as the upstream fault it is.
        if let [request] = requests {
            self.call_authority(idempotency, || async {
                let id = self.authority.mint(request, key).await?;
                check_answer(requests, vec![id])
            })
            .await
        } else {
            self.call_authority(idempotency, || async {
                let ids = self.authority.mint_batch(requests, key).await?;
                check_answer(requests, ids)
            })
            .await
        }
    }
}

/// The authority's IDs, if they answer the requests: one per request, each of the entity type
/// asked for (and the region, jurisdiction and trust level, where the request set them), and
/// no ID twice.
fn check_answer(
    requests: &[MintRequest],
    ids: Vec<ChittyId>,
) -> Result<Vec<ChittyId>, AuthorityError> {
    if ids.len() != requests.len() {
        return Err(AuthorityError::MalformedResponse(format!(
            "{} IDs for {} requests",
            ids.len(),
            requests.len()
        )));
    }
    for (id, request) in ids.iter().zip(requests) {
        let wrong = if id.entity_type() != request.entity.entity_type() {
            Some("entity type")
        } else if request.region.is_some_and(|r| r != id.region()) {
            Some("region")
        } else if request.jurisdiction.is_some_and(|j| j != id.jurisdiction()) {
            Some("jurisdiction")
        } else if request.trust_level.is_some_and(|t| t != id.trust_level()) {
            Some("trust level")
        } else {
            None
        };
        if let Some(part) = wrong {
            return Err(AuthorityError::MalformedResponse(format!(
                "{id} has another {part} than the request for {} asked for",
                request.entity.as_str()
            )));
        }
    }
    let mut seen: Vec<&ChittyId> = ids.iter().collect();
    seen.sort_unstable_by_key(|id| id.as_str());
    if seen.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(AuthorityError::MalformedResponse(
            "the same ID more than once in one answer".to_owned(),
        ));
    }
    Ok(ids)
}
