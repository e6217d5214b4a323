use serde_json::json;

use crate::helpers::chittyid;

const VALID: &str = "03-1-USA-0001-P-2602-0-85";
const BAD_CHECKSUM: &str = "03-1-USA-0001-P-2602-0-84";

#[test]
fn all_valid_arguments_exit_zero_with_one_line_each() {
    let run = chittyid(&["validate", VALID, "03-4-JPN-0420-L-2511-5-34"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.lines(),
        [
            "03-1-USA-0001-P-2602-0-85 valid",
            "03-4-JPN-0420-L-2511-5-34 valid"
        ]
    );
}

#[test]
fn any_invalid_argument_exits_one_and_says_shape_and_reason() {
    let run = chittyid(
        &["validate", VALID, BAD_CHECKSUM, "CHITTY-INFO-123-ABC"],
        b"",
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.lines(),
        [
            "03-1-USA-0001-P-2602-0-85 valid",
            "03-1-USA-0001-P-2602-0-84 invalid (shape: canonical): checksum at position 24: expected 85, found 84",
            "CHITTY-INFO-123-ABC invalid (shape: chitty_dash): not a canonical ChittyID: this is the deprecated CHITTY- simple form",
        ]
    );
}

#[test]
fn a_typo_is_answered_with_a_suggestion() {
    let run = chittyid(&["validate", "03-1-USA-0001-p-2602-0-85"], b"");
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .trim_end()
            .ends_with("(did you mean 03-1-USA-0001-P-2602-0-85?)"),
        "{}",
        run.stdout
    );
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(chittyid(&["validate", "--no-such-flag"], b"").code, 2);
    assert_eq!(chittyid(&["no-such-command"], b"").code, 2);
    assert_eq!(chittyid(&[], b"").code, 2);
}

#[test]
fn stdin_is_read_when_no_ids_are_given_or_dash_is() {
    let stdin = format!("{VALID}\r\n{BAD_CHECKSUM}\n");
    for args in [&["validate"][..], &["validate", "-"][..]] {
        let run = chittyid(args, stdin.as_bytes());
        assert_eq!(run.code, 1);
        assert_eq!(run.lines().len(), 2, "{}", run.stdout);
        assert!(run.lines()[0].ends_with(" valid"));
        assert!(run.lines()[1].starts_with(BAD_CHECKSUM));
    }
    let run = chittyid(&["validate", VALID, "-"], format!("{VALID}\n").as_bytes());
    assert_eq!((run.code, run.lines().len()), (0, 2));
}

#[test]
fn json_output_has_one_object_per_input_with_every_field() {
    let run = chittyid(&["validate", "--json", VALID, BAD_CHECKSUM], b"");
    assert_eq!(run.code, 1);
    let reports = run.json_lines();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["valid"], json!(true));
    assert_eq!(reports[0]["error"], json!(null));
    assert_eq!(reports[0]["components"]["entityType"]["letter"], json!("P"));
    assert_eq!(
        reports[1],
        json!({
            "input": BAD_CHECKSUM,
            "valid": false,
            "format": "canonical",
            "error": {
                "code": "checksum_mismatch",
                "segment": "checksum",
                "position": 24,
                "message": "checksum at position 24: expected 85, found 84"
            },
            "suggestion": null,
            "components": null
        })
    );
}

#[test]
fn legacy_ids_pass_only_with_the_legacy_flag() {
    let legacy = "03-1-USA-0001-P-251-3-79";
    let strict = chittyid(&["validate", "--json", legacy], b"");
    assert_eq!(strict.code, 1);
    assert_eq!(
        strict.json_lines()[0]["error"]["code"],
        json!("legacy_not_accepted")
    );
    let lenient = chittyid(&["validate", "--json", "--legacy", legacy], b"");
    assert_eq!(lenient.code, 0);
    assert_eq!(
        lenient.json_lines()[0]["format"],
        json!("legacy_year_month")
    );
}

