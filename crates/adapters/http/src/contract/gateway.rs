//! The gateway's answers and its OpenAPI document.

use chittyid_app::error_code::ErrorCode;
use chittyid_app::gateway::{GeneratedId, HealthSnapshot, Readiness};
use chittyid_domain::report::{ErrorView, PlaceholderView, ValidationReport};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use utoipa::{OpenApi, ToSchema};

use super::{BearerAuth, ErrorBody, IdProblem};

/// One generated ID. Carries the fields of the authority's mint answer too (`version`,
/// `timestamp`), so that a client of the authority protocol reads it unchanged.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateAnswer {
    #[schema(example = "03-1-USA-0001-P-2602-0-85")]
    pub chitty_id: String,
    /// The entity name as the caller spelled it.
    pub entity: String,
    /// `P`, `L`, `T`, `E` or `A`.
    pub entity_type: String,
    /// `did:chitty:` and the ID.
    pub did: String,
    /// The format version, two digits.
    pub version: String,
    /// When it was answered, RFC 3339 in UTC.
    pub timestamp: String,
}

impl GenerateAnswer {
    /// `now_ms` stamps the answer, as the authority stamps its own.
    pub fn of(generated: &GeneratedId, now_ms: i64) -> Self {
        let id = &generated.id;
        Self {
            chitty_id: id.as_str().to_owned(),
            entity: generated.entity.clone(),
            entity_type: id.entity_type().letter().to_string(),
            did: id.to_did(),
            version: format!("{:02}", id.version().number()),
            timestamp: chittyid_app::rfc3339::rfc3339_millis(now_ms),
        }
    }
}

/// A generate's answer on the compatibility routes (`/v1/mint`, `/api/v1/mint`, `/mint`,
/// `/generate`): the ID also under the names ChittyOS callers read it from.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompatMintAnswer {
    #[schema(example = "03-1-USA-0001-P-2602-0-85")]
    pub chitty_id: String,
    /// The entity name (one of the nine; an alias is answered as the name it maps to, and
    /// kept in the record's metadata as `requestedEntity`).
    pub entity: String,
    /// `P`, `L`, `T`, `E` or `A`.
    pub entity_type: String,
    /// `did:chitty:` and the ID.
    pub did: String,
    /// The format version, two digits.
    pub version: String,
    /// When it was answered, RFC 3339 in UTC.
    pub timestamp: String,
    /// The ID again, for callers that read `chitty_id`.
    #[serde(rename = "chitty_id")]
    pub chitty_id_snake: String,
    /// The ID again, for callers that read `id`.
    pub id: String,
}

/// `GET /api/generate?...`: the mint answer with `success`, which the ChittyOS schema tools
/// check before reading `chittyId`.
#[derive(Debug, Serialize)]
pub struct QueryMintAnswer {
    pub success: bool,
    #[serde(flatten)]
    pub answer: CompatMintAnswer,
}

/// A refusal on `GET /api/generate`: `success: false` and the `message` those callers throw,
/// beside the error model's own `error` object.
#[derive(Debug, Serialize)]
pub struct QueryMintRefusal<'a> {
    pub success: bool,
    pub message: &'a str,
    pub error: super::ErrorDetail<'a>,
}

/// `GET /v1/permissions`: what the caller's API key may do, as ChittyOS scripts read it
/// (`"can_mint":true`).
#[derive(Debug, Serialize)]
pub struct PermissionsAnswer {
    pub can_mint: bool,
    pub can_validate: bool,
    pub can_read_metrics: bool,
    /// The key's scopes by name: `generate`, `validate`, `metrics`.
    pub scopes: Vec<&'static str>,
}

impl From<GenerateAnswer> for CompatMintAnswer {
    fn from(answer: GenerateAnswer) -> Self {
        Self {
            chitty_id_snake: answer.chitty_id.clone(),
            id: answer.chitty_id.clone(),
            chitty_id: answer.chitty_id,
            entity: answer.entity,
            entity_type: answer.entity_type,
            did: answer.did,
            version: answer.version,
            timestamp: answer.timestamp,
        }
    }
}

