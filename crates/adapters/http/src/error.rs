//! Every error answer: `{"error": {"code": ..., "message": ...}}` with the right status, and
//! nothing of the internals.

use std::borrow::Cow;

use bytes::Bytes;
use chittyid_app::error_code::ErrorCode;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such endpoint",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "this endpoint does not take that method",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "the server failed to answer; the failure was logged",
        )
    }

    pub fn into_response(self) -> Response<Full<Bytes>> {
        let body = crate::contract::ErrorBody {
            error: crate::contract::ErrorDetail {
                code: Cow::Borrowed(self.code.as_str()),
                message: Cow::Borrowed(&self.message),
            },
        };
        let response = json_response(self.status, &body);
        self.with_headers(response)
    }

    /// As [`ApiError::into_response`], in the shape `GET /api/generate`'s callers read:
    /// `success: false` and `message` beside the `error` object.
    pub fn into_query_refusal(self) -> Response<Full<Bytes>> {
        let body = crate::contract::QueryMintRefusal {
            success: false,
            message: &self.message,
            error: crate::contract::ErrorDetail {
                code: Cow::Borrowed(self.code.as_str()),
                message: Cow::Borrowed(&self.message),
            },
        };
        let response = json_response(self.status, &body);
        self.with_headers(response)
    }

    fn with_headers(self, mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub(crate) fn json_response(
    status: StatusCode,
    body: &impl serde::Serialize,
) -> Response<Full<Bytes>> {
    json_bytes_response(
        status,
        serde_json::to_vec(body).expect("JSON values always serialise"),
    )
}

/// An answer whose body is JSON already written.
pub(crate) fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        ApiError::into_response(self).map(axum::body::Body::new)
    }
}
