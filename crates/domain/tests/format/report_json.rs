//! The report's hand-written JSON (`ValidationReport::to_json`) is byte for byte what its
//! `Serialize` gives through `serde_json`, for every kind of input and both options.

use chittyid_domain::report::ValidationReport;
use chittyid_domain::{ValidationOptions, strategies};
use proptest::prelude::*;

fn same_json_either_way(input: &str) -> Result<(), TestCaseError> {
    for accept_legacy in [false, true] {
        let report = ValidationReport::new(input, ValidationOptions { accept_legacy });
        let by_hand = String::from_utf8(report.to_json()).expect("UTF-8");
        let by_serde = serde_json::to_string(&report).expect("serialises");
        prop_assert_eq!(
            by_hand,
            by_serde,
            "input {:?}, legacy {}",
            input,
            accept_legacy
        );
    }
    Ok(())
}

#[test]
fn the_shared_edge_cases_and_every_shape_match_serde() {
    let cases: Vec<String> =
        serde_json::from_str(include_str!("../../../../bindings/edge-cases.json"))
            .expect("the edge cases are a JSON array of strings");
    let shapes = [
        "03-1-USA-0001-P-2602-0-85",
        "03-1-USA-0001-P-251-3-79",
        "01-C-PEO-0042-P-2510-3-23",
        "CT-A-CHI-1234-I-24-A-0",
        "\"quoted\\back\u{1}slash\u{1f}\u{7f}\n\r\t\u{8}\u{c}\"",
        "ÄÖÜ-é-漢字-\u{2028}",
    ];
    for input in cases.iter().map(String::as_str).chain(shapes) {
        same_json_either_way(input).expect("the same JSON");
        let line = ValidationReport::of_line(input, ValidationOptions::default());
        assert_eq!(
            line.to_json(),
            serde_json::to_vec(&line).expect("serialises")
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn any_text_matches_serde(input in any::<String>()) {
        same_json_either_way(&input)?;
    }

    #[test]
    fn ids_and_their_near_misses_match_serde(
        id in strategies::chitty_id(),
        near in strategies::near_miss(),
        minted_2025 in strategies::authority_2025_id(),
    ) {
        same_json_either_way(id.as_str())?;
        same_json_either_way(&near)?;
        same_json_either_way(minted_2025.as_str())?;
    }

    #[test]
    fn placeholders_and_reserved_patterns_match_serde(
        placeholder in strategies::status_placeholder(),
        reserved in strategies::reserved_pattern(),
    ) {
        same_json_either_way(&placeholder)?;
        same_json_either_way(&reserved)?;
    }
}
