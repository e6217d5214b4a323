//! Verify: the verdict cache, then the authority, and the audit event before the answer.

use chittyid_domain::ChittyId;
use chittyid_domain::resilience::Idempotency;

use super::{GatewayError, GatewayService, Verified, error_outcome};
use crate::authority::CallerHash;
use crate::clock::Clock;
use crate::gateway::ports::{AuditEvent, MintAuthority, VerdictCache};
use crate::gateway::witness::WitnessError;

impl GatewayService {
    /// Asks the authority whether it minted `id`, through the cache. Every call is audited; an
    /// answer that confirms the ID is given only once its event is stored, any other answer
    /// (not minted, or the call failed) does not wait for its event.
    pub async fn verify(
        &self,
        id: &ChittyId,
        caller: CallerHash,
    ) -> Result<Verified, GatewayError> {
        let result = self.verify_unaudited(id).await;
        let outcome = match &result {
            Ok(verified) => match (verified.minted_by_authority(), verified.from_cache) {
                (true, false) => "minted",
                (false, false) => "not_minted",
                (true, true) => "minted_cached",
                (false, true) => "not_minted_cached",
            },
            Err(err) => error_outcome(err),
        };
        let event = AuditEvent {
            at_unix_ms: self.clock.unix_ms(),
            action: "verify",
            caller,
            outcome,
            ids: vec![id.to_string()],
            entity: None,
        };
        if result.as_ref().is_ok_and(Verified::minted_by_authority) {
            self.record_audit(event).await?;
        } else {
            self.record_audit_detached(event);
        }
        result
    }

    async fn verify_unaudited(&self, id: &ChittyId) -> Result<Verified, GatewayError> {
        if let Some(witness) = &self.witness {
            return witness
                .verify(id)
                .await
                .map(|verdict| Verified {
                    verdict,
                    from_cache: false,
                })
                .map_err(witness_error);
        }
        match self.cache.get(id).await {
            Ok(Some(verdict)) => {
                return Ok(Verified {
                    verdict,
                    from_cache: true,
                });
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "verdict cache failed; asking the authority"),
        }
        let verdict = self
            .call_authority(Idempotency::Idempotent, || self.authority.verify(id))
            .await
            .map_err(|failed| failed.error)?;
        if let Err(err) = self.cache.put(id, &verdict).await {
            tracing::warn!(error = %err, "verdict cache failed to store an answer");
        }
        Ok(Verified {
            verdict,
            from_cache: false,
        })
    }
}

fn witness_error(err: WitnessError) -> GatewayError {
    match err {
        WitnessError::Forked(why) => GatewayError::LogForked(why),
        WitnessError::Unverified(why) => GatewayError::LogUnverified(why),
        WitnessError::NotYetCheckpointed => GatewayError::Unavailable {
            retry_after: Some(std::time::Duration::from_secs(1)),
            reason: err.to_string(),
        },
        WitnessError::Authority(err) => super::call::gateway_error(err),
    }
}
