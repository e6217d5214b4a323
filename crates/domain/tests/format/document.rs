//! `docs/format.md` states the format for users; this keeps it true: its vectors are valid IDs,
//! and each example of its shapes table is classified as the shape its row names.

use chittyid_domain::{ChittyId, Format, classify};

const DOCUMENT: &str = include_str!("../../../../docs/format.md");

#[test]
fn every_vector_in_the_format_document_is_a_valid_id() {
    let block = DOCUMENT
        .split("```vectors\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a vectors block");
    let vectors: Vec<&str> = block.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(vectors.len(), 6);
    for vector in vectors {
        assert!(ChittyId::parse(vector).is_ok(), "{vector}");
    }
}

#[test]
fn every_shape_in_the_format_document_is_named_by_the_library() {
    let mut rows = 0;
    for line in DOCUMENT.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, code, example, _, _] = cells.as_slice() else {
            continue;
        };
        let (Some(code), Some(example)) = (
            code.strip_prefix('`').and_then(|c| c.strip_suffix('`')),
            example.strip_prefix('`').and_then(|e| e.strip_suffix('`')),
        ) else {
            continue;
        };
        let Some(format) = Format::ALL.into_iter().find(|f| f.code() == code) else {
            continue;
        };
        assert_eq!(classify(example), format, "{example}");
        rows += 1;
    }
    assert_eq!(rows, Format::ALL.len(), "one row per format");
}
