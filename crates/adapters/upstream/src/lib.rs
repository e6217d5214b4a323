//! The ChittyID authority over HTTP: the authority protocol of docs/format.md, base-URL normalisation, the
//! three names of the ID field, and every failure classified for the retry policy. An ID that
//! fails the domain's parse is the upstream's fault, never passed on.

mod base_url;
mod client;

pub use base_url::{DEFAULT_BASE_URL, normalize_base_url, redact_userinfo};
pub use client::{HttpAuthority, HttpClient, UpstreamConfigError, http_client};
