use serde_json::json;

use crate::helpers::chittyid;

#[test]
fn inspect_names_every_component() {
    let run = chittyid(&["inspect", "03-9-DEU-0000-E-2612-4-66"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(value["chittyId"], json!("03-9-DEU-0000-E-2612-4-66"));
    assert_eq!(value["did"], json!("did:chitty:03-9-DEU-0000-E-2612-4-66"));
    let components = &value["components"];
    assert_eq!(
        components["version"],
        json!({"value": 3, "status": "current"})
    );
    assert_eq!(
        components["region"],
        json!({"value": 9, "name": "Digital/virtual"})
    );
    assert_eq!(components["jurisdiction"], json!("DEU"));
    assert_eq!(components["sequence"], json!(0));
    assert_eq!(
        components["entityType"],
        json!({"letter": "E", "name": "Event"})
    );
    assert_eq!(components["yearMonth"], json!({"year": 2026, "month": 12}));
    assert_eq!(
        components["trustLevel"],
        json!({"value": 4, "name": "premium"})
    );
    assert_eq!(components["checksum"], json!(66));
}

#[test]
fn inspect_of_an_invalid_id_exits_one_with_the_reason() {
    let run = chittyid(&["inspect", "03-9-DEU-0000-E-2612-4-67"], b"");
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("expected 66, found 67"),
        "{}",
        run.stderr
    );
}

#[test]
fn inspect_shows_the_2025_form_under_legacy() {
    let run = chittyid(&["inspect", "--legacy", "01-C-PEO-0042-P-2510-3-23"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(value["format"], "authority_2025");
    assert_eq!(
        (
            &value["components"]["regionLetter"],
            &value["components"]["entityPrefix"]
        ),
        (&serde_json::json!("C"), &serde_json::json!("PEO"))
    );
    let strict = chittyid(&["inspect", "01-C-PEO-0042-P-2510-3-23"], b"");
    assert_eq!(strict.code, 1);
    assert!(strict.stderr.contains("2025 form"), "{}", strict.stderr);
}
