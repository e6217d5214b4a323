//! The inbound HTTP adapters of chittyid, on hyper: a small server loop with graceful shutdown
//! and panic isolation, JSON errors with machine-readable codes, and the authority's API.

pub mod authority;
mod body;
mod error;
pub mod server;
mod time;
mod tokens;

pub use error::ApiError;
pub use tokens::TokenSet;
