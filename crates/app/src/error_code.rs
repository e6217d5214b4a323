//! Every machine-readable error code either server answers with, in one place: the HTTP
//! adapter answers with these, the upstream client reads an authority's refusals by them, the
//! audit log and the load tester name failures by them, and the OpenAPI documents list them.

use std::fmt;

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $code:literal,)*) => {
        /// A machine-readable error code, written on the wire as its snake_case name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as written on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The code written as `text`, if it is one of these.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($code => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    // The edge: any answer of either server.
    InvalidJson => "invalid_json",
    UnknownField => "unknown_field",
    InvalidField => "invalid_field",
    UnsupportedMediaType => "unsupported_media_type",
    BodyTooLarge => "body_too_large",
    BodyTimeout => "body_timeout",
    BodyUnreadable => "body_unreadable",
    MetadataTooLarge => "metadata_too_large",
    InvalidMetadata => "invalid_metadata",
    InvalidName => "invalid_name",
    UnsupportedEntityType => "unsupported_entity_type",
    InvalidRegion => "invalid_region",
    InvalidJurisdiction => "invalid_jurisdiction",
    InvalidTrustLevel => "invalid_trust_level",
    BatchSize => "batch_size",
    InvalidIdempotencyKey => "invalid_idempotency_key",
    IdempotencyKeyReused => "idempotency_key_reused",
    MissingToken => "missing_token",
    InvalidToken => "invalid_token",
    NotFound => "not_found",
    MethodNotAllowed => "method_not_allowed",
    TooManyConnections => "too_many_connections",
    InternalError => "internal_error",
    // The gateway.
    RateLimited => "rate_limited",
    BatchExceedsRateLimit => "batch_exceeds_rate_limit",
    ValidationRateLimited => "validation_rate_limited",
    InsufficientScope => "insufficient_scope",
    InvalidQuery => "invalid_query",
    BatchExceedsValidationBudget => "batch_exceeds_validation_budget",
    IdempotencyOutcomeUnknown => "idempotency_outcome_unknown",
    IdempotencyUnavailable => "idempotency_unavailable",
    IdempotencyInProgress => "idempotency_in_progress",
    CircuitOpen => "circuit_open",
    UpstreamUnavailable => "upstream_unavailable",
    UpstreamTimeout => "upstream_timeout",
    /// An authority refused with a code that is none of these.
    UpstreamRejected => "upstream_rejected",
    BadUpstream => "bad_upstream",
    UpstreamAuth => "upstream_auth",
    AuditUnavailable => "audit_unavailable",
    NotAString => "not_a_string",
    AuthorityLogForked => "authority_log_forked",
    // The authority (the gateway passes the first on).
    SequenceSpaceExhausted => "sequence_space_exhausted",
    StoreUnavailable => "store_unavailable",
    NotMintedHere => "not_minted_here",
    // The authority's mint log.
    NotLogged => "not_logged",
    LogSize => "log_size",
    LogInconsistent => "log_inconsistent",
}

impl ErrorCode {
    /// The codes any answer of either server may carry.
    pub const EDGE: &'static [ErrorCode] = &[
        Self::InvalidJson,
        Self::UnknownField,
        Self::InvalidField,
        Self::UnsupportedMediaType,
        Self::BodyTooLarge,
        Self::BodyTimeout,
        Self::BodyUnreadable,
        Self::MetadataTooLarge,
        Self::InvalidMetadata,
        Self::InvalidName,
        Self::UnsupportedEntityType,
        Self::InvalidRegion,
        Self::InvalidJurisdiction,
        Self::InvalidTrustLevel,
        Self::BatchSize,
        Self::InvalidIdempotencyKey,
        Self::IdempotencyKeyReused,
        Self::MissingToken,
        Self::InvalidToken,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::TooManyConnections,
        Self::InternalError,
    ];

    /// The codes only the gateway answers with, besides the edge's; an authority's refusal is
    /// passed on under its own code when it is one of [`ErrorCode::ALL`].
    pub const GATEWAY: &'static [ErrorCode] = &[
        Self::RateLimited,
        Self::BatchExceedsRateLimit,
        Self::ValidationRateLimited,
        Self::InsufficientScope,
        Self::InvalidQuery,
        Self::BatchExceedsValidationBudget,
        Self::IdempotencyOutcomeUnknown,
        Self::IdempotencyUnavailable,
        Self::IdempotencyInProgress,
        Self::CircuitOpen,
        Self::UpstreamUnavailable,
        Self::UpstreamTimeout,
        Self::UpstreamRejected,
        Self::BadUpstream,
        Self::UpstreamAuth,
        Self::AuditUnavailable,
        Self::SequenceSpaceExhausted,
        Self::NotAString,
        Self::AuthorityLogForked,
    ];

    /// The codes only the authority answers with, besides the edge's.
    pub const AUTHORITY: &'static [ErrorCode] = &[
        Self::SequenceSpaceExhausted,
        Self::StoreUnavailable,
        Self::NotMintedHere,
        Self::InvalidQuery,
        Self::NotLogged,
        Self::LogSize,
        Self::LogInconsistent,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_reads_back_and_is_snake_case() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }

    #[test]
    fn every_code_belongs_to_a_server() {
        for code in ErrorCode::ALL {
            assert!(
                ErrorCode::EDGE.contains(code)
                    || ErrorCode::GATEWAY.contains(code)
                    || ErrorCode::AUTHORITY.contains(code),
                "{code} is answered by neither server"
            );
        }
    }
}
