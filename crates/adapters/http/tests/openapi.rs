//! The committed OpenAPI documents are what the code generates, and they name every error code
//! the README promises. Regenerate with `CHITTYID_WRITE_OPENAPI=1 cargo test -p chittyid-http
//! --test openapi`.

use serde_json::{Value, json};

#[path = "support/schema.rs"]
mod schema;
use schema::conforms;

const AUTHORITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../docs/openapi/authority.json"
);
const GATEWAY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../docs/openapi/gateway.json"
);
const README: &str = include_str!("../../../../README.md");

/// Writes the document when asked to, then checks the committed one is what the code makes.
fn check_committed(path: &str, generated: &str) {
    if std::env::var_os("CHITTYID_WRITE_OPENAPI").is_some() {
        std::fs::write(path, format!("{generated}\n")).expect("write");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_else(|err| {
        panic!("{path}: {err}; generate it with CHITTYID_WRITE_OPENAPI=1 cargo test -p chittyid-http --test openapi")
    });
    assert_eq!(
        committed.trim_end(),
        generated,
        "{path} is stale: regenerate it with CHITTYID_WRITE_OPENAPI=1 cargo test -p \
         chittyid-http --test openapi"
    );
    let document: serde_json::Value = serde_json::from_str(generated).expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
}

#[test]
fn the_committed_authority_document_is_what_the_code_generates() {
    check_committed(
        AUTHORITY,
        &chittyid_http::contract::authority_openapi_json(),
    );
}

#[test]
fn the_committed_gateway_document_is_what_the_code_generates() {
    check_committed(GATEWAY, &chittyid_http::contract::gateway_openapi_json());
}

/// The codes in a README section's paragraph, written as `snake_case` words in backquotes.
fn codes_listed(section: &str, paragraph: &str) -> Vec<&'static str> {
    let section = README
        .split(section)
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_else(|| panic!("README has no {section} section"));
    let text = section
        .split(paragraph)
        .nth(1)
        .and_then(|rest| rest.split("\n- **").next())
        .unwrap_or_else(|| panic!("{section} has no {paragraph} paragraph"));
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| {
            word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') && word.contains('_')
        })
        .collect()
}

fn document_codes(document: &str) -> Vec<String> {
    let document: serde_json::Value = serde_json::from_str(document).expect("JSON");
    document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("an enum of codes")
        .iter()
        .filter_map(|code| code.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn every_error_code_the_readme_lists_for_the_gateway_is_in_its_document() {
    let codes = document_codes(&chittyid_http::contract::gateway_openapi_json());
    let mut listed = codes_listed("## The gateway", "- **Errors**");
    listed.extend(codes_listed("## The gateway", "- **Limits**"));
    listed.extend(codes_listed("## The gateway", "- **Idempotency**"));
    assert!(listed.len() >= 10, "{listed:?}");
    for code in listed {
        assert!(
            codes.iter().any(|c| c == code),
            "{code} is in the README's gateway section but not in the gateway's document"
        );
    }
}

#[test]
fn every_error_code_the_readme_lists_for_the_authority_is_in_its_document() {
    let codes = document_codes(&chittyid_http::contract::authority_openapi_json());
    let listed = codes_listed("## The authority", "- **Limits**");
    assert!(listed.len() >= 10, "{listed:?}");
    for code in listed {
        assert!(
            codes.iter().any(|c| c == code),
            "{code} is in the README but not in the document"
        );
    }
}

#[test]
fn validation_reports_of_every_kind_match_the_gateway_document() {
    use chittyid_domain::ValidationOptions;
    use chittyid_domain::report::ValidationReport;
    use chittyid_http::contract::{
        AuthorityVerdict, BatchResult, NotAString, ValidateBatchAnswer, VerifiedReport,
    };
    let document: Value =
        serde_json::from_str(&chittyid_http::contract::gateway_openapi_json()).expect("JSON");
    let report_schema = json!({"$ref": "#/components/schemas/ValidationReport"});
    let legacy = ValidationOptions {
        accept_legacy: true,
    };
    let inputs = [
        "03-1-USA-0001-P-2602-0-85",
        "03-1-USA-0001-P-251-3-79",
        "03-1-USA-O001-P-2602-0-85",
        "03-1-USA-0001-P-2602-0-84",
        "chitty_1234567890_abc123",
        "CT-A-CHI-1234-I-24-A-0",
        "",
        "\u{1F600}",
        "01-C-PEO-0042-P-2510-3-23",
        "01-C-PEO-0O42-P-2510-3-23",
        "00-1-ERR-5030-S-0000-0-0",
        "00-0-SYS-1111-H-1111-1-1",
    ];
    for input in inputs {
        for options in [ValidationOptions::default(), legacy] {
            let report = ValidationReport::new(input, options);
            let value = serde_json::to_value(&report).expect("serialises");
            if let Err(fault) = conforms(&value, &report_schema, &document, input) {
                panic!("{fault}");
            }
            for authority in [
                None,
                Some(AuthorityVerdict {
                    minted: true,
                    cached: false,
                }),
            ] {
                let verified = VerifiedReport {
                    report: report.clone(),
                    authority,
                };
                let value = serde_json::to_value(&verified).expect("serialises");
                if let Err(fault) = conforms(&value, &report_schema, &document, input) {
                    panic!("{fault}");
                }
            }
        }
    }
    let number = json!(42);
    let batch = ValidateBatchAnswer {
        results: vec![
            BatchResult::Report(ValidationReport::new(inputs[0], legacy)),
            BatchResult::NotAString(NotAString(&number)),
        ],
        valid: 1,
        invalid: 1,
    };
    let value = serde_json::to_value(&batch).expect("serialises");
    let batch_schema = json!({"$ref": "#/components/schemas/ValidateBatchAnswer"});
    if let Err(fault) = conforms(&value, &batch_schema, &document, "batch") {
        panic!("{fault}");
    }
    // The checker itself refuses what it should.
    let extra = json!({"input": "x", "valid": false, "format": "unknown", "error": null,
                       "suggestion": null, "components": null, "surprise": 1});
    assert!(conforms(&extra, &report_schema, &document, "extra").is_err());
}
