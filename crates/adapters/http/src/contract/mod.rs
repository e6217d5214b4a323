//! The HTTP contract of both servers as types: the answers their handlers serialise, and the
//! OpenAPI 3.1 documents generated from them (utoipa), served at `/openapi.json` and committed
//! as `docs/openapi/{authority,gateway}.json` (a test keeps each equal to what the code makes).

mod authority;
mod gateway;
mod health_document;
mod status;

pub use authority::{
    AuthorityDoc, AuthorityHealth, BatchAnswer, IdProblem, MintAnswer, ValidateAnswer,
    authority_openapi_json,
};
pub(crate) use gateway::ValidateBatchRequestSchema;
pub use gateway::{
    AuthorityVerdict, BatchResult, CompatMintAnswer, ComponentsSchema, EntityTypeSchema,
    GatewayDoc, GatewayHealth, GatewayV1Health, GatewayV1Validate, GenerateAnswer,
    GenerateBatchAnswer, NotAString, PermissionsAnswer, PlaceholderSchema, QueryMintAnswer,
    QueryMintRefusal, ReadyAnswer, ReportErrorSchema, SharedParts, ValidateBatchAnswer,
    ValidationReportSchema, ValueAndWord, VerifiedReport, YearMonthSchema, gateway_openapi_json,
};
pub use health_document::{
    BreakerDocument, CacheDocument, ConnectionDocument, ConnectionStatsDocument, HealthDocument,
    ResilienceDocument, SharedCacheDocument,
};
pub use status::{CacheTotals, GenerationTotals, LatencyBucket, StatusAnswer};

use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, ToSchema};

pub use chittyid_protocol::{ErrorBody, ErrorCode, ErrorDetail};

/// A mint request, as `POST /v1/mint` (and the gateway's generate) takes it, and each element of
/// a batch.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema: the body is parsed by `mint_body`, which names each fault
#[schema(as = MintRequest)]
pub(crate) struct MintRequestSchema {
    /// An entity name of any vocabulary (`PEO`, `person`, `P`, ...).
    entity: String,
    /// A name for the entity, kept with the ID (at most 256 characters).
    name: Option<String>,
    /// A JSON object, at most 10 KiB.
    metadata: Option<serde_json::Value>,
    /// 1-9.
    region: Option<u8>,
    /// An ISO 3166-1 alpha-3 code.
    jurisdiction: Option<String>,
    /// 0-5.
    #[schema(rename = "trustLevel")]
    trust_level: Option<u8>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema, as above
#[schema(as = BatchRequest)]
pub(crate) struct BatchRequestSchema {
    /// 1 to 100 requests.
    requests: Vec<MintRequestSchema>,
}

/// The axum route for a documented path, so that both routers serve each handler where its
/// description says: an ID in the path is captured whole (`{*id}`), so that an ID's own
/// characters never split or shift a route.
pub(crate) fn route_path<P: utoipa::Path>() -> String {
    P::path().replace("{id}", "{*id}")
}

pub(crate) struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A generated document as JSON text: a fixed version (the crate's would make the committed
/// document change with every release bump), the limits the derive cannot say, and the
/// server's error codes.
pub(crate) fn document_json(
    mut doc: utoipa::openapi::OpenApi,
    error_codes: &[&str],
    idempotent_paths: &[&str],
    constrain_answers: impl FnOnce(&mut Value),
) -> String {
    doc.info.version = "1".to_owned();
    let mut value = serde_json::to_value(&doc).expect("the document serialises");
    constrain_mint_request(&mut value, idempotent_paths);
    constrain_answers(&mut value);
    // Every answer is described whole: a field the document does not name is a contract
    // break that the conformance run reports, not something a client finds out.
    if let Some(schemas) = value["components"]["schemas"].as_object_mut() {
        for schema in schemas.values_mut() {
            if schema.get("properties").is_some() && schema.get("additionalProperties").is_none() {
                schema["additionalProperties"] = json!(false);
            }
        }
    }
    value["components"]["schemas"]["ErrorCode"] = json!({
        "type": "string",
        "description": "The machine-readable error codes this server answers with.",
        "enum": error_codes,
    });
    serde_json::to_string_pretty(&value).expect("the document serialises")
}

/// The limits of a mint request, written from the same constants the handlers enforce: the
/// entity vocabulary, the ISO 3166-1 codes, the ranges, the sizes. A request the document calls
/// valid is one the server accepts.
fn constrain_mint_request(doc: &mut Value, idempotent_paths: &[&str]) {
    let mut entities: Vec<&str> = chittyid_domain::V2_2_0_ENTITY_NAMES.to_vec();
    entities.extend(["P", "L", "T", "E", "A"]);
    let mut jurisdictions: Vec<Value> = chittyid_domain::ISO_3166_ALPHA3
        .iter()
        .map(|code| json!(code))
        .collect();
    jurisdictions.push(Value::Null);
    let request = &mut doc["components"]["schemas"]["MintRequest"]["properties"];
    request["entity"] = json!({"type": "string", "enum": entities});
    request["jurisdiction"] = json!({"type": ["string", "null"], "enum": jurisdictions});
    request["region"] = json!({"type": ["integer", "null"], "minimum": 1, "maximum": 9});
    request["trustLevel"] = json!({"type": ["integer", "null"], "minimum": 0, "maximum": 5});
    request["name"] = json!({
        "type": ["string", "null"],
        "maxLength": chittyid_app::authority::MAX_NAME_CHARS
    });
    request["metadata"] = json!({
        "type": ["object", "null"],
        "description": "A JSON object of at most 10 KiB as JSON text"
    });
    // Unknown fields are refused, by name.
    doc["components"]["schemas"]["MintRequest"]["additionalProperties"] = json!(false);
    doc["components"]["schemas"]["BatchRequest"]["additionalProperties"] = json!(false);
    let batch = &mut doc["components"]["schemas"]["BatchRequest"]["properties"]["requests"];
    batch["minItems"] = json!(1);
    batch["maxItems"] = json!(crate::mint_body::MAX_BATCH_REQUESTS);
    for path in idempotent_paths {
        if let Some(parameters) = doc["paths"][*path]["post"]["parameters"].as_array_mut() {
            for parameter in parameters {
                if parameter["name"] == "Idempotency-Key" {
                    parameter["schema"] = json!({
                        "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"
                    });
                }
            }
        }
    }
}
