//! The HTTP client.

use std::error::Error as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use chittyid_app::authority::{InclusionProof, MintRequest};
use chittyid_app::error_code::ErrorCode;
use chittyid_app::gateway::{
    AuthorityError, LogSource, MintAuthority, MintFacts, MintVerdict, UpstreamKey,
};
use chittyid_domain::ChittyId;
use chittyid_domain::log::Hash;
use chittyid_protocol::{
    AnsweredId, AnsweredIds, AuthorityHealth, BatchBody, ErrorBody, LogConsistencyProof,
    LogInclusionProof, MintBody, ValidateAnswer,
};
use http::{HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::base_url::{normalize_base_url, redact_userinfo};

/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read from the authority.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamConfigError {
    /// The URL as given, with any credentials in it redacted.
    #[error("CHITTYID_SERVICE_URL {0:?} is not a valid http(s) URL")]
    InvalidUrl(String),
    #[error("CHITTY_ID_TOKEN is required when CHITTYID_SERVICE_URL is set")]
    MissingToken,
    #[error("the CA certificates given for the authority are not usable: {0}")]
    InvalidCa(String),
}

/// A pooled HTTP/1 client for `http` and `https` URLs.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The pooled HTTP/1 client the authority client uses, for `http` and `https` URLs (public web
/// roots, plus `extra_roots_pem`): for other callers of chittyid servers, such as the load test.
pub fn http_client(extra_roots_pem: Option<&[u8]>) -> Result<HttpClient, UpstreamConfigError> {
    let mut http = HttpConnector::new();
    // Requests are small and latency matters: no Nagle delay on the upstream connections.
    http.set_nodelay(true);
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(extra_roots_pem)?)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    // Idle connections are dropped before a server's own idle cut-off (10 s for the reference
    // authority), so a request is never sent on one the server is closing.
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector))
}

/// A canonical ID the health check asks about, to see that the token is accepted.
const PROBE_ID: &str = "03-1-USA-0001-P-2602-0-85";

/// The authority at a base URL, with a bearer token. Connections are pooled.
#[derive(Clone)]
pub struct HttpAuthority {
    client: HttpClient,
    base: String,
    authorization: HeaderValue,
    /// Learned from the authority's health answer (`"idempotencyKeys": true`).
    honours_keys: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for HttpAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAuthority")
            .field("base", &self.base)
            .field("authorization", &"<redacted>")
            .finish()
    }
}

impl HttpAuthority {
    /// An authority trusted by the public web roots.
    pub fn try_new(base_url: &str, token: Option<&str>) -> Result<Self, UpstreamConfigError> {
        Self::try_new_with_roots(base_url, token, None)
    }

