//! Verify: the verdict cache, then the authority, and the audit event before the answer.

use chittyid_domain::ChittyId;
use chittyid_domain::resilience::Idempotency;

use super::{GatewayError, GatewayService, Verified, error_outcome};
use crate::authority::CallerHash;
use crate::clock::Clock;
use crate::gateway::ports::{AuditEvent, MintAuthority, VerdictCache};

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
            Ok(Verified {
                minted_by_authority: true,
                from_cache: false,
            }) => "minted",
            Ok(Verified {
                minted_by_authority: false,
                from_cache: false,
            }) => "not_minted",
            Ok(Verified {
                minted_by_authority: true,
                from_cache: true,
            }) => "minted_cached",
            Ok(Verified {
                minted_by_authority: false,
                from_cache: true,
            }) => "not_minted_cached",
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
        if matches!(
            result,
            Ok(Verified {
                minted_by_authority: true,
                ..
            })
        ) {
            self.record_audit(event).await?;
        } else {
            self.record_audit_detached(event);
        }
        result
    }

    async fn verify_unaudited(&self, id: &ChittyId) -> Result<Verified, GatewayError> {
        match self.cache.get(id).await {
            Ok(Some(minted)) => {
                return Ok(Verified {
                    minted_by_authority: minted,
                    from_cache: true,
                });
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "verdict cache failed; asking the authority"),
        }
        let minted = self
            .call_authority(Idempotency::Idempotent, || self.authority.verify(id))
            .await
            .map_err(|failed| failed.error)?;
        if let Err(err) = self.cache.put(id, minted).await {
            tracing::warn!(error = %err, "verdict cache failed to store an answer");
        }
        Ok(Verified {
            minted_by_authority: minted,
            from_cache: false,
        })
    }
}
