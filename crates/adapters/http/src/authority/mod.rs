//! The authority's HTTP API, the authority protocol of docs/format.md:
//! `POST /v1/mint`, `POST /v1/mint/batch`, `GET /v1/validate/{id}`, `GET /v1/health`, and
//! `GET /v1/metrics`.

use chittyid_app::error_code::ErrorCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bytes::Bytes;
use chittyid_app::authority::{
    AuthorityService, CallerHash, LogService, MintError, MintRequest, Minted, Verdict,
};
use http::{Response, StatusCode};
use http_body_util::Full;

use chittyid_protocol::LogReceipt;

use crate::contract::{
    AuthorityHealth, BatchAnswer, IdProblem, MintAnswer, ValidateAnswer, authority_openapi_json,
};
use crate::error::{ApiError, json_response};
use crate::extract::{IdInPath, IdempotencyKeyHeader, JsonBody, TokenCaller};
use crate::metrics::{
    AuthorityCollector, Metrics, MetricsBuilder, MintCounters, StoreWritesSource,
};
use crate::mint_body::{MAX_BATCH_BODY_BYTES, MAX_MINT_BODY_BYTES, parse_batch, parse_mint};
use crate::tokens::TokenSet;
use chittyid_app::rfc3339::rfc3339_millis;

pub struct AuthorityApi {
    service: Arc<AuthorityService>,
    log: Arc<LogService>,
    tokens: TokenSet,
    counters: Arc<MintCounters>,
    metrics: Metrics,
}

