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

/// `url` with any `user:password@` before its host replaced by `***@`: what messages and logs
/// show of a URL that may carry credentials.
pub fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let host = &authority[at + 1..];
    if scheme.is_empty() {
        format!("***@{host}{tail}")
    } else {
        format!("{scheme}://***@{host}{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_url_are_redacted() {
        assert_eq!(
            redact_userinfo("ftp://alice:s3cret@127.0.0.1:1/v1"),
            "ftp://***@127.0.0.1:1/v1"
        );
        assert_eq!(
            redact_userinfo("https://token@id.example/api/v1?x=a@b"),
            "https://***@id.example/api/v1?x=a@b"
        );
        assert_eq!(redact_userinfo("alice:pw@host/v1"), "***@host/v1");
        assert_eq!(
            redact_userinfo("https://id.example/v1/x@y"),
            "https://id.example/v1/x@y",
            "an @ after the host is no credential"
        );
    }

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
