//! The body of a mint request, shared by the authority's and the gateway's APIs: parsed,
//! bounded, and turned into a checked [`MintRequest`] with a named error for every fault.

use chittyid_app::authority::{MAX_NAME_CHARS, Metadata, MetadataError, MintRequest};
use chittyid_app::error_code::ErrorCode;
use chittyid_domain::{EntityName, Jurisdiction, Region, TrustLevel};
use chittyid_protocol::{BatchBody, MintBody};
use http::StatusCode;
use serde_json::Value;

use crate::body::parse_json;
use crate::error::ApiError;

/// Largest body of a single mint: the metadata limit plus room for the other fields.
pub const MAX_MINT_BODY_BYTES: usize = 16 * 1024;
/// Most requests in one batch.
pub const MAX_BATCH_REQUESTS: usize = 100;
/// Largest body of a batch.
pub const MAX_BATCH_BODY_BYTES: usize = MAX_BATCH_REQUESTS * MAX_MINT_BODY_BYTES;

/// A single mint request body.
pub(crate) fn parse_mint(body: &[u8]) -> Result<MintRequest, ApiError> {
    mint_request(parse_json(body)?)
}

/// A single mint request body in any of the callers' dialects (see [`crate::dialects`]).
pub(crate) fn parse_mint_dialect(
    body: &[u8],
    aliases: &crate::dialects::EntityAliases,
) -> Result<MintRequest, ApiError> {
    mint_request_dialect(parse_json(body)?, aliases)
}

/// One mint request, already JSON, in any of the callers' dialects.
pub(crate) fn mint_request_dialect(
    value: Value,
    aliases: &crate::dialects::EntityAliases,
) -> Result<MintRequest, ApiError> {
    let canonical = crate::dialects::canonical_mint(value, aliases)?;
    let body: MintBody = serde_json::from_value(canonical)
        .map_err(|err| ApiError::bad_request(ErrorCode::InvalidField, err.to_string()))?;
    mint_request(body)
}

/// A batch body: 1 to [`MAX_BATCH_REQUESTS`] requests, each checked; the first fault names its
/// index.
pub(crate) fn parse_batch(body: &[u8]) -> Result<Vec<MintRequest>, ApiError> {
    parse_batch_with(body, None)
}

/// A batch body whose requests may be in the callers' dialects (see [`crate::dialects`]).
pub(crate) fn parse_batch_dialect(
    body: &[u8],
    aliases: &crate::dialects::EntityAliases,
) -> Result<Vec<MintRequest>, ApiError> {
    parse_batch_with(body, Some(aliases))
}

fn parse_batch_with(
    body: &[u8],
    aliases: Option<&crate::dialects::EntityAliases>,
) -> Result<Vec<MintRequest>, ApiError> {
    let batch: BatchBody = parse_json(body)?;
    if batch.requests.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::BatchSize,
            format!("a batch holds 1 to {MAX_BATCH_REQUESTS} requests; this one is empty"),
        ));
    }
    // 400, not 413: the body is within its byte limit, the request breaks the document's
    // `maxItems` (what an OpenAPI client expects as a 400).
    if batch.requests.len() > MAX_BATCH_REQUESTS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchSize,
            format!(
                "a batch holds 1 to {MAX_BATCH_REQUESTS} requests; this one holds {}",
                batch.requests.len()
            ),
        ));
    }
    batch
        .requests
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let value = match aliases {
                Some(aliases) => {
                    crate::dialects::canonical_mint(value, aliases).map_err(|mut err| {
                        err.message = format!("requests[{index}]: {}", err.message);
                        err
                    })?
                }
                None => value,
            };
            let body: MintBody = serde_json::from_value(value).map_err(|err| {
                ApiError::bad_request(ErrorCode::InvalidField, format!("requests[{index}]: {err}"))
            })?;
            mint_request(body).map_err(|mut err| {
                err.message = format!("requests[{index}]: {}", err.message);
                err
            })
        })
        .collect()
}

fn mint_request(body: MintBody) -> Result<MintRequest, ApiError> {
    let entity = match &body.entity {
        Value::String(name) => EntityName::parse(name),
        other => EntityName::parse(&other.to_string()),
    }
    .map_err(|err| ApiError::bad_request(ErrorCode::UnsupportedEntityType, err.to_string()))?;
    let mut request = MintRequest::new(entity);
    if let Some(name) = &body.name
        && name.chars().count() > MAX_NAME_CHARS
    {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidName,
            format!(
                "name is {} characters; the limit is {MAX_NAME_CHARS}",
                name.chars().count()
            ),
        ));
    }
    request.name = body.name.clone().filter(|name| !name.is_empty());
    request.metadata = match &body.metadata {
        None | Some(Value::Null) => None,
        Some(value) => Some(Metadata::try_new(value).map_err(|err| match err {
            MetadataError::TooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::MetadataTooLarge,
                err.to_string(),
            ),
            MetadataError::NotAnObject => {
                ApiError::bad_request(ErrorCode::InvalidMetadata, err.to_string())
            }
        })?),
    };
    request.region = body
        .region
        .map(|n| {
            small_integer(&n, "region").and_then(|d| Region::try_new(d).map_err(|e| e.to_string()))
        })
        .transpose()
        .map_err(|err| ApiError::bad_request(ErrorCode::InvalidRegion, err))?;
    request.jurisdiction = body
        .jurisdiction
        .as_deref()
        .map(Jurisdiction::try_iso_3166)
        .transpose()
        .map_err(|err| ApiError::bad_request(ErrorCode::InvalidJurisdiction, err.to_string()))?;
    request.trust_level = body
        .trust_level
        .map(|n| {
            small_integer(&n, "trustLevel")
                .and_then(|d| TrustLevel::try_new(d).map_err(|e| e.to_string()))
        })
        .transpose()
        .map_err(|err| ApiError::bad_request(ErrorCode::InvalidTrustLevel, err))?;
    Ok(request)
}

/// A JSON number that is a whole number from 0 to 255: `5` and `5.0` alike (JSON Schema's
/// `integer`, which the OpenAPI document promises, includes both).
fn small_integer(number: &serde_json::Number, field: &str) -> Result<u8, String> {
    let whole = number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=255.0).contains(f))
            .map(|f| f as u64)
    });
    whole
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| format!("{field} {number} is not a whole number in range"))
}