#[test]
fn hostile_lines_are_reported_not_fatal() {
    let mut stdin = Vec::new();
    stdin.extend_from_slice(&vec![b'7'; 1 << 20]);
    stdin.extend_from_slice(b"\n\xff\xfe not utf-8\n\n   \n");
    stdin.extend_from_slice(VALID.as_bytes());
    let run = chittyid(&["validate", "--json"], &stdin);
    assert_eq!(run.code, 1);
    let reports = run.json_lines();
    assert_eq!(reports.len(), 5);
    assert_eq!(reports[0]["error"]["code"], json!("too_long"));
    assert!(
        reports[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1048576 bytes")),
        "{}",
        reports[0]
    );
    assert!(reports[0]["input"].as_str().is_some_and(|i| i.len() < 200));
    assert_eq!(reports[1]["error"]["code"], json!("invalid_utf8"));
    assert_eq!(reports[1]["error"]["position"], json!(1));
    assert_eq!(reports[2]["error"]["code"], json!("empty"));
    assert_eq!(reports[3]["error"]["code"], json!("segment_count"));
    assert_eq!(reports[4]["valid"], json!(true));
}

#[test]
fn a_hundred_thousand_ids_stream_through() {
    let mut stdin = String::new();
    for _ in 0..100_000 {
        stdin.push_str(VALID);
        stdin.push('\n');
    }
    let run = chittyid(&["validate"], stdin.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.lines().len(), 100_000);
}

/// An export holding one of each family: a valid ID, a 2025 ID, a 2025 typo, a placeholder, a
/// reserved pattern, a canonical typo and junk.
const EXPORT: &str = "03-1-USA-0001-P-2602-0-85\n01-C-PEO-0042-P-2510-3-23\n\
                      01-C-PEO-0042-P-2510-3-24\n00-1-ERR-5030-S-0000-0-0\n\
                      00-0-SYS-1111-H-1111-1-1\n03-1-USA-0001-P-2602-0-84\nhello\n";

#[test]
fn a_summary_counts_inputs_by_format_and_by_error_code() {
    let run = chittyid(&["validate", "--summary"], EXPORT.as_bytes());
    assert_eq!(run.code, 1);
    let lines = run.lines();
    assert_eq!(lines.len(), 7 + 3, "{}", run.stdout);
    assert!(lines[3].contains("status 503"), "{}", lines[3]);
    assert_eq!(lines[7], "summary: 7 inputs, 1 valid, 6 invalid");
    assert_eq!(
        lines[8],
        "by format: canonical 2, authority_2025 2, status_placeholder 1, reserved_pattern 1, unknown 1"
    );
    assert_eq!(
        lines[9],
        "by error: checksum_mismatch 2, legacy_not_accepted 1, reserved_pattern 1, \
         segment_count 1, status_placeholder 1"
    );
}

#[test]
fn a_quiet_json_summary_is_one_object_and_legacy_accepts_the_2025_form() {
    let run = chittyid(
        &["validate", "--summary", "--json", "--quiet", "--legacy"],
        EXPORT.as_bytes(),
    );
    assert_eq!(run.code, 1);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert_eq!(
        lines[0],
        json!({"summary": {
            "inputs": 7, "valid": 2, "invalid": 5,
            "formats": {"canonical": 2, "authority_2025": 2, "status_placeholder": 1,
                        "reserved_pattern": 1, "unknown": 1},
            "errors": {"checksum_mismatch": 2, "reserved_pattern": 1, "segment_count": 1,
                       "status_placeholder": 1},
        }})
    );
    let quiet = chittyid(&["validate", "--quiet"], EXPORT.as_bytes());
    assert_eq!((quiet.code, quiet.stdout.as_str()), (1, ""));
}

#[test]
fn the_json_report_decodes_a_placeholder_and_suggests_a_2025_correction() {
    let run = chittyid(
        &[
            "validate",
            "--json",
            "00-1-ERR-5030-S-0000-0-0",
            "01-C-PEO-0O42-P-2510-3-23",
        ],
        b"",
    );
    let reports = run.json_lines();
    assert_eq!(
        reports[0]["placeholder"],
        json!({"kind": "status", "code": "ERR", "status": 503, "variant": 0})
    );
    assert_eq!(reports[1]["suggestion"], "01-C-PEO-0042-P-2510-3-23");
}
