//! The v2.2.0 rules for the authority's base URL.

pub const DEFAULT_BASE_URL: &str = "https://id.chitty.cc/v1";

/// Empty gives the default; a trailing `/` is stripped; a URL ending in `/v1` is kept, one
/// ending in `/api` gets `/v1`, anything else gets `/api/v1`.
pub fn normalize_base_url(input: &str) -> String {
    let trimmed = input.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        DEFAULT_BASE_URL.to_owned()
    } else if trimmed.ends_with("/v1") {
        trimmed.to_owned()
    } else if trimmed.ends_with("/api") {
        format!("{trimmed}/v1")
    } else {
        format!("{trimmed}/api/v1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_v2_2_0_rules() {
        assert_eq!(normalize_base_url(""), "https://id.chitty.cc/v1");
        assert_eq!(
            normalize_base_url("https://id.chitty.cc/v1/"),
            "https://id.chitty.cc/v1"
        );
        assert_eq!(
            normalize_base_url("https://id.chitty.cc/v1"),
            "https://id.chitty.cc/v1"
        );
        assert_eq!(
            normalize_base_url("https://id.chitty.cc/api"),
            "https://id.chitty.cc/api/v1"
        );
        assert_eq!(
            normalize_base_url("https://id.chitty.cc/api/"),
            "https://id.chitty.cc/api/v1"
        );
        assert_eq!(
            normalize_base_url("https://id.chitty.cc"),
            "https://id.chitty.cc/api/v1"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8788/"),
            "http://127.0.0.1:8788/api/v1"
        );
    }
}
