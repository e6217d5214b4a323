//! The validation and utility behaviours the v2.2.0 suite checked , against the
//! canonical format. Generation behaviours belong to the service and are tested there.

use chittyid_domain::{
    ChittyId, EntityType, Segment, ValidationError, ValidationOptions, entity_type_letter,
    is_chitty_id, validate,
};

const VALID_FIXTURES: [&str; 6] = [
    "03-1-USA-0001-P-2602-0-85",
    "03-4-JPN-0420-L-2511-5-34",
    "03-2-BRA-9999-A-2601-1-95",
    "03-9-DEU-0000-E-2612-4-66",
    "03-6-AUS-3141-T-2509-2-59",
    "03-1-CAN-0777-P-2701-3-10",
];

fn strict(input: &str) -> Result<(), ValidationError> {
    validate(input, ValidationOptions::default()).map(|_| ())
}

#[test]
fn valid_fixtures_pass() {
    for fixture in VALID_FIXTURES {
        assert_eq!(strict(fixture), Ok(()), "{fixture}");
    }
}

#[test]
fn deprecated_forms_fail() {
    for input in [
        "chitty_1234567890_abc123",
        "CHITTY-INFO-123-ABC",
        "CHITTY-PROP-000001-B2D893F2",
    ] {
        assert_eq!(
            strict(input).map_err(|e| e.code()),
            Err("non_canonical_format"),
            "{input}"
        );
    }
}

#[test]
fn malformed_shapes_fail_with_the_segment_at_fault() {
    let cases = [
        ("03-1-USA-0001-P-2602-0", "segment_count", None),
        ("03-1-USA-0001-P-2602-0-85-00", "segment_count", None),
        (
            "03-1-US-0001-P-2602-0-85",
            "segment_length",
            Some(Segment::Jurisdiction),
        ),
        (
            "03-1-USA-001-P-2602-0-85",
            "segment_length",
            Some(Segment::Sequence),
        ),
        (
            "03-1-USA-0001-PE-2602-0-85",
            "segment_length",
            Some(Segment::EntityType),
        ),
        (
            "03-1-USA-0001-P-2602-0-8",
            "segment_length",
            Some(Segment::Checksum),
        ),
        (
            "3-1-USA-0001-P-2602-0-85",
            "segment_length",
            Some(Segment::Version),
        ),
    ];
    for (input, code, segment) in cases {
        let err = strict(input).expect_err(input);
        assert_eq!(
            (err.code(), err.segment()),
            (code, segment),
            "{input}: {err}"
        );
    }
}

#[test]
fn format_has_eight_parts_each_matching_its_rule() {
    for fixture in VALID_FIXTURES {
        let parts: Vec<&str> = fixture.split('-').collect();
        assert_eq!(parts.len(), 8);
        let id = ChittyId::parse(fixture).expect("fixture");
        assert_eq!(parts[0], format!("{:02}", id.version().number()));
        assert_eq!(parts[1], id.region().digit().to_string());
        assert_eq!(parts[2], id.jurisdiction().as_str());
        assert_eq!(parts[3], format!("{:04}", id.sequence().value()));
        assert_eq!(parts[4], id.entity_type().letter().to_string());
        assert_eq!(
            parts[5],
            format!(
                "{:02}{:02}",
                id.year_month().year_of_century(),
                id.year_month().month()
            )
        );
        assert_eq!(parts[6], id.trust_level().level().to_string());
        assert_eq!(parts[7], id.checksum().to_string());
    }
}

#[test]
fn utilities_extract_the_type_letter_or_nothing() {
    assert_eq!(entity_type_letter(VALID_FIXTURES[0]), Some('P'));
    assert_eq!(entity_type_letter(VALID_FIXTURES[2]), Some('A'));
    assert_eq!(entity_type_letter("not an id"), None);
    assert!(is_chitty_id(VALID_FIXTURES[3]));
    assert!(!is_chitty_id(""));
}

#[test]
fn unsupported_entity_names_are_refused_with_the_v2_2_0_message() {
    for input in ["INVALID_TYPE", ""] {
        let message = EntityType::from_name(input).expect_err(input).to_string();
        assert_eq!(
            message,
            format!(
                "Unsupported ChittyID entity type: {input}. Use one of PEO, PLACE, PROP, EVNT, AUTH, INFO, FACT, CONTEXT, ACTOR."
            )
        );
    }
}

#[test]
fn non_string_json_values_are_not_ids() {
    for json in [
        "null",
        "7",
        "-1",
        "1.5",
        "false",
        "{}",
        "[]",
        "[1,2]",
        "{\"chittyId\":null}",
    ] {
        assert!(serde_json::from_str::<ChittyId>(json).is_err(), "{json}");
    }
}
