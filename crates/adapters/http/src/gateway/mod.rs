//! The gateway's HTTP API: generate (one and batch), validate (one, with `?verify=true`, and
//! batch), health (`/health` and the v2.2.0 health document), and Prometheus metrics.

use chittyid_app::error_code::ErrorCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bytes::Bytes;
use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::{
    GatewayError, GatewayService, IdempotencyKey, KeyDirectory, Scope, with_request_id,
};
use chittyid_domain::report::ValidationReport;
use chittyid_domain::{ChittyId, ReservedPattern, ValidationError, ValidationOptions};
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::Deserialize;
use serde_json::Value;

use crate::body::parse_json;
use crate::contract::{
    AuthorityVerdict, BatchResult, CompatMintAnswer, GatewayHealth, GatewayV1Health,
    GatewayV1Validate, GenerateAnswer, GenerateBatchAnswer, HealthDocument, IdProblem, NotAString,
    PermissionsAnswer, QueryMintAnswer, ReadyAnswer, StatusAnswer, ValidateBatchAnswer,
    VerifiedReport,
};
use crate::error::{ApiError, json_bytes_response, json_response};
use crate::extract::{
    Caller, GENERATE, IdInPath, IdempotencyKeyHeader, JsonBody, RequestId, VALIDATE, ValidateFlags,
};
use crate::metrics::{GatewayCollector, GatewayState, Metrics, MetricsBuilder};
use crate::mint_body::{
    MAX_BATCH_BODY_BYTES, MAX_MINT_BODY_BYTES, mint_request_dialect, parse_batch,
    parse_batch_dialect, parse_mint, parse_mint_dialect,
};

/// Which request shapes a generate route reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// The gateway's own `/api/id` contract: its fields only.
    Strict,
    /// The compatibility routes: the ChittyOS callers' dialects too.
    Callers,
}
use crate::tokens::TokenSet;
use tokio_util::task::TaskTracker;

/// Most IDs in one `POST /api/id/validate`.
pub const MAX_VALIDATE_BATCH: usize = 1_000;
/// Largest body of `POST /api/id/validate`.
pub const MAX_VALIDATE_BODY_BYTES: usize = 256 * 1024;
/// The status page: one self-contained file (inline style and script, no external assets).
const STATUS_PAGE: &str = include_str!("status.html");
/// The page loads nothing from elsewhere and talks only to this gateway.
const STATUS_PAGE_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";
/// The `Idempotency-Key` header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub struct GatewayApi {
    service: Arc<GatewayService>,
    api_keys: Arc<KeyDirectory>,
    /// Whether `/metrics` answers only a key with the metrics scope.
    metrics_require_key: bool,
    /// Entity names outside the nine, for the compatibility routes.
    entity_aliases: crate::dialects::EntityAliases,
    /// Origins whose browsers may call this gateway (CORS); none by default.
    cors_origins: Vec<http::HeaderValue>,
    /// Keyed generates run in tasks of their own, so that a client going away does not cancel
    /// a mint whose result its key must replay; tracked, so that shutdown can wait for them.
    detached: TaskTracker,
    metrics: Metrics,
    collector: GatewayCollector,
    started: std::time::Instant,
}

