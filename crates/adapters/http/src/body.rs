//! Reading request bodies within named limits, as JSON only.

use chittyid_app::error_code::ErrorCode;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tokio::time::{Instant, timeout_at};

use crate::error::ApiError;
use crate::server::BodyDeadline;

/// The body deadline when the server set none (a handler driven outside `serve`).
const DEFAULT_BODY_READ: Duration = Duration::from_secs(10);
/// How much of an over-limit body is read and dropped before the 413, so that a client that
/// sends its whole body before reading gets the answer instead of a reset.
pub const MAX_DRAIN_BYTES: u64 = 4 * 1024 * 1024;

/// Reads the body of a JSON request, refusing other content types, anything over `limit` bytes
/// (checked against `Content-Length` first, then while reading: `413 body_too_large`), and a
/// body that has not arrived by the request's deadline (`408 body_timeout`).
pub(crate) async fn read_json_body(
    request: Request<Body>,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the body as Content-Type: application/json",
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BodyTooLarge,
            format!("the request body is over the limit of {limit} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let deadline = request
        .extensions()
        .get::<BodyDeadline>()
        .map_or_else(|| Instant::now() + DEFAULT_BODY_READ, |d| d.0);
    let mut body = request.into_body();
    if declared.is_some_and(|length| length > limit as u64) {
        // Read what a client that sends its whole body before reading is sending, so that it
        // sees the 413 rather than a reset; past MAX_DRAIN_BYTES, answer at once.
        if declared.is_some_and(|length| length <= MAX_DRAIN_BYTES) {
            let _ = timeout_at(deadline, drain(&mut body, MAX_DRAIN_BYTES)).await;
        }
        return Err(too_large());
    }
    let mut collected = Vec::with_capacity(declared.map_or(1024, |d| d as usize));
    let read = timeout_at(deadline, async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| {
                ApiError::bad_request(
                    ErrorCode::BodyUnreadable,
                    "the request body could not be read",
                )
            })?;
            if let Ok(data) = frame.into_data() {
                if collected.len() + data.len() > limit {
                    drain(&mut body, MAX_DRAIN_BYTES).await;
                    return Err(too_large());
                }
                collected.extend_from_slice(&data);
            }
        }
        Ok(())
    })
    .await;
    match read {
        Ok(Ok(())) => Ok(Bytes::from(collected)),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::BodyTimeout,
            "the request body did not arrive in time",
        )),
    }
}

/// Reads and drops up to `max` more bytes of `body`.
async fn drain(body: &mut Body, max: u64) {
    let mut drained = 0u64;
    while drained < max {
        match body.frame().await {
            Some(Ok(frame)) => {
                drained += frame.data_ref().map_or(0, |d| d.len() as u64);
            }
            _ => return,
        }
    }
}

/// Parses JSON, naming what is wrong (serde's messages say where, never anything internal).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|err| {
        let code = match err.classify() {
            serde_json::error::Category::Data if err.to_string().starts_with("unknown field") => {
                ErrorCode::UnknownField
            }
            serde_json::error::Category::Data => ErrorCode::InvalidField,
            _ => ErrorCode::InvalidJson,
        };
        ApiError::bad_request(code, err.to_string())
    })
}
