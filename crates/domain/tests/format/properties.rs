//! Properties of parsing, construction, serde and suggestions over generated input.

use chittyid_domain::{
    ChittyId, Format, ParseError, ValidationOptions, classify, strategies, suggest, validate,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn display_then_parse_round_trips(id in strategies::chitty_id()) {
        let shown = id.to_string();
        prop_assert_eq!(ChittyId::parse(&shown), Ok(id));
        prop_assert_eq!(id.as_str().len(), ChittyId::LEN);
    }

    #[test]
    fn the_constructor_always_yields_a_parseable_id(components in strategies::components()) {
        let id = ChittyId::from_components(components);
        let reparsed = ChittyId::parse(id.as_str());
        prop_assert_eq!(reparsed.map(|id| id.components()), Ok(components));
    }

    #[test]
    fn serde_round_trips(id in any::<ChittyId>()) {
        let json = serde_json::to_string(&id).expect("serialises");
        prop_assert_eq!(serde_json::from_str::<ChittyId>(&json).ok(), Some(id));
    }

    #[test]
    fn parse_never_panics_on_arbitrary_strings(input in any::<String>()) {
        let _ = ChittyId::parse(&input);
        let _ = classify(&input);
        let _ = suggest(&input);
        let _ = validate(&input, ValidationOptions { accept_legacy: true });
    }

    #[test]
    fn parse_never_panics_on_id_like_strings(input in "[0-9A-Za-z_ -]{0,40}") {
        let result = ChittyId::parse(&input);
        if let Err(err) = &result
            && let Some(position) = err.position()
        {
            prop_assert!(position >= 1 && position <= input.chars().count().max(1));
        }
        let _ = suggest(&input);
    }

    #[test]
    fn near_misses_are_never_valid((id, missed) in strategies::near_miss_of_id()) {
        prop_assert!(ChittyId::parse(&missed).is_err(), "{} accepted for {}", missed, id);
    }

    #[test]
    fn a_suggestion_for_a_near_miss_is_the_original_or_nothing(
        (id, missed) in strategies::near_miss_of_id()
    ) {
        let suggestion = suggest(&missed);
        prop_assert!(suggestion.is_none() || suggestion == Some(id), "{} -> {:?}", missed, suggestion);
    }

    #[test]
    fn errors_point_inside_the_input((_, missed) in strategies::near_miss_of_id()) {
        let err = ChittyId::parse(&missed).expect_err("near miss");
        if let Some(position) = err.position() {
            prop_assert!(position >= 1 && position <= missed.chars().count());
        }
        prop_assert!(!err.to_string().is_empty());
    }

    #[test]
    fn valid_ids_classify_as_canonical(id in any::<ChittyId>()) {
        prop_assert_eq!(classify(id.as_str()), Format::Canonical);
    }
}

#[test]
fn megabyte_inputs_are_refused_cheaply() {
    for input in [
        "0".repeat(1 << 20),
        "-".repeat(1 << 20),
        "é".repeat(1 << 19),
    ] {
        assert!(matches!(
            ChittyId::parse(&input),
            Err(ParseError::TooLong { .. })
        ));
        assert_eq!(classify(&input), Format::Unknown);
        assert_eq!(suggest(&input), None);
    }
}

/// The families found in real data: each strategy's output is named as its family, and
/// validation says what to do with it.
mod families {
    use chittyid_domain::{
        Format, ValidId, ValidationError, ValidationOptions, classify, strategies, suggest_2025,
        validate,
    };
    use proptest::prelude::*;

    const STRICT: ValidationOptions = ValidationOptions {
        accept_legacy: false,
    };
    const LEGACY: ValidationOptions = ValidationOptions {
        accept_legacy: true,
    };

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn a_2025_id_is_named_and_accepted_only_under_legacy(id in strategies::authority_2025_id()) {
            prop_assert_eq!(classify(id.as_str()), Format::Authority2025);
            prop_assert_eq!(validate(id.as_str(), LEGACY), Ok(ValidId::Authority2025(id)));
            prop_assert_eq!(
                validate(id.as_str(), STRICT).map_err(|e| e.code()),
                Err("legacy_not_accepted")
            );
            prop_assert_eq!(suggest_2025(id.as_str()), None);
        }

        #[test]
        fn a_2025_id_with_a_wrong_checksum_is_a_checksum_mismatch(
            id in strategies::authority_2025_id(),
            shift in 1u8..=96,
        ) {
            let stated = id.checksum().value();
            let wrong = (stated + shift) % 97;
            let text = format!("{}{wrong:02}", &id.as_str()[..23]);
            prop_assert_eq!(classify(&text), Format::Authority2025);
            for options in [STRICT, LEGACY] {
                prop_assert_eq!(validate(&text, options).map_err(|e| e.code()), Err("checksum_mismatch"));
            }
        }

        #[test]
        fn a_placeholder_is_named_and_decoded(text in strategies::status_placeholder()) {
            prop_assert_eq!(classify(&text), Format::StatusPlaceholder);
            let decoded = match validate(&text, LEGACY) {
                Err(ValidationError::StatusPlaceholder { placeholder }) => placeholder,
                other => return Err(TestCaseError::fail(format!("{text}: {other:?}"))),
            };
            let status: u16 = text[9..12].parse().expect("digits");
            prop_assert_eq!(decoded.status(), status);
        }

        #[test]
        fn a_reserved_pattern_is_never_an_id(text in strategies::reserved_pattern()) {
            prop_assert_eq!(classify(&text), Format::ReservedPattern);
            for options in [STRICT, LEGACY] {
                prop_assert_eq!(validate(&text, options).map_err(|e| e.code()), Err("reserved_pattern"));
            }
        }
    }
}