    /// An authority whose certificate may also be signed by one of `extra_roots_pem` (PEM
    /// certificates): a self-hosted authority behind a private CA.
    pub fn try_new_with_roots(
        base_url: &str,
        token: Option<&str>,
        extra_roots_pem: Option<&[u8]>,
    ) -> Result<Self, UpstreamConfigError> {
        let base = normalize_base_url(base_url);
        let uri: Uri = base
            .parse()
            .map_err(|_| UpstreamConfigError::InvalidUrl(redact_userinfo(&base)))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(UpstreamConfigError::InvalidUrl(redact_userinfo(&base)));
        }
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(UpstreamConfigError::MissingToken)?;
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| UpstreamConfigError::MissingToken)?;
        authorization.set_sensitive(true);
        let client = http_client(extra_roots_pem)?;
        Ok(Self {
            client,
            base,
            authorization,
            honours_keys: std::sync::Arc::default(),
        })
    }

    /// The base URL as messages and logs may show it: credentials in it are redacted.
    pub fn base_url(&self) -> String {
        redact_userinfo(&self.base)
    }

    /// One attempt, in a span of its own (a child of the request's, when traced), whose
    /// context goes to the authority in `traceparent`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        auth: bool,
        key: Option<&UpstreamKey>,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), AuthorityError> {
        let span = tracing::debug_span!("authority.request", method = %method, path);
        tracing::Instrument::instrument(self.send(method, path, body, auth, key), span).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        auth: bool,
        key: Option<&UpstreamKey>,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), AuthorityError> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if auth {
            request = request.header(header::AUTHORIZATION, self.authorization.clone());
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key.as_str());
        }
        if let Some(id) = chittyid_app::gateway::current_request_id() {
            request = request.header("x-request-id", id);
        }
        if let Some(headers) = request.headers_mut() {
            inject_trace(headers);
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Full::new(json)
            }
            None => Full::new(Bytes::new()),
        };
        let request = request
            .body(body)
            .map_err(|e| AuthorityError::Unknown(anyhow::anyhow!("building a request: {e}")))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(classify_client_error)?;
        let (parts, body) = response.into_parts();
        let bytes = Limited::new(body, MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|err| {
                if err
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    AuthorityError::MalformedResponse("the answer is over 1 MiB".to_owned())
                } else {
                    AuthorityError::ConnectionReset
                }
            })?
            .to_bytes();
        Ok((parts.status, parts.headers, bytes))
    }

    /// Calls and turns non-2xx answers into their error class; returns the JSON of a 2xx.
    async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        key: Option<&UpstreamKey>,
    ) -> Result<T, AuthorityError> {
        let (status, headers, bytes) = self.call(method, path, body, true, key).await?;
        if !status.is_success() {
            return Err(status_error(status, &headers, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            AuthorityError::MalformedResponse(format!("the answer is not the protocol's: {e}"))
        })
    }
}

/// W3C trace context on the way out: the current span (this attempt's) becomes the parent of
/// the authority's. Nothing is added unless OpenTelemetry is set up.
fn inject_trace(headers: &mut http::HeaderMap) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    struct HeaderInjector<'a>(&'a mut http::HeaderMap);

    impl opentelemetry::propagation::Injector for HeaderInjector<'_> {
        fn set(&mut self, key: &str, value: String) {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(key.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                self.0.insert(name, value);
            }
        }
    }

    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return;
    }
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// TLS with the public web roots plus any extra ones, on the ring provider.
fn tls_config(extra_roots_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, UpstreamConfigError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_roots_pem {
        let mut added = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate =
                certificate.map_err(|e| UpstreamConfigError::InvalidCa(e.to_string()))?;
            roots
                .add(certificate)
                .map_err(|e| UpstreamConfigError::InvalidCa(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(UpstreamConfigError::InvalidCa(
                "no PEM certificate found".to_owned(),
            ));
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| UpstreamConfigError::InvalidCa(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn status_error(status: StatusCode, headers: &http::HeaderMap, body: &[u8]) -> AuthorityError {
    match status.as_u16() {
        429 => AuthorityError::RateLimited {
            retry_after: retry_after(headers),
        },
        503 => AuthorityError::Unavailable {
            retry_after: retry_after(headers),
        },
        401 | 403 => AuthorityError::Unauthorized,
        400..=499 => {
            let error = serde_json::from_slice::<ErrorBody<'_>>(body).ok();
            let short = |text: &str| text.chars().take(500).collect::<String>();
            AuthorityError::Rejected {
                status: status.as_u16(),
                code: error.as_ref().map_or_else(
                    || ErrorCode::UpstreamRejected.as_str().to_owned(),
                    |e| short(&e.error.code),
                ),
                message: error.as_ref().map_or_else(
                    || format!("the authority refused the request ({status})"),
                    |e| short(&e.error.message),
                ),
            }
        }
        code => AuthorityError::ServerError { status: code },
    }
}

/// Sorts a transport failure into refused, DNS, or broken connection.
fn classify_client_error(err: hyper_util::client::legacy::Error) -> AuthorityError {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => AuthorityError::ConnectionRefused,
                std::io::ErrorKind::TimedOut => AuthorityError::Timeout,
                _ => AuthorityError::ConnectionReset,
            };
        }
        if cause.to_string().contains("dns error") {
            return AuthorityError::Dns;
        }
        source = cause.source();
    }
    if err.is_connect() {
        AuthorityError::ConnectionRefused
    } else {
        AuthorityError::ConnectionReset
    }
}

fn mint_body(request: &MintRequest) -> MintBody {
    MintBody {
        entity: Value::from(request.entity.as_str()),
        name: request.name.clone(),
        metadata: request
            .metadata
            .as_ref()
            .map(|metadata| serde_json::from_str(metadata.as_json()).unwrap_or(Value::Null)),
        region: request.region.map(|region| region.digit().into()),
        jurisdiction: request.jurisdiction.map(|j| j.as_str().to_owned()),
        trust_level: request.trust_level.map(|trust| trust.level().into()),
    }
}

/// A request body as the JSON the protocol sends.
fn json_body(body: &impl Serialize) -> Result<Bytes, AuthorityError> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| AuthorityError::Unknown(anyhow::anyhow!("encoding a request: {e}")))
}

