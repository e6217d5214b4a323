//! The native side of the `chittyid-format` Python package: `chittyid-domain` behind PyO3,
//! answering in the JSON the command line prints. `python/chittyid/__init__.py` turns the JSON
//! into dicts and errors; reports cross as one string each, so that the package's reports
//! serialise back to `chittyid validate --json`'s lines byte for byte.

use chittyid_domain::report::{Inspection, LineReports, ParsedId, Summary, ValidationReport};
use chittyid_domain::{ChittyId, ValidationOptions, compute_checksum, validate};
use pyo3::prelude::*;
use serde::Serialize;

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
#[pyfunction]
#[pyo3(signature = (input, legacy = false))]
fn validate_json(input: &str, legacy: bool) -> String {
    json(&ValidationReport::new(input, options(legacy)))
}

/// One report per line of `text`, as `chittyid validate --json` reads its standard input: a JSON
/// array.
#[pyfunction]
#[pyo3(signature = (text, legacy = false))]
fn validate_lines_json(py: Python<'_>, text: &str, legacy: bool) -> String {
    let options = options(legacy);
    py.detach(|| json(&LineReports { text, options }))
}

#[pyfunction]
#[pyo3(signature = (input, legacy = false))]
fn is_valid(input: &str, legacy: bool) -> bool {
    validate(input, options(legacy)).is_ok()
}

/// The valid ID one typo away from `input`, if there is exactly one.
#[pyfunction]
#[pyo3(signature = (input, legacy = false))]
fn suggestion(input: &str, legacy: bool) -> Option<String> {
    ValidationReport::new(input, options(legacy))
        .suggestion()
        .map(|s| s.as_str().to_owned())
}

/// What `chittyid inspect` prints, or `None` for an invalid input.
#[pyfunction]
#[pyo3(signature = (input, legacy = false))]
fn inspect_json(input: &str, legacy: bool) -> Option<String> {
    validate(input, options(legacy))
        .ok()
        .map(|id| json(&Inspection::of(&id)))
}

/// The raw components of a canonical ID, or `None`.
#[pyfunction]
fn parse_json(input: &str) -> Option<String> {
    ChittyId::parse(input)
        .ok()
        .map(|id| json(&ParsedId::of(&id)))
}

/// The summary `chittyid validate --summary --json` prints for `text` on standard input.
#[pyfunction]
#[pyo3(signature = (text, legacy = false))]
fn summary_of_text_json(py: Python<'_>, text: &str, legacy: bool) -> String {
    let options = options(legacy);
    py.detach(|| json(&Summary::of_lines(text, options)))
}

/// The summary over a list of inputs, each one whole, as the command line counts its arguments.
#[pyfunction]
#[pyo3(signature = (inputs, legacy = false))]
fn summary_of_list_json(inputs: Vec<String>, legacy: bool) -> String {
    json(&Summary::of_inputs(
        inputs.iter().map(String::as_str),
        options(legacy),
    ))
}

/// The two check digits for the first seven segments of an ID (`03-1-USA-0001-P-2602-0`), or
/// `None` when they hold a character other than a digit, a capital letter or a hyphen.
#[pyfunction]
fn checksum(body: &str) -> Option<String> {
    compute_checksum(body).map(|c| format!("{:02}", c.value()))
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(validate_json, module)?)?;
    module.add_function(wrap_pyfunction!(validate_lines_json, module)?)?;
    module.add_function(wrap_pyfunction!(is_valid, module)?)?;
    module.add_function(wrap_pyfunction!(suggestion, module)?)?;
    module.add_function(wrap_pyfunction!(inspect_json, module)?)?;
    module.add_function(wrap_pyfunction!(parse_json, module)?)?;
    module.add_function(wrap_pyfunction!(summary_of_text_json, module)?)?;
    module.add_function(wrap_pyfunction!(summary_of_list_json, module)?)?;
    module.add_function(wrap_pyfunction!(checksum, module)?)?;
    Ok(())
}
