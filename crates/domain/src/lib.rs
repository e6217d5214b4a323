//! The ChittyID format and the resilience policies: pure logic with no I/O, no async
//! runtime, no clock and no randomness of its own, so that any team can embed it and
//! property-test against it.
//!
//! ```
//! use chittyid_domain::ChittyId;
//!
//! let id: ChittyId = "03-1-USA-0001-P-2602-0-85".parse()?;
//! assert_eq!(id.entity_type().letter(), 'P');
//! assert_eq!(id.checksum().value(), 85);
//! # Ok::<(), chittyid_domain::ParseError>(())
//! ```
#![forbid(unsafe_code)]

mod authority2025;
mod chitty_id;
mod components;
mod entity;
mod error;
mod fast;
mod format;
mod grammar;
mod iso3166;
mod legacy;
mod placeholder;
mod sequence;
mod suggest;
mod validation;

pub mod log;
pub mod report;
pub mod resilience;

#[cfg(feature = "proptest")]
pub mod strategies;

pub use authority2025::Authority2025Id;
pub use chitty_id::{ChittyId, Components, DidError};
pub use components::{
    Checksum, ComponentError, EntityType, Jurisdiction, Region, Sequence, TrustLevel, Version,
    YearMonth,
};
pub use entity::{EntityName, MAX_ECHOED_NAME_CHARS, UnknownEntityName, V2_2_0_ENTITY_NAMES};
pub use error::{MAX_INPUT_LEN, ParseError, Segment};
pub use format::{Format, classify};
pub use grammar::compute_checksum;
pub use iso3166::{ISO_3166_ALPHA3, is_iso_3166_alpha3};
pub use legacy::LegacyChittyId;
pub use placeholder::{PlaceholderKind, ReservedPattern, StatusPlaceholder};
pub use sequence::{SequenceSpace, SpacePermutation};
pub use suggest::{suggest, suggest_2025};
pub use validation::{
    ValidId, ValidationError, ValidationOptions, entity_type_letter, is_chitty_id, validate,
};
