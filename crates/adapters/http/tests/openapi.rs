//! The committed OpenAPI documents are what the code generates, and they name every error code
//! the README promises. Regenerate with `CHITTYID_WRITE_OPENAPI=1 cargo test -p chittyid-http
//! --test openapi`.

const AUTHORITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../docs/openapi/authority.json"
);
const README: &str = include_str!("../../../../README.md");

#[test]
fn the_committed_authority_document_is_what_the_code_generates() {
    let generated = chittyid_http::contract::authority_openapi_json();
    if std::env::var_os("CHITTYID_WRITE_OPENAPI").is_some() {
        std::fs::write(AUTHORITY, format!("{generated}\n")).expect("write");
    }
    let committed = std::fs::read_to_string(AUTHORITY).unwrap_or_else(|err| {
        panic!("{AUTHORITY}: {err}; generate it with CHITTYID_WRITE_OPENAPI=1 cargo test -p chittyid-http --test openapi")
    });
    assert_eq!(
        committed.trim_end(),
        generated,
        "docs/openapi/authority.json is stale: regenerate it with CHITTYID_WRITE_OPENAPI=1 \
         cargo test -p chittyid-http --test openapi"
    );
    let document: serde_json::Value = serde_json::from_str(&generated).expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
}

#[test]
fn every_error_code_the_readme_lists_for_the_authority_is_in_its_document() {
    let document: serde_json::Value =
        serde_json::from_str(&chittyid_http::contract::authority_openapi_json()).expect("JSON");
    let codes: Vec<&str> = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("an enum of codes")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let section = README
        .split("## The authority")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the authority section");
    let limits = section
        .split("- **Limits**")
        .nth(1)
        .and_then(|rest| rest.split("\n- **").next())
        .expect("its Limits paragraph");
    let listed: Vec<&str> = limits
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| {
            word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') && word.contains('_')
        })
        .collect();
    assert!(listed.len() >= 10, "{listed:?}");
    for code in listed {
        assert!(
            codes.contains(&code),
            "{code} is in the README but not in the document"
        );
    }
}