impl std::fmt::Debug for GatewayApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayApi")
            .field("api_keys", &self.api_keys.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBatch {
    ids: Vec<Value>,
    /// `null` as absent, as the document allows.
    #[serde(default)]
    legacy: Option<bool>,
}

impl GatewayApi {
    /// A gateway that accepts `api_keys` (every scope, the configured rate).
    pub fn new(service: Arc<GatewayService>, api_keys: TokenSet) -> Self {
        let directory = KeyDirectory::with_fixed(api_keys.digests().iter().copied(), "environment");
        Self::with_key_directory(service, Arc::new(directory))
    }

    /// A gateway that accepts the keys of `api_keys`, each within its scopes.
    pub fn with_key_directory(service: Arc<GatewayService>, api_keys: Arc<KeyDirectory>) -> Self {
        let collector = GatewayCollector::default();
        let metrics = MetricsBuilder::new().collector(collector.clone()).build();
        Self {
            service,
            api_keys,
            metrics_require_key: false,
            entity_aliases: crate::dialects::EntityAliases::default(),
            cors_origins: Vec::new(),
            detached: TaskTracker::new(),
            metrics,
            collector,
            started: std::time::Instant::now(),
        }
    }

    /// `/metrics` answers only requests with a key that has the metrics scope (`401` or
    /// `403` otherwise); by default it answers anyone who can reach it.
    #[must_use]
    pub fn require_key_for_metrics(mut self, required: bool) -> Self {
        self.metrics_require_key = required;
        self
    }

    /// Maps entity names outside the nine on the compatibility routes (the defaults of
    /// [`crate::dialects::DEFAULT_ENTITY_ALIASES`] otherwise).
    #[must_use]
    pub fn with_entity_aliases(mut self, aliases: crate::dialects::EntityAliases) -> Self {
        self.entity_aliases = aliases;
        self
    }

    /// Lets browsers on `origins` (`https://explorer.example`) call this gateway: CORS answers
    /// for them, with `Authorization`, `Content-Type`, `Idempotency-Key` and `X-Request-Id`
    /// allowed. Others get no CORS headers, so their browsers refuse the answers.
    #[must_use]
    pub fn with_cors_origins(mut self, origins: Vec<http::HeaderValue>) -> Self {
        self.cors_origins = origins;
        self
    }

    /// The caller of a request whose key may do `scope`: `401` without an accepted key, `403
    /// insufficient_scope` when the key may not.
    pub(crate) fn authorize(
        &self,
        headers: &http::HeaderMap,
        scope: Scope,
    ) -> Result<CallerHash, ApiError> {
        let digest = crate::tokens::bearer_digest(headers)?;
        self.api_keys
            .with_grant(&digest, self.service.clock().unix_ms(), |grant| {
                if !grant.scopes.contains(scope) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        ErrorCode::InsufficientScope,
                        format!(
                            "the API key {:?} may not {}; its scopes are {}",
                            grant.name,
                            scope.as_str(),
                            grant.scopes
                        ),
                    ));
                }
                grant.uses.record(scope);
                Ok(CallerHash(digest))
            })
            .ok_or_else(crate::tokens::invalid_token)?
    }

    /// Waits, at most `limit`, for keyed generates still running after their clients left;
    /// true if none is left. Shutdown calls this (once the server has stopped taking requests)
    /// before the final flush.
    pub async fn wait_for_detached(&self, limit: Duration) -> bool {
        self.detached.close();
        tokio::time::timeout(limit, self.detached.wait())
            .await
            .is_ok()
    }

    /// The gateway's routes with the edge layers. Mount it in a server of your own, or serve it
    /// with [`crate::server::serve`].
    pub fn router(self: Arc<Self>) -> Router {
        use crate::contract::route_path;
        use handlers::{
            __path_generate, __path_generate_batch, __path_health, __path_health_document,
            __path_metrics, __path_ready, __path_status, __path_status_page, __path_v1_health,
            __path_v1_mint, __path_v1_mint_batch, __path_v1_validate, __path_validate,
            __path_validate_batch,
        };
        type Api = State<Arc<GatewayApi>>;
        // The documented routes, each at the path its handler's description gives.
        let mut routes = Router::new()
            .route(&route_path::<__path_health>(), get(handlers::health))
            .route(&route_path::<__path_ready>(), get(handlers::ready))
            .route(
                &route_path::<__path_health_document>(),
                get(handlers::health_document),
            )
            .route(
                &route_path::<__path_status_page>(),
                get(handlers::status_page),
            )
            .route(&route_path::<__path_status>(), get(handlers::status))
            .route(&route_path::<__path_metrics>(), get(handlers::metrics))
            .route(
                &route_path::<__path_validate_batch>(),
                post(handlers::validate_batch),
            )
            .route(&route_path::<__path_validate>(), get(handlers::validate))
            .route(&route_path::<__path_generate>(), post(handlers::generate))
            .route(
                &route_path::<__path_generate_batch>(),
                post(handlers::generate_batch),
            )
            // Their aliases (the descriptions name them).
            .route("/api/id/mint", post(handlers::generate))
            .route("/api/id/mint/batch", post(handlers::generate_batch));
        // The authority protocol too, so that a v2.2.0 client pointed at this gateway (as its
        // CHITTYID_SERVICE_URL) works unchanged, with an API key as its bearer token; under
        // /api/v1 as well (below).
        let mut v1 = Router::new()
            .route(&route_path::<__path_v1_health>(), get(handlers::v1_health))
            .route(
                &route_path::<__path_v1_validate>(),
                get(handlers::v1_validate),
            )
            .route(&route_path::<__path_v1_mint>(), post(handlers::v1_mint))
            .route(
                &route_path::<__path_v1_mint_batch>(),
                post(handlers::v1_mint_batch),
            );
        // The compatibility routes: the ChittyOS callers' paths and dialects (see
        // docs/format.md, "The callers' dialects", and `crate::dialects`), outside the
        // gateway's own contract. The same handlers answer them.
        for path in ["/v1/mint/", "/v1/mint/batch/"] {
            let handler = if path.contains("batch") {
                post(handlers::v1_mint_batch)
            } else {
                post(handlers::v1_mint)
            };
            v1 = v1.route(path, handler);
        }
        for path in [
            "/mint",
            "/mint/",
            "/generate",
            "/generate/",
            "/api/v2/chittyid/mint",
        ] {
            routes = routes.route(path, post(handlers::v1_mint));
        }
        for path in ["/mint/batch", "/mint/batch/"] {
            routes = routes.route(path, post(handlers::v1_mint_batch));
        }
        // The TypeScript client given a bare host asks at the root what it asks under /v1.
        routes = routes.route("/validate/{*id}", get(handlers::v1_validate));
        v1 = v1
            .route("/v1/lookup/{*id}", get(handlers::v1_validate))
            .route("/v1/{id}", get(handlers::v1_validate));
        // The ID in the body, under the name the caller gives it.
        let validate_body = || {
            post(
                |State(api): Api,
                 Caller(caller): Caller<VALIDATE>,
                 RequestId(request_id): RequestId,
                 JsonBody(body): JsonBody<MAX_MINT_BODY_BYTES>| async move {
                    api.v1_validate_body(caller, request_id, &body)
                        .await
                        .into_response()
                },
            )
        };
        v1 = v1
            .route("/v1/validate", validate_body())
            .route("/v1/validate/", validate_body());
        routes = routes.route("/api/v2/chittyid/verify", validate_body());
        // What a key may do, as ChittyOS scripts ask before minting.
        v1 = v1.route(
            "/v1/permissions",
            get(|State(api): Api, headers: http::HeaderMap| async move {
                api.permissions(&headers).into_response()
            }),
        );
        // The schema tools' GET with the mint in the query; refusals in their shape too
        // (`success: false`, `message`), so the caller is authenticated here, not by the
        // extractor's standard refusal.
        let generate_query = || {
            get(
                |State(api): Api,
                 caller: Result<Caller<GENERATE>, ApiError>,
                 key: Result<IdempotencyKeyHeader, ApiError>,
                 RequestId(request_id): RequestId,
                 RawQuery(query): RawQuery| async move {
                    let answered = match (caller, key) {
                        (Ok(Caller(caller)), Ok(IdempotencyKeyHeader(key))) => {
                            let query = query.unwrap_or_default();
                            api.generate_from_query(caller, key, request_id, &query)
                                .await
                        }
                        (Err(refused), _) | (_, Err(refused)) => Err(refused),
                    };
                    answered.unwrap_or_else(ApiError::into_query_refusal)
                },
            )
        };
        routes = routes
            .route("/api/generate", generate_query())
            .route("/api/generate/", generate_query());
        // Generated once; each answer shares the bytes.
        let document = Bytes::from(crate::contract::gateway_openapi_json());
        let openapi =
            Router::new().route(
                "/openapi.json",
                get(move || async move {
                    ([(http::header::CONTENT_TYPE, "application/json")], document)
                }),
            );
        let routes = routes.merge(v1.clone()).nest("/api", v1).merge(openapi);
        let http_metrics = self.metrics.http().clone();
        let cors = crate::cors::layer(&self.cors_origins);
        let router = crate::edge::layers(routes.with_state(self), http_metrics);
        // Browsers (a chain explorer, a dashboard) on the configured origins only. Layered
        // last, around the edge's own 405 answers, so that their preflights are answered.
        match cors {
            Some(cors) => router.layer(cors),
            None => router,
        }
    }

    /// `GET /v1/health` as the authority answers it: 200 while generates work, 503 when not.
    async fn v1_health(&self) -> Response<Full<Bytes>> {
        let readiness = self.service.readiness().await;
        let status = if readiness.is_ready() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        let answer = GatewayV1Health {
            status: if readiness.is_ready() {
                "ok"
            } else {
                "unavailable"
            },
            service: "chittyid-gateway",
            version: env!("CARGO_PKG_VERSION"),
            idempotency_keys: true,
            problems: readiness.problems,
        };
        json_response(status, &answer)
    }

    /// `GET /v1/validate/{id}` as the authority answers it (`valid` means minted), through the
    /// verdict cache.
    /// `POST /v1/validate` and `POST /api/v2/chittyid/verify`: the ID in the body, under the
    /// name the caller gives it (`chittyId`, `chitty_id`, `chittyid` or `id`).
    async fn v1_validate_body(
        &self,
        caller: CallerHash,
        request_id: Option<String>,
        body: &[u8],
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let value: Value = parse_json(body)?;
        let input = ["chittyId", "chitty_id", "chittyid", "id"]
            .iter()
            .find_map(|field| value.get(*field).and_then(Value::as_str))
            .ok_or_else(|| {
                ApiError::bad_request(
                    ErrorCode::InvalidField,
                    "send the ID as chittyId (or chitty_id, chittyid, id)",
                )
            })?
            .to_owned();
        self.v1_validate_input(input, caller, request_id).await
    }

    async fn v1_validate_input(
        &self,
        input: String,
        caller: CallerHash,
        request_id: Option<String>,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        self.service
            .check_validation_budget(caller, 1)
            .await
            .map_err(gateway_error)?;
        if let Some(pattern) = ReservedPattern::of(&input) {
            self.service.report_suspicious(&[(&input, pattern)], caller);
            return Ok(json_response(
                StatusCode::OK,
                &GatewayV1Validate {
                    valid: false,
                    chitty_id: input.clone(),
                    well_formed: false,
                    minted_here: false,
                    cached: None,
                    entity_type: None,
                    entity: None,
                    minted_at: None,
                    error: Some(IdProblem {
                        code: "reserved_pattern".to_owned(),
                        message: format!(
                            "not an ID: {pattern}, which a client treats as a command or a test mock"
                        ),
                    }),
                },
            ));
        }
        let answer = match ChittyId::parse(&input) {
            Err(err) => GatewayV1Validate {
                valid: false,
                chitty_id: input,
                well_formed: false,
                minted_here: false,
                cached: None,
                entity_type: None,
                entity: None,
                minted_at: None,
                error: Some(IdProblem {
                    code: err.code().to_owned(),
                    message: err.to_string(),
                }),
            },
            Ok(id) => {
                let verified = with_request_id(request_id, self.service.verify(&id, caller))
                    .await
                    .map_err(gateway_error)?;
                let minted = verified.minted_by_authority();
                let facts = verified.verdict.facts().cloned().unwrap_or_default();
                GatewayV1Validate {
                    valid: minted,
                    chitty_id: id.as_str().to_owned(),
                    well_formed: true,
                    minted_here: minted,
                    cached: Some(verified.from_cache),
                    entity_type: Some(id.entity_type().letter().to_string()),
                    entity: facts.entity,
                    minted_at: facts.minted_at,
                    error: None,
                }
            }
        };
        Ok(json_response(StatusCode::OK, &answer))
    }

    #[allow(clippy::too_many_arguments)] // the request's parts, each from its extractor
    async fn generate(
        &self,
        caller: CallerHash,
        key_header: Option<String>,
        request_id: Option<String>,
        body: Bytes,
        batch: bool,
        dialect: Dialect,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let requests = match (batch, dialect) {
            (true, Dialect::Strict) => parse_batch(&body)?,
            (false, Dialect::Strict) => vec![parse_mint(&body)?],
            (true, Dialect::Callers) => parse_batch_dialect(&body, &self.entity_aliases)?,
            (false, Dialect::Callers) => vec![parse_mint_dialect(&body, &self.entity_aliases)?],
        };
        let mut results = self
            .generate_answers(caller, key_header, request_id, requests)
            .await?;
        Ok(if batch {
            let answer = GenerateBatchAnswer {
                chitty_ids: results.iter().map(|r| r.chitty_id.clone()).collect(),
                results,
            };
            json_response(StatusCode::OK, &answer)
        } else if dialect == Dialect::Callers {
            json_response(
                StatusCode::OK,
                &CompatMintAnswer::from(results.swap_remove(0)),
            )
        } else {
            json_response(StatusCode::OK, &results.swap_remove(0))
        })
    }

    /// `GET /api/generate?type=P&region=1&jurisdiction=USA&trust=3&identifier=...`, as the
    /// ChittyOS schema tools ask: the query is read as a mint in the callers' dialects (see
    /// [`crate::dialects::mint_from_query`]) and answered with `success` beside the ID.
    async fn generate_from_query(
        &self,
        caller: CallerHash,
        key_header: Option<String>,
        request_id: Option<String>,
        query: &str,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let mint = crate::dialects::mint_from_query(query)?;
        let requests = vec![mint_request_dialect(mint, &self.entity_aliases)?];
        let mut results = self
            .generate_answers(caller, key_header, request_id, requests)
            .await?;
        Ok(json_response(
            StatusCode::OK,
            &QueryMintAnswer {
                success: true,
                answer: CompatMintAnswer::from(results.swap_remove(0)),
            },
        ))
    }

    /// `GET /v1/permissions`: what the caller's key may do, for any accepted key.
    fn permissions(&self, headers: &http::HeaderMap) -> Result<Response<Full<Bytes>>, ApiError> {
        let digest = crate::tokens::bearer_digest(headers)?;
        let scopes = self
            .api_keys
            .with_grant(&digest, self.service.clock().unix_ms(), |grant| {
                grant.scopes
            })
            .ok_or_else(crate::tokens::invalid_token)?;
        Ok(json_response(
            StatusCode::OK,
            &PermissionsAnswer {
                can_mint: scopes.contains(Scope::Generate),
                can_validate: scopes.contains(Scope::Validate),
                can_read_metrics: scopes.contains(Scope::Metrics),
                scopes: Scope::ALL
                    .into_iter()
                    .filter(|scope| scopes.contains(*scope))
                    .map(Scope::as_str)
                    .collect(),
            },
        ))
    }

    /// Generates the IDs these requests ask for (under the client's idempotency key, if it sent
    /// one), and answers each.
    async fn generate_answers(
        &self,
        caller: CallerHash,
        key_header: Option<String>,
        request_id: Option<String>,
        requests: Vec<chittyid_app::authority::MintRequest>,
    ) -> Result<Vec<GenerateAnswer>, ApiError> {
        let key = key_header
            .map(|key| IdempotencyKey::for_requests(&key, &requests))
            .transpose()
            .map_err(|err| {
                ApiError::bad_request(ErrorCode::InvalidIdempotencyKey, err.to_string())
            })?;
        let generated = match key {
            // With a key, the result must be stored for replay even if this client goes away:
            // the work runs in its own task, which a dropped connection does not cancel.
            Some(key) => {
                let service = Arc::clone(&self.service);
                self.detached
                    .spawn(with_request_id(request_id, async move {
                        service.generate(requests, caller, Some(&key)).await
                    }))
                    .await
                    .map_err(|_| ApiError::internal())?
            }
            None => {
                with_request_id(request_id, self.service.generate(requests, caller, None)).await
            }
        }
        .map_err(gateway_error)?;
        let now_ms = chittyid_app::unix_now_ms();
        Ok(generated
            .iter()
            .map(|generated| GenerateAnswer::of(generated, now_ms))
            .collect())
    }

    async fn validate_one(
        &self,
        input: &str,
        flags: ValidateFlags,
        caller: CallerHash,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        self.service
            .check_validation_budget(caller, 1)
            .await
            .map_err(gateway_error)?;
        let verify = flags.verify;
        let options = ValidationOptions {
            accept_legacy: flags.legacy,
        };
        let report = ValidationReport::new(input, options);
        self.service.metrics().record_validations(1);
        if let Some(ValidationError::ReservedPattern { pattern }) = report.error() {
            self.service.report_suspicious(&[(input, *pattern)], caller);
        }
        if !verify {
            return Ok(json_bytes_response(StatusCode::OK, report.to_json()));
        }
        let authority = match ChittyId::parse(input) {
            Ok(id) => {
                let verified = self
                    .service
                    .verify(&id, caller)
                    .await
                    .map_err(gateway_error)?;
                Some(AuthorityVerdict {
                    minted: verified.minted_by_authority(),
                    cached: verified.from_cache,
                })
            }
            Err(_) => None,
        };
        Ok(json_response(
            StatusCode::OK,
            &VerifiedReport { report, authority },
        ))
    }

    async fn validate_batch(
        &self,
        caller: CallerHash,
        body: &[u8],
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let batch: ValidateBatch = parse_json(body)?;
        if batch.ids.len() > MAX_VALIDATE_BATCH {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BatchSize,
                format!(
                    "a validation batch holds at most {MAX_VALIDATE_BATCH} IDs; this one holds {}",
                    batch.ids.len()
                ),
            ));
        }
        self.service
            .check_validation_budget(caller, batch.ids.len())
            .await
            .map_err(gateway_error)?;
        let options = ValidationOptions {
            accept_legacy: batch.legacy.unwrap_or(false),
        };
        let results: Vec<BatchResult<'_>> = batch
            .ids
            .iter()
            .map(|value| match value {
                Value::String(input) => BatchResult::Report(ValidationReport::new(input, options)),
                other => BatchResult::NotAString(NotAString(other)),
            })
            .collect();
        self.service.metrics().record_validations(results.len());
        let suspicious: Vec<(&str, ReservedPattern)> = results
            .iter()
            .filter_map(|result| match result {
                BatchResult::Report(report) => match report.error() {
                    Some(ValidationError::ReservedPattern { pattern }) => {
                        Some((report.input(), *pattern))
                    }
                    _ => None,
                },
                BatchResult::NotAString(_) => None,
            })
            .collect();
        self.service.report_suspicious(&suspicious, caller);
        let valid = results
            .iter()
            .filter(|r| matches!(r, BatchResult::Report(report) if report.is_valid()))
            .count();
        let invalid = results.len() - valid;
        Ok(json_response(
            StatusCode::OK,
            &ValidateBatchAnswer {
                results,
                valid,
                invalid,
            },
        ))
    }

    /// Liveness: 200 while the process serves; `status` is `degraded`, with the reasons,
    /// whenever a generate would fail.
    async fn health(&self) -> Response<Full<Bytes>> {
        let health = self.service.health().await;
        let readiness = self.service.readiness_of(&health).await;
        json_response(StatusCode::OK, &GatewayHealth::of(&health, readiness))
    }

    /// Readiness, for load balancers: 503 whenever a generate would fail.
    async fn ready(&self) -> Response<Full<Bytes>> {
        let readiness = self.service.readiness().await;
        let status = if readiness.is_ready() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        let answer = ReadyAnswer {
            ready: readiness.is_ready(),
            problems: readiness.problems,
        };
        json_response(status, &answer)
    }

    async fn health_document(&self) -> Response<Full<Bytes>> {
        let health = self.service.health().await;
        let readiness = self.service.readiness_of(&health).await;
        json_response(StatusCode::OK, &HealthDocument::of(&health, readiness))
    }

    /// What the status page draws.
    async fn status(&self) -> Response<Full<Bytes>> {
        let health = self.service.health().await;
        let readiness = self.service.readiness_of(&health).await;
        let answer = StatusAnswer::of(
            &health,
            readiness,
            &self.service.metrics_snapshot(),
            self.started.elapsed().as_secs_f64(),
            chittyid_app::unix_now_ms(),
        );
        json_response(StatusCode::OK, &answer)
    }

    /// Prometheus: the registry, with the service's state read now.
    async fn metrics(&self, headers: &http::HeaderMap) -> Response<Full<Bytes>> {
        let health = self.service.health().await;
        let readiness = self.service.readiness_of(&health).await;
        self.collector.update(GatewayState {
            health,
            readiness,
            counters: self.service.metrics_snapshot(),
            key_usage: self.api_keys.usage(),
        });
        self.metrics.answer(headers)
    }
}

