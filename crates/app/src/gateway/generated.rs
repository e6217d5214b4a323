//! What a generate hands out, on its own so that the idempotency store (which keeps answers)
//! and the service (which makes them) both depend on it and not on each other.

use chittyid_domain::ChittyId;

/// A generated ID and the entity name it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedId {
    pub id: ChittyId,
    pub entity: String,
}