/// An ID the authority answered, parsed by the domain.
fn parse_id(text: &str) -> Result<ChittyId, AuthorityError> {
    ChittyId::parse(text).map_err(|err| {
        AuthorityError::MalformedResponse(format!("the authority's ID is not canonical: {err}"))
    })
}

impl MintAuthority for HttpAuthority {
    async fn mint(
        &self,
        request: &MintRequest,
        key: &UpstreamKey,
    ) -> Result<ChittyId, AuthorityError> {
        let body = json_body(&mint_body(request))?;
        let answer: AnsweredId = self
            .call_json(Method::POST, "/mint", Some(body), Some(key))
            .await?;
        let id = answer.id().ok_or_else(|| {
            AuthorityError::MalformedResponse("no chittyId in the answer".to_owned())
        })?;
        parse_id(id)
    }

    async fn mint_batch(
        &self,
        requests: &[MintRequest],
        key: &UpstreamKey,
    ) -> Result<Vec<ChittyId>, AuthorityError> {
        let body = json_body(&BatchBody {
            requests: requests.iter().map(mint_body).collect(),
        })?;
        let answer: AnsweredIds = self
            .call_json(Method::POST, "/mint/batch", Some(body), Some(key))
            .await?;
        let ids = answer.ids().ok_or_else(|| {
            AuthorityError::MalformedResponse("no chittyIds in the answer".to_owned())
        })?;
        if ids.len() != requests.len() {
            return Err(AuthorityError::MalformedResponse(format!(
                "asked for {} IDs, got {}",
                requests.len(),
                ids.len()
            )));
        }
        ids.iter().map(|id| parse_id(id)).collect()
    }

    async fn verify(&self, id: &ChittyId) -> Result<MintVerdict, AuthorityError> {
        let answer: ValidateAnswer = self
            .call_json(
                Method::GET,
                &format!("/validate/{}", id.as_str()),
                None,
                None,
            )
            .await?;
        Ok(if answer.valid {
            MintVerdict::Minted(MintFacts::from_answer(
                answer.entity.as_deref(),
                answer.minted_at.as_deref(),
            ))
        } else {
            MintVerdict::NotMinted
        })
    }