fn seconds_for_header(duration: Duration) -> u64 {
    (duration.as_secs() + u64::from(duration.subsec_nanos() > 0)).max(1)
}

fn gateway_error(err: GatewayError) -> ApiError {
    let message = err.to_string();
    let (status, code, retry_after) = match &err {
        GatewayError::RateLimited { retry_after, .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            Some(*retry_after),
        ),
        GatewayError::BatchOverLimit { .. } => (
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchExceedsRateLimit,
            None,
        ),
        GatewayError::ValidationRateLimited { retry_after, .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ValidationRateLimited,
            Some(*retry_after),
        ),
        GatewayError::ValidationBatchOverLimit { .. } => (
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchExceedsValidationBudget,
            None,
        ),
        GatewayError::IdempotencyMismatch => {
            (StatusCode::CONFLICT, ErrorCode::IdempotencyKeyReused, None)
        }
        GatewayError::IdempotencyOutcomeUnknown => (
            StatusCode::CONFLICT,
            ErrorCode::IdempotencyOutcomeUnknown,
            None,
        ),
        GatewayError::IdempotencyUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::IdempotencyUnavailable,
            Some(Duration::from_secs(1)),
        ),
        GatewayError::IdempotencyInProgress => (
            StatusCode::CONFLICT,
            ErrorCode::IdempotencyInProgress,
            Some(Duration::from_secs(1)),
        ),
        GatewayError::BreakerOpen(rejected) => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::CircuitOpen,
            Some(rejected.retry_in.unwrap_or(Duration::from_secs(1))),
        ),
        GatewayError::Unavailable { retry_after, .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable,
            Some(retry_after.unwrap_or(Duration::from_secs(1))),
        ),
        GatewayError::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::UpstreamTimeout,
            None,
        ),
        GatewayError::BadUpstream | GatewayError::LogUnverified(_) => {
            (StatusCode::BAD_GATEWAY, ErrorCode::BadUpstream, None)
        }
        GatewayError::LogForked(_) => {
            (StatusCode::BAD_GATEWAY, ErrorCode::AuthorityLogForked, None)
        }
        GatewayError::Misconfigured => (StatusCode::BAD_GATEWAY, ErrorCode::UpstreamAuth, None),
        GatewayError::AuditUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::AuditUnavailable,
            Some(Duration::from_secs(1)),
        ),
        GatewayError::Rejected { status, code, .. } => {
            let status = StatusCode::from_u16(*status)
                .ok()
                .filter(StatusCode::is_client_error)
                .unwrap_or(StatusCode::BAD_GATEWAY);
            // The authority's own code when it is one of ours (`sequence_space_exhausted`);
            // any other is `upstream_rejected`, so that every code answered is one the
            // document lists, and the authority's code is told in the message.
            return match ErrorCode::parse(code) {
                Some(known) => ApiError::new(status, known, message),
                None => ApiError::new(
                    status,
                    ErrorCode::UpstreamRejected,
                    format!("{message} (the authority's code: {code})"),
                ),
            };
        }
    };
    let mut api = ApiError::new(status, code, message);
    api.retry_after = retry_after.map(seconds_for_header);
    api
}

/// The gateway's documented handlers, each with its OpenAPI description: the document is
/// generated from these (see [`crate::contract::GatewayDoc`]) and the router serves them at the
/// paths they give (and at the aliases the router adds).
pub(crate) mod handlers;

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(code: &str) -> ApiError {
        gateway_error(GatewayError::Rejected {
            status: 409,
            code: code.to_owned(),
            message: "full".to_owned(),
        })
    }

    #[test]
    fn an_authoritys_refusal_keeps_a_known_code_and_names_an_unknown_one() {
        let known = rejected("sequence_space_exhausted");
        assert_eq!(
            (known.status, known.code),
            (StatusCode::CONFLICT, ErrorCode::SequenceSpaceExhausted)
        );
        let unknown = rejected("<script>");
        assert_eq!(unknown.code, ErrorCode::UpstreamRejected);
        assert!(unknown.message.contains("(the authority's code: <script>)"));
    }
}
