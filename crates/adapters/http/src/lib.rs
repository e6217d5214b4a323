//! The inbound HTTP adapters of chittyid, on hyper: a small server loop with graceful shutdown
//! and panic isolation, JSON errors with machine-readable codes, and the authority's API.

pub mod authority;
mod body;
mod connection;
pub mod contract;
pub mod cors;
pub mod dialects;
pub mod edge;
mod error;
mod extract;
pub mod gateway;
pub mod metrics;
mod mint_body;
mod refusals;
pub mod server;
mod tokens;
mod trace_context;

pub use body::MAX_DRAIN_BYTES;
pub use error::ApiError;
pub use mint_body::{MAX_BATCH_BODY_BYTES, MAX_BATCH_REQUESTS, MAX_MINT_BODY_BYTES};
pub use refusals::REFUSAL_SUMMARY_EVERY;
pub use tokens::TokenSet;