/// A batch: the IDs in request order, and each one's details.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateBatchAnswer {
    pub chitty_ids: Vec<String>,
    pub results: Vec<GenerateAnswer>,
}

/// `GET /health`: always 200 while the process serves.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayHealth {
    /// `ok`, or `degraded` whenever a generate would fail.
    #[schema(value_type = String, pattern = "^(ok|degraded)$")]
    pub status: &'static str,
    /// `circuit_open`, `authority_unreachable`, `audit_unavailable`.
    #[schema(value_type = Vec<String>)]
    pub problems: Vec<&'static str>,
    #[schema(value_type = String)]
    pub service: &'static str,
    #[schema(value_type = String)]
    pub version: &'static str,
    /// The connection to the authority: `DISCONNECTED`, `CONNECTING`, `CONNECTED`,
    /// `RECONNECTING` or `FAILED`.
    #[schema(value_type = String)]
    pub connection: &'static str,
    /// `CLOSED`, `HALF_OPEN` or `OPEN`.
    #[schema(value_type = String)]
    pub circuit_breaker: &'static str,
    pub components: SharedParts,
}

/// The state of the shared pieces: `ok`, `degraded` (a shared store does not answer and this
/// gateway works on its own), or `local` (nothing shared is configured).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SharedParts {
    #[schema(value_type = String, pattern = "^(local|ok|degraded)$")]
    pub cache: &'static str,
    #[schema(value_type = String, pattern = "^(local|ok|degraded)$")]
    pub rate_limit: &'static str,
}

impl SharedParts {
    pub fn of(health: &HealthSnapshot) -> Self {
        let word = |shared: Option<bool>| match shared {
            None => "local",
            Some(true) => "ok",
            Some(false) => "degraded",
        };
        Self {
            cache: word(health.cache.shared.map(|s| s.available)),
            rate_limit: word(health.rate_limit_shared),
        }
    }
}

impl GatewayHealth {
    pub fn of(health: &HealthSnapshot, readiness: Readiness) -> Self {
        Self {
            status: status_word(&readiness),
            problems: readiness.problems,
            service: "chittyid-gateway",
            version: env!("CARGO_PKG_VERSION"),
            connection: health.connection.name(),
            circuit_breaker: health.breaker.name(),
            components: SharedParts::of(health),
        }
    }
}

pub(crate) fn status_word(readiness: &Readiness) -> &'static str {
    if readiness.is_ready() {
        "ok"
    } else {
        "degraded"
    }
}

/// `GET /ready`: 200 when a generate would work, 503 with the reasons when not.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyAnswer {
    pub ready: bool,
    #[schema(value_type = Vec<String>)]
    pub problems: Vec<&'static str>,
}

/// `GET /v1/health` as the authority answers it: 200 while generates work, 503 when not.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayV1Health {
    /// `ok` or `unavailable`.
    #[schema(value_type = String, pattern = "^(ok|unavailable)$")]
    pub status: &'static str,
    #[schema(value_type = String)]
    pub service: &'static str,
    #[schema(value_type = String)]
    pub version: &'static str,
    /// A mint repeated with its `Idempotency-Key` gets the first one's IDs.
    pub idempotency_keys: bool,
    #[schema(value_type = Vec<String>)]
    pub problems: Vec<&'static str>,
}

/// `GET /v1/validate/{id}` as the authority answers it: `valid` means minted, asked through the
/// verdict cache.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayV1Validate {
    pub valid: bool,
    pub chitty_id: String,
    pub well_formed: bool,
    pub minted_here: bool,
    /// Whether the verdict came from the cache; absent when the ID is not well formed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<bool>,
    /// The ID's type letter (`P`, `L`, `T`, `E`, `A`), as the authority answers it; absent when
    /// the ID is not well formed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// The entity name asked for at the mint, as the authority answers it; only for a minted
    /// ID, and only when the authority says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// When the authority minted the ID (RFC 3339), as it answers it; only for a minted ID,
    /// and only when the authority says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<IdProblem>,
}