impl std::fmt::Debug for AuthorityApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityApi")
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl AuthorityApi {
    pub fn new(
        service: Arc<AuthorityService>,
        log: Arc<LogService>,
        tokens: TokenSet,
        store_writes: StoreWritesSource,
    ) -> Self {
        let counters = Arc::new(MintCounters::default());
        let metrics = MetricsBuilder::new()
            .collector(AuthorityCollector {
                mints: Arc::clone(&counters),
                store: store_writes,
            })
            .build();
        Self {
            service,
            log,
            tokens,
            counters,
            metrics,
        }
    }

    /// 200 when the store answers, 503 when it does not (so a gateway's monitor sees it).
    async fn health(&self) -> Response<Full<Bytes>> {
        let (status, word) = match self.service.health().await {
            Ok(()) => (StatusCode::OK, "ok"),
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "health check: the store does not answer");
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
        };
        json_response(
            status,
            &AuthorityHealth {
                status: word.to_owned(),
                service: "chittyid-authority".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                // Gateways read this to know that a mint repeated with its Idempotency-Key is
                // answered with the first one's IDs, and so may be retried after a timeout.
                idempotency_keys: true,
            },
        )
    }

    /// The digest of an accepted bearer token (for [`crate::extract::TokenCaller`]).
    pub(crate) fn authenticate(&self, headers: &http::HeaderMap) -> Result<[u8; 32], ApiError> {
        self.tokens.authenticate(headers)
    }

    async fn mint(
        &self,
        caller: CallerHash,
        key: Option<String>,
        body: &[u8],
        receipt: bool,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let request = parse_mint(body)?;
        let mut minted = self
            .service_mint(vec![request], caller, key.as_deref())
            .await?;
        let minted = minted.pop().expect("one request, one ID");
        let mut answer = minted_answer(&minted);
        if receipt {
            answer.receipt = self.receipt(&[minted.id]).await;
        }
        Ok(json_response(StatusCode::OK, &answer))
    }

    /// The mint log's receipt for IDs just minted; `None` (and a warning) when no checkpoint
    /// came in time: the IDs are minted and recorded all the same, and their proofs can be
    /// asked for later.
    async fn receipt(&self, ids: &[chittyid_domain::ChittyId]) -> Option<LogReceipt> {
        match self.log.receipt(ids).await {
            Ok((checkpoint, proofs)) => Some(LogReceipt {
                checkpoint: checkpoint.note.clone(),
                proofs: proofs.iter().map(log::proof_answer).collect(),
            }),
            Err(err) => {
                tracing::warn!(error = %err, "a mint's receipt could not be given");
                None
            }
        }
    }

    async fn mint_batch(
        &self,
        caller: CallerHash,
        key: Option<String>,
        body: &[u8],
        receipt: bool,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let requests = parse_batch(body)?;
        let minted = self.service_mint(requests, caller, key.as_deref()).await?;
        let ids: Vec<_> = minted.iter().map(|m| m.id).collect();
        let answer = BatchAnswer {
            chitty_ids: minted.iter().map(|m| m.id.as_str().to_owned()).collect(),
            results: minted.iter().map(minted_answer).collect(),
            receipt: if receipt {
                self.receipt(&ids).await
            } else {
                None
            },
        };
        Ok(json_response(StatusCode::OK, &answer))
    }

    async fn service_mint(
        &self,
        requests: Vec<MintRequest>,
        caller: CallerHash,
        key: Option<&str>,
    ) -> Result<Vec<Minted>, ApiError> {
        match self.service.mint_batch(requests, caller, key).await {
            Ok(minted) => {
                let fresh = minted.iter().filter(|m| !m.replayed).count() as u64;
                self.counters.minted.fetch_add(fresh, Ordering::Relaxed);
                Ok(minted)
            }
            Err(err) => {
                let err = mint_error(err);
                if err.status.is_server_error() {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                }
                Err(err)
            }
        }
    }

    /// Whether `input` was minted here, for any caller: that is the protocol. The name given
    /// at the mint is personal data of the caller that minted it, so it is answered only to
    /// that caller (the same token); others learn the ID, its entity and when it was minted.
    async fn validate(
        &self,
        input: &str,
        caller: CallerHash,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let verdict = self.service.validate(input).await.map_err(mint_error)?;
        let body = match verdict {
            Verdict::Malformed(err) => ValidateAnswer {
                valid: false,
                chitty_id: input.to_owned(),
                well_formed: false,
                minted_here: false,
                entity: None,
                name: None,
                entity_type: None,
                minted_at: None,
                error: Some(IdProblem {
                    code: err.code().to_owned(),
                    message: err.to_string(),
                }),
            },
            Verdict::NotMintedHere(id) => ValidateAnswer {
                valid: false,
                chitty_id: id.as_str().to_owned(),
                well_formed: true,
                minted_here: false,
                entity: None,
                name: None,
                entity_type: None,
                minted_at: None,
                error: Some(IdProblem {
                    code: ErrorCode::NotMintedHere.as_str().to_owned(),
                    message: "well formed, but this authority never minted it".to_owned(),
                }),
            },
            Verdict::Minted(record) => ValidateAnswer {
                valid: true,
                chitty_id: record.id.as_str().to_owned(),
                well_formed: true,
                minted_here: true,
                entity: Some(record.entity_name),
                name: record.name.filter(|_| record.caller == caller),
                entity_type: Some(record.id.entity_type().letter().to_string()),
                minted_at: Some(rfc3339_millis(record.minted_at_unix_ms)),
                error: None,
            },
        };
        Ok(json_response(StatusCode::OK, &body))
    }
}

