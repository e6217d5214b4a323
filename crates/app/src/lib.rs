//! Use cases of chittyid, generic over their ports: the authority's minting and the gateway's
//! generation and validation.

pub mod authority;
mod clock;
pub mod error_code;
pub mod gateway;
pub mod rfc3339;
mod sync;

pub use clock::{Clock, ManualClock, SystemClock, unix_now_ms};