/// What the authority said of an ID, asked with `?verify=true`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct AuthorityVerdict {
    pub minted: bool,
    pub cached: bool,
}

/// The local report with the authority's verdict: `valid` is then whether the authority
/// minted it, and `authority` is null when the input is no canonical ID to ask about.
#[derive(Debug)]
pub struct VerifiedReport<'a> {
    pub report: ValidationReport<'a>,
    pub authority: Option<AuthorityVerdict>,
}

impl Serialize for VerifiedReport<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let report = &self.report;
        let valid = self
            .authority
            .map_or(report.is_valid(), |verdict| verdict.minted);
        let placeholder = report.placeholder();
        let mut out = serializer.serialize_struct("ValidationReport", 8)?;
        out.serialize_field("input", report.input())?;
        out.serialize_field("valid", &valid)?;
        out.serialize_field("format", report.format().code())?;
        // A well-formed ID the authority never minted is not valid: say why.
        let not_minted =
            self.authority.is_some_and(|verdict| !verdict.minted) && report.error().is_none();
        if not_minted {
            out.serialize_field(
                "error",
                &serde_json::json!({
                    "code": "not_minted",
                    "message": "well formed, but the authority never minted this ID",
                }),
            )?;
        } else {
            out.serialize_field("error", &report.error().map(ErrorView))?;
        }
        out.serialize_field("suggestion", &report.suggestion())?;
        out.serialize_field("components", &report.components())?;
        if let Some(placeholder) = &placeholder {
            out.serialize_field("placeholder", &PlaceholderView::of(placeholder))?;
        }
        out.serialize_field("authority", &self.authority)?;
        out.end()
    }
}

/// `POST /api/id/validate`: one result per input, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateBatchAnswer<'a> {
    #[schema(value_type = Vec<ValidationReportSchema>)]
    pub results: Vec<BatchResult<'a>>,
    pub valid: usize,
    pub invalid: usize,
}

/// One result of a validation batch.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BatchResult<'a> {
    Report(ValidationReport<'a>),
    /// An element that was not a string, reported with the same fields.
    NotAString(NotAString<'a>),
}

#[derive(Debug)]
pub struct NotAString<'a>(pub &'a serde_json::Value);

impl Serialize for NotAString<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let error = ReportErrorSchema {
            code: ErrorCode::NotAString.as_str().to_owned(),
            segment: None,
            position: None,
            message: "a ChittyID is a string".to_owned(),
        };
        let mut out = serializer.serialize_struct("ValidationReport", 6)?;
        out.serialize_field("input", self.0)?;
        out.serialize_field("valid", &false)?;
        out.serialize_field("format", "unknown")?;
        out.serialize_field("error", &error)?;
        out.serialize_field("suggestion", &None::<String>)?;
        out.serialize_field("components", &None::<ComponentsSchema>)?;
        out.end()
    }
}

/// The report on one input, as `chittyid validate --json` gives it. A schema: reports are
/// serialised by `chittyid_domain::report`, without building these structs (a test in this
/// crate checks both have the same fields).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ValidationReport)]
pub struct ValidationReportSchema {
    /// The input as given (in a batch, any JSON value that was not a string).
    pub input: serde_json::Value,
    /// Valid as the format says; with `?verify=true`, whether the authority minted it.
    pub valid: bool,
    /// The shape recognised: `canonical`, `legacy_year_month`, ... or `unknown`.
    pub format: String,
    pub error: Option<ReportErrorSchema>,
    /// A valid ID one typo away, when there is exactly one.
    pub suggestion: Option<String>,
    /// Null for an invalid input, and for the 2025 form (a letter region, an entity prefix).
    pub components: Option<ComponentsSchema>,
    /// Only for a status placeholder (`format` `status_placeholder`): the status it carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<PlaceholderSchema>,
    /// Only with `?verify=true`: the authority's verdict, null when the input is no canonical ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityVerdict>,
}