    /// Healthy when `/health` answers 2xx and the token is accepted: an authenticated probe
    /// (a validate call) that answers 401 or 403 fails the check as `Unauthorized`, so a wrong
    /// `CHITTY_ID_TOKEN` shows before the first mint. Also learns whether keys are honoured.
    async fn health(&self) -> Result<(), AuthorityError> {
        let (status, headers, body) = self.call(Method::GET, "/health", None, false, None).await?;
        if !status.is_success() {
            return Err(status_error(status, &headers, &body));
        }
        // Any 2xx is healthy (other authorities answer other documents); only this
        // protocol's document says whether keys are honoured.
        let honours = serde_json::from_slice::<AuthorityHealth>(&body)
            .is_ok_and(|health| health.idempotency_keys);
        self.honours_keys
            .store(honours, std::sync::atomic::Ordering::Relaxed);
        let (status, _, _) = self
            .call(
                Method::GET,
                &format!("/validate/{PROBE_ID}"),
                None,
                true,
                None,
            )
            .await?;
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(AuthorityError::Unauthorized);
        }
        Ok(())
    }

    fn honours_mint_keys(&self) -> bool {
        self.honours_keys.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The authority's mint log, for the gateway's witness. The endpoints are public: no token.
impl LogSource for HttpAuthority {
    async fn checkpoint(&self) -> Result<String, AuthorityError> {
        let (status, headers, body) = self
            .call(Method::GET, "/log/checkpoint", None, false, None)
            .await?;
        if !status.is_success() {
            return Err(status_error(status, &headers, &body));
        }
        String::from_utf8(body.to_vec()).map_err(|_| {
            AuthorityError::MalformedResponse("the checkpoint is not UTF-8 text".to_owned())
        })
    }

    async fn inclusion(
        &self,
        id: &ChittyId,
        size: Option<u64>,
    ) -> Result<Option<InclusionProof>, AuthorityError> {
        let size = size.map(|size| format!("?size={size}")).unwrap_or_default();
        let answer: LogInclusionProof = match self
            .call_json(
                Method::GET,
                &format!("/log/proof/{}{size}", id.as_str()),
                None,
                None,
            )
            .await
        {
            Ok(answer) => answer,
            Err(AuthorityError::Rejected { code, .. }) if code == "not_logged" => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(Some(InclusionProof {
            index: answer.index,
            tree_size: answer.tree_size,
            leaf: BASE64.decode(&answer.leaf).map_err(|_| {
                AuthorityError::MalformedResponse("the proof's leaf is not base64".to_owned())
            })?,
            hashes: decode_hashes(&answer.hashes)?,
        }))
    }

    async fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, AuthorityError> {
        let answer: LogConsistencyProof = self
            .call_json(
                Method::GET,
                &format!("/log/consistency?from={from}&to={to}"),
                None,
                None,
            )
            .await?;
        decode_hashes(&answer.hashes)
    }
}

fn decode_hashes(hashes: &[String]) -> Result<Vec<Hash>, AuthorityError> {
    chittyid_protocol::decode_proof_hashes(hashes).map_err(AuthorityError::MalformedResponse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_checked() {
        assert!(matches!(
            HttpAuthority::try_new("http://127.0.0.1:1/v1", None),
            Err(UpstreamConfigError::MissingToken)
        ));
        assert!(matches!(
            HttpAuthority::try_new("ftp://example/v1", Some("t")),
            Err(UpstreamConfigError::InvalidUrl(_))
        ));
        let authority =
            HttpAuthority::try_new("http://127.0.0.1:1", Some("secret-token")).expect("valid");
        assert_eq!(authority.base_url(), "http://127.0.0.1:1/api/v1");
        assert!(!format!("{authority:?}").contains("secret-token"));
    }

    #[test]
    fn ids_must_be_canonical() {
        assert_eq!(
            parse_id("03-1-USA-0001-P-2602-0-85")
                .expect("read")
                .as_str(),
            "03-1-USA-0001-P-2602-0-85"
        );
        assert!(matches!(
            parse_id("CT-A-CHI-1234-I-24-A-0"),
            Err(AuthorityError::MalformedResponse(_))
        ));
    }

    #[test]
    fn statuses_map_to_their_failure_classes() {
        let mut headers = http::HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert!(matches!(
            status_error(StatusCode::SERVICE_UNAVAILABLE, &headers, b""),
            AuthorityError::Unavailable { retry_after: Some(d) } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            status_error(StatusCode::TOO_MANY_REQUESTS, &http::HeaderMap::new(), b""),
            AuthorityError::RateLimited { retry_after: None }
        ));
        assert!(matches!(
            status_error(StatusCode::UNAUTHORIZED, &headers, b""),
            AuthorityError::Unauthorized
        ));
        assert!(matches!(
            status_error(StatusCode::CONFLICT, &headers, br#"{"error":{"code":"sequence_space_exhausted","message":"full"}}"#),
            AuthorityError::Rejected { status: 409, ref code, ref message } if code == "sequence_space_exhausted" && message == "full"
        ));
        assert!(matches!(
            status_error(StatusCode::BAD_GATEWAY, &headers, b""),
            AuthorityError::ServerError { status: 502 }
        ));
    }
}
