//! CORS for the origins an operator names: tower-http's layer, configured once.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The layer for `origins`, or none when there are none (no CORS headers at all).
pub(crate) fn layer(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::HEAD])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

/// Reads an origin as browsers send it: `scheme://host[:port]`, nothing after.
pub fn parse_origin(text: &str) -> Result<HeaderValue, String> {
    let text = text.trim().trim_end_matches('/');
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("CORS origin {text:?}: expected scheme://host[:port]"))?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains(['/', '?', '#', '@'])
    {
        return Err(format!(
            "CORS origin {text:?}: expected http(s)://host[:port], with no path"
        ));
    }
    HeaderValue::from_str(text)
        .map_err(|_| format!("CORS origin {text:?} is not a valid header value"))
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert!(parse_origin("https://explorer.example").is_ok());
        assert_eq!(
            parse_origin("http://localhost:3000/").expect("valid"),
            "http://localhost:3000"
        );
        assert!(parse_origin("explorer.example").is_err());
        assert!(parse_origin("https://explorer.example/path").is_err());
        assert!(parse_origin("ftp://explorer.example").is_err());
    }
}