/// What a status placeholder carries (`00-1-ERR-5030-S-0000-0-0`: status, ERR, 503, 0).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Placeholder)]
pub struct PlaceholderSchema {
    /// `status`, `breaker_state`, `degraded_mode` or `recovery` (the G digit 1-4).
    pub kind: String,
    /// The three-letter code.
    pub code: String,
    /// The HTTP-like status (`503`).
    pub status: u16,
    pub variant: u8,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ReportError)]
pub struct ReportErrorSchema {
    /// Machine-readable, as `chittyid validate --json` gives it.
    pub code: String,
    /// The segment at fault, when one is.
    pub segment: Option<String>,
    /// The character position at fault, when one is.
    pub position: Option<u32>,
    pub message: String,
}

/// The components of a valid ID with their names.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Components)]
pub struct ComponentsSchema {
    pub version: ValueAndWord,
    pub region: ValueAndWord,
    pub jurisdiction: String,
    pub sequence: u16,
    pub entity_type: EntityTypeSchema,
    pub year_month: YearMonthSchema,
    pub trust_level: ValueAndWord,
    pub checksum: u8,
}

/// A digit and what it means (`name`, or `status` for the version).
#[derive(Debug, Serialize, ToSchema)]
pub struct ValueAndWord {
    pub value: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EntityType)]
pub struct EntityTypeSchema {
    pub letter: String,
    pub name: String,
}

/// `month` for canonical IDs; `possibleMonths` for legacy ones, whose month digit is ambiguous.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = YearMonth)]
pub struct YearMonthSchema {
    pub year: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible_months: Option<Vec<u8>>,
}

/// `POST /api/id/validate`'s body.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema: the handler parses the body itself
#[schema(as = ValidateBatchRequest)]
pub(crate) struct ValidateBatchRequestSchema {
    /// Up to 1,000 inputs; an element that is not a string is reported `not_a_string`.
    ids: Vec<serde_json::Value>,
    /// Accept the legacy year-month form.
    legacy: Option<bool>,
}

/// The gateway's document. The authority protocol's routes answer under `/api/v1/` too.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "chittyid gateway", description = "Generate ChittyIDs through the authority (retry, breaker, budget, rate limit, idempotency, audit) and validate them locally or with the authority through a cache. The authority protocol's routes (/v1/...) answer under /api/v1 too."),
    paths(
        crate::gateway::handlers::generate,
        crate::gateway::handlers::generate_batch,
        crate::gateway::handlers::validate,
        crate::gateway::handlers::validate_batch,
        crate::gateway::handlers::health,
        crate::gateway::handlers::ready,
        crate::gateway::handlers::health_document,
        crate::gateway::handlers::status_page,
        crate::gateway::handlers::status,
        crate::gateway::handlers::metrics,
        crate::gateway::handlers::v1_mint,
        crate::gateway::handlers::v1_mint_batch,
        crate::gateway::handlers::v1_validate,
        crate::gateway::handlers::v1_health
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct GatewayDoc;

/// The gateway's OpenAPI document, as JSON.
pub fn gateway_openapi_json() -> String {
    let codes: Vec<&str> = ErrorCode::EDGE
        .iter()
        .chain(ErrorCode::GATEWAY)
        .map(|code| code.as_str())
        .collect();
    super::document_json(
        GatewayDoc::openapi(),
        &codes,
        &[
            "/api/id/generate",
            "/api/id/generate/batch",
            "/v1/mint",
            "/v1/mint/batch",
        ],
        |doc| {
            use serde_json::json;
            let formats: Vec<&str> = chittyid_domain::Format::ALL
                .iter()
                .map(|format| format.code())
                .collect();
            let schemas = &mut doc["components"]["schemas"];
            schemas["ValidationReport"]["properties"]["format"]["enum"] = json!(formats);
            schemas["ValidateBatchRequest"]["properties"]["ids"]["maxItems"] =
                json!(crate::gateway::MAX_VALIDATE_BATCH);
        },
    )
}