impl AuthorityApi {
    /// The authority's routes, under `/v1` and again under `/api/v1` (where v2.2.0 base-URL
    /// normalisation sends clients given a bare host), with the edge layers. Mount it in a server
    /// of your own, or serve it with [`crate::server::serve`]. Each route's path is the one its
    /// handler's OpenAPI description gives ([`handlers`]), so the document and the router
    /// cannot disagree.
    pub fn router(self: Arc<Self>) -> Router {
        use crate::contract::route_path;
        use handlers::{
            __path_health, __path_metrics, __path_mint, __path_mint_batch, __path_validate,
        };
        type Api = State<Arc<AuthorityApi>>;
        let v1 = Router::new()
            .route(&route_path::<__path_health>(), get(handlers::health))
            .route(&route_path::<__path_metrics>(), get(handlers::metrics))
            .route(&route_path::<__path_validate>(), get(handlers::validate))
            .route(
                &route_path::<log::__path_checkpoint>(),
                get(log::checkpoint),
            )
            .route(&route_path::<log::__path_key>(), get(log::key))
            .route(&route_path::<log::__path_proof>(), get(log::proof))
            .route(
                &route_path::<log::__path_consistency>(),
                get(log::consistency),
            );
        // The mints, whose refusals (any 4xx, the extractors' too) the refusal counter counts.
        let mints = Router::new()
            .route(&route_path::<__path_mint>(), post(handlers::mint))
            .route(
                &route_path::<__path_mint_batch>(),
                post(handlers::mint_batch),
            )
            .route_layer(axum::middleware::map_response_with_state(
                Arc::clone(&self),
                |State(api): Api, response: axum::response::Response| async move {
                    // A 405 is no mint (another method on a mint path).
                    let status = response.status();
                    if status.is_client_error() && status != StatusCode::METHOD_NOT_ALLOWED {
                        api.counters.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    response
                },
            ));
        let v1 = v1.merge(mints);
        // Generated once; each answer shares the bytes.
        let document = Bytes::from(authority_openapi_json());
        let openapi =
            Router::new().route(
                "/openapi.json",
                get(move || async move {
                    ([(http::header::CONTENT_TYPE, "application/json")], document)
                }),
            );
        let routes = v1.clone().nest("/api", v1).merge(openapi);
        let http_metrics = self.metrics.http().clone();
        crate::edge::layers(routes.with_state(self), http_metrics)
    }
}

/// The authority's handlers, each with its OpenAPI description: the document is generated from
/// these (see [`crate::contract::AuthorityDoc`]) and the router serves them at the paths they
/// give.
pub(crate) mod handlers;
/// The mint log's endpoints.
pub(crate) mod log;

fn minted_answer(minted: &Minted) -> MintAnswer {
    MintAnswer {
        chitty_id: minted.id.as_str().to_owned(),
        entity: minted.entity_name.clone(),
        entity_type: minted.id.entity_type().letter().to_string(),
        timestamp: rfc3339_millis(minted.minted_at_unix_ms),
        version: format!("{:02}", minted.id.version().number()),
        receipt: None,
    }
}

fn mint_error(err: MintError) -> ApiError {
    match err {
        MintError::KeyReused => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::IdempotencyKeyReused,
            err.to_string(),
        ),
        MintError::SpaceExhausted(err) => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::SequenceSpaceExhausted,
            err.to_string(),
        ),
        MintError::ClockOutOfRange => {
            tracing::error!("the clock reads outside 2000-2099; refusing to mint");
            ApiError::internal()
        }
        MintError::Unavailable { retry_after } => {
            // The store's guard logged the failure once; each refusal is not news.
            let mut api = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StoreUnavailable,
                "the authority's store is unavailable; nothing was minted",
            );
            api.retry_after = Some(retry_after.as_secs().max(1));
            api
        }
        MintError::Store(err) | MintError::Ledger(err) => {
            tracing::error!(error = %format_args!("{err:#}"), "minting failed in the store");
            let mut api = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StoreUnavailable,
                "the authority could not reserve or record the ID; nothing was minted",
            );
            api.retry_after = Some(1);
            api
        }
    }
}

/// Decodes `%XX` escapes of a path segment, as WHATWG URL parsing does: a `%` that starts no
/// valid escape stays a `%`, and bytes that are no UTF-8 become U+FFFD. Whatever the client sent
/// is an input to report on (not an ID): every string the document allows must be answered
/// (found by schemathesis's stateful phase, which sends lone surrogates and bare `%`).
pub(crate) fn percent_decode(segment: &str) -> Result<String, ApiError> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| segment.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8(out)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_and_keeps_what_is_no_escape() {
        assert_eq!(percent_decode("03-1-USA").ok(), Some("03-1-USA".to_owned()));
        assert_eq!(percent_decode("a%20b%2D").ok(), Some("a b-".to_owned()));
        assert_eq!(percent_decode("%G0").ok(), Some("%G0".to_owned()));
        assert_eq!(percent_decode("%2").ok(), Some("%2".to_owned()));
        assert_eq!(percent_decode("100%").ok(), Some("100%".to_owned()));
        assert_eq!(percent_decode("%FF").ok(), Some("\u{FFFD}".to_owned()));
        assert_eq!(
            percent_decode("a%ED%A0%80b").ok(),
            Some("a\u{FFFD}\u{FFFD}\u{FFFD}b".to_owned())
        );
    }
}
