//! The WebAssembly side of the `chittyid-format` npm package: `chittyid-domain` behind
//! wasm-bindgen, answering in the JSON the command line prints. `js/api.js` turns the JSON into
//! objects and errors; reports cross the boundary as one string each, so that the package's
//! `JSON.stringify(validate(x))` is byte for byte `chittyid validate --json x`.

use chittyid_domain::report::{Inspection, LineReports, ParsedId, Summary, ValidationReport};
use chittyid_domain::{ChittyId, ValidationOptions, compute_checksum, validate};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn options(legacy: bool) -> ValidationOptions {
    ValidationOptions {
        accept_legacy: legacy,
    }
}

/// The reports, views and summaries serialise to JSON without fail: their keys are strings and
/// their values strings, numbers, booleans and nulls.
fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|err| unreachable!("reports serialise: {err}"))
}

/// The report `chittyid validate --json` prints for one input.
#[wasm_bindgen(js_name = validateJson)]
pub fn validate_json(input: &str, legacy: bool) -> String {
    json(&ValidationReport::new(input, options(legacy)))
}

/// One report per line of `text`, as `chittyid validate --json` reads its standard input: a JSON
/// array.
#[wasm_bindgen(js_name = validateLinesJson)]
pub fn validate_lines_json(text: &str, legacy: bool) -> String {
    json(&LineReports {
        text,
        options: options(legacy),
    })
}

#[wasm_bindgen(js_name = isValid)]
pub fn is_valid(input: &str, legacy: bool) -> bool {
    validate(input, options(legacy)).is_ok()
}

/// The valid ID one typo away from `input`, if there is exactly one.
#[wasm_bindgen]
pub fn suggestion(input: &str, legacy: bool) -> Option<String> {
    ValidationReport::new(input, options(legacy))
        .suggestion()
        .map(|s| s.as_str().to_owned())
}

/// What `chittyid inspect --json` prints, or `None` for an invalid input.
#[wasm_bindgen(js_name = inspectJson)]
pub fn inspect_json(input: &str, legacy: bool) -> Option<String> {
    validate(input, options(legacy))
        .ok()
        .map(|id| json(&Inspection::of(&id)))
}

/// The raw components of a canonical ID, or `None`.
#[wasm_bindgen(js_name = parseJson)]
pub fn parse_json(input: &str) -> Option<String> {
    ChittyId::parse(input)
        .ok()
        .map(|id| json(&ParsedId::of(&id)))
}

/// The summary `chittyid validate --summary --json` prints for `text` on standard input (the
/// object inside `{"summary": …}`).
#[wasm_bindgen(js_name = summaryOfTextJson)]
pub fn summary_of_text_json(text: &str, legacy: bool) -> String {
    json(&Summary::of_lines(text, options(legacy)))
}

/// The summary over a list of inputs, each one whole, as the command line counts its arguments.
#[wasm_bindgen(js_name = summaryOfListJson)]
pub fn summary_of_list_json(inputs: Vec<String>, legacy: bool) -> String {
    json(&Summary::of_inputs(
        inputs.iter().map(String::as_str),
        options(legacy),
    ))
}

/// The two check digits for the first seven segments of an ID (`03-1-USA-0001-P-2602-0`), or
/// `None` when they hold a character other than a digit, a capital letter or a hyphen.
#[wasm_bindgen]
pub fn checksum(body: &str) -> Option<String> {
    compute_checksum(body).map(|c| format!("{:02}", c.value()))
}
