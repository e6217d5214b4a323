//! The answer to "is this a ChittyID?" for one input, as the command line, the HTTP API and the
//! JavaScript and Python packages give it: validity, the shape, the exact fault, a suggestion,
//! and the components with their names; and the counts over many inputs ([`Summary`]).
//!
//! It lives in the domain crate so that every interface serialises the same report from one
//! definition: the packages' answers are byte-identical to `chittyid validate --json`'s.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};

mod json;

use crate::{
    Authority2025Id, ChittyId, EntityType, Format, Jurisdiction, LegacyChittyId, MAX_INPUT_LEN,
    ParseError, Region, StatusPlaceholder, TrustLevel, ValidId, ValidationError, ValidationOptions,
    Version, classify, suggest, suggest_2025, validate,
};

/// The verdict on one input. Borrows the input: building and serialising a report allocates
/// nothing, so bulk validation is bounded by I/O.
#[derive(Debug, Clone)]
pub struct ValidationReport<'a> {
    input: &'a str,
    outcome: Result<ValidId, ValidationError>,
    format: Format,
    suggestion: Option<Suggestion>,
}

/// How much of a line the line readers keep: anything longer is reported as too long, with its
/// real length, without holding the rest of it.
pub const MAX_LINE_KEPT: usize = MAX_INPUT_LEN + 1;

/// The lines of an export as `chittyid validate` reads its standard input: split at `\n`, with
/// no line after a final newline. Each keeps its `\r`, which [`ValidationReport::of_line`]
/// drops.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_terminator('\n')
}

/// The report of every line of `text` ([`lines`], [`ValidationReport::of_line`]), serialised as
/// one array as they are made: what `chittyid validate --json` prints for `text` on its
/// standard input, one element per line.
#[derive(Debug, Clone, Copy)]
pub struct LineReports<'t> {
    pub text: &'t str,
    pub options: ValidationOptions,
}

impl Serialize for LineReports<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer
            .collect_seq(lines(self.text).map(|line| ValidationReport::of_line(line, self.options)))
    }
}

/// A valid ID one typo away from the input: canonical, or of the 2025 form for 2025-shaped
/// input. Serialised as the ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion {
    Canonical(ChittyId),
    Authority2025(Authority2025Id),
}

impl Suggestion {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Canonical(id) => id.as_str(),
            Self::Authority2025(id) => id.as_str(),
        }
    }
}

impl std::fmt::Display for Suggestion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Suggestion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'a> ValidationReport<'a> {
    pub fn new(input: &'a str, options: ValidationOptions) -> Self {
        match validate(input, options) {
            Ok(valid) => Self {
                input,
                format: valid.format(),
                outcome: Ok(valid),
                suggestion: None,
            },
            Err(err) => {
                let format = classify(input);
                // A typo may leave a character no slot of the form holds, so that the input is of
                // no shape: then either form may be one typo away.
                let suggestion = match format {
                    Format::Authority2025 => suggest_2025(input).map(Suggestion::Authority2025),
                    _ => suggest(input).map(Suggestion::Canonical).or_else(|| {
                        (format == Format::Unknown)
                            .then(|| suggest_2025(input).map(Suggestion::Authority2025))
                            .flatten()
                    }),
                };
                Self {
                    input,
                    format,
                    outcome: Err(err),
                    suggestion,
                }
            }
        }
    }

    /// The report for an input refused before it could be read as text: too long to keep whole
    /// (`input` is the kept prefix) or not UTF-8 (`input` is a lossy rendering). Lets a reader
    /// cap what it buffers per input and still say what was wrong.
    pub fn refused(input: &'a str, error: ParseError) -> Self {
        Self {
            input,
            outcome: Err(ValidationError::Malformed(error)),
            format: Format::Unknown,
            suggestion: None,
        }
    }

    /// The report for one line of an export, as `chittyid validate` gives it for a line of its
    /// standard input: a trailing `\r` is dropped, and a line longer than [`MAX_LINE_KEPT`] bytes
    /// is refused as too long (with its real length), its input cut to the kept prefix.
    pub fn of_line(line: &'a str, options: ValidationOptions) -> Self {
        if line.len() > MAX_LINE_KEPT {
            let mut end = MAX_LINE_KEPT;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            return Self::refused(&line[..end], ParseError::TooLong { length: line.len() });
        }
        Self::new(line.strip_suffix('\r').unwrap_or(line), options)
    }

    pub fn input(&self) -> &'a str {
        self.input
    }

    pub fn is_valid(&self) -> bool {
        self.outcome.is_ok()
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn error(&self) -> Option<&ValidationError> {
        self.outcome.as_ref().err()
    }

    pub fn suggestion(&self) -> Option<Suggestion> {
        self.suggestion
    }

    /// The decoded status of a status placeholder.
    pub fn placeholder(&self) -> Option<StatusPlaceholder> {
        match self.error() {
            Some(ValidationError::StatusPlaceholder { placeholder }) => Some(*placeholder),
            _ => None,
        }
    }

    pub fn components(&self) -> Option<ComponentsView> {
        self.outcome.as_ref().ok().and_then(ComponentsView::of)
    }
}

impl Serialize for ValidationReport<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let placeholder = self.placeholder();
        let fields = 6 + usize::from(placeholder.is_some());
        let mut report = serializer.serialize_struct("ValidationReport", fields)?;
        report.serialize_field("input", self.input)?;
        report.serialize_field("valid", &self.is_valid())?;
        report.serialize_field("format", self.format.code())?;
        report.serialize_field("error", &self.error().map(ErrorView))?;
        report.serialize_field("suggestion", &self.suggestion)?;
        report.serialize_field("components", &self.components())?;
        // Only for status placeholders: the status they carry.
        if let Some(placeholder) = placeholder {
            report.serialize_field("placeholder", &PlaceholderView::of(&placeholder))?;
        }
        report.end()
    }
}

/// What a status placeholder carries: `{"kind", "code", "status", "variant"}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PlaceholderView<'p> {
    pub kind: &'static str,
    pub code: &'p str,
    pub status: u16,
    pub variant: u8,
}

impl<'p> PlaceholderView<'p> {
    pub fn of(placeholder: &'p StatusPlaceholder) -> Self {
        Self {
            kind: placeholder.kind().code(),
            code: placeholder.code(),
            status: placeholder.status(),
            variant: placeholder.variant(),
        }
    }
}

/// `{"code", "segment", "position", "message"}`, the error shape every chittyid interface uses.
#[derive(Debug, Clone, Copy)]
pub struct ErrorView<'e>(pub &'e ValidationError);

impl Serialize for ErrorView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut error = serializer.serialize_struct("Error", 4)?;
        error.serialize_field("code", self.0.code())?;
        error.serialize_field("segment", &self.0.segment().map(|s| s.code()))?;
        error.serialize_field("position", &self.0.position())?;
        error.serialize_field("message", &DisplayAsStr(self.0))?;
        error.end()
    }
}

/// Serialises a `Display` value as a string without building it first.
struct DisplayAsStr<'d, D>(&'d D);

impl<D: std::fmt::Display> Serialize for DisplayAsStr<'_, D> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// The components of a valid ID with their human names, as `inspect` shows them.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentsView {
    pub version: VersionView,
    pub region: NamedDigit,
    pub jurisdiction: Jurisdiction,
    pub sequence: u16,
    pub entity_type: EntityTypeView,
    pub year_month: YearMonthView,
    pub trust_level: NamedDigit,
    pub checksum: u8,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct VersionView {
    pub value: u8,
    pub status: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct NamedDigit {
    pub value: u8,
    pub name: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct EntityTypeView {
    pub letter: char,
    pub name: &'static str,
}

/// `month` for canonical IDs; `possibleMonths` for legacy ones, whose month digit is ambiguous.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct YearMonthView {
    pub year: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible_months: Option<&'static [u8]>,
}

impl VersionView {
    fn of(version: Version) -> Self {
        Self {
            value: version.number(),
            status: version.status(),
        }
    }
}

impl NamedDigit {
    fn region(region: Region) -> Self {
        Self {
            value: region.digit(),
            name: region.name(),
        }
    }

    fn trust_level(trust_level: TrustLevel) -> Self {
        Self {
            value: trust_level.level(),
            name: trust_level.name(),
        }
    }
}

impl EntityTypeView {
    fn of(entity_type: EntityType) -> Self {
        Self {
            letter: entity_type.letter(),
            name: entity_type.name(),
        }
    }
}

impl ComponentsView {
    /// The components with their names; `None` for the 2025 form, whose region is a letter and
    /// whose LLL is an entity prefix, not a country.
    pub fn of(id: &ValidId) -> Option<Self> {
        match id {
            ValidId::Canonical(id) => Some(Self::of_canonical(id)),
            ValidId::Legacy(id) => Some(Self::of_legacy(id)),
            ValidId::Authority2025(_) => None,
        }
    }

    pub fn of_canonical(id: &ChittyId) -> Self {
        Self {
            version: VersionView::of(id.version()),
            region: NamedDigit::region(id.region()),
            jurisdiction: id.jurisdiction(),
            sequence: id.sequence().value(),
            entity_type: EntityTypeView::of(id.entity_type()),
            year_month: YearMonthView {
                year: id.year_month().year(),
                month: Some(id.year_month().month()),
                possible_months: None,
            },
            trust_level: NamedDigit::trust_level(id.trust_level()),
            checksum: id.checksum().value(),
        }
    }

    pub fn of_legacy(id: &LegacyChittyId) -> Self {
        Self {
            year_month: YearMonthView {
                year: id.year(),
                month: None,
                possible_months: Some(id.possible_months()),
            },
            version: VersionView::of(id.version()),
            region: NamedDigit::region(id.region()),
            jurisdiction: id.jurisdiction(),
            sequence: id.sequence().value(),
            entity_type: EntityTypeView::of(id.entity_type()),
            trust_level: NamedDigit::trust_level(id.trust_level()),
            checksum: id.checksum().value(),
        }
    }
}

/// The raw components of a canonical ID, as numbers and letters:
/// `{"chittyId", "version", "region", "jurisdiction", "sequence", "entityType", "year", "month",
/// "trustLevel", "checksum"}`. What the language packages' `parse` answers.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedId<'i> {
    pub chitty_id: &'i str,
    pub version: u8,
    pub region: u8,
    pub jurisdiction: Jurisdiction,
    pub sequence: u16,
    pub entity_type: char,
    pub year: u16,
    pub month: u8,
    pub trust_level: u8,
    pub checksum: u8,
}

impl<'i> ParsedId<'i> {
    pub fn of(id: &'i ChittyId) -> Self {
        Self {
            chitty_id: id.as_str(),
            version: id.version().number(),
            region: id.region().digit(),
            jurisdiction: id.jurisdiction(),
            sequence: id.sequence().value(),
            entity_type: id.entity_type().letter(),
            year: id.year_month().year(),
            month: id.year_month().month(),
            trust_level: id.trust_level().level(),
            checksum: id.checksum().value(),
        }
    }
}

/// What `chittyid inspect` prints for a valid ID.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    pub chitty_id: String,
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
    pub components: InspectedComponents,
}

/// The components as the form has them.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum InspectedComponents {
    Numbered(ComponentsView),
    Authority2025(Authority2025View),
}

/// The 2025 form's segments: a region letter, the entity prefix, and the rest as in the
/// canonical form.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authority2025View {
    pub version: u8,
    pub region_letter: char,
    pub entity_prefix: String,
    pub sequence: u16,
    pub entity_letter: char,
    pub year_month: YearMonthView,
    pub trust_digit: u8,
    pub checksum: u8,
}

impl Inspection {
    pub fn of(id: &ValidId) -> Self {
        Self {
            chitty_id: id.as_str().to_owned(),
            format: id.format().code(),
            did: match id {
                ValidId::Canonical(id) => Some(id.to_did()),
                ValidId::Legacy(_) | ValidId::Authority2025(_) => None,
            },
            components: match id {
                ValidId::Authority2025(id) => {
                    InspectedComponents::Authority2025(Authority2025View {
                        version: 1,
                        region_letter: id.region_letter(),
                        entity_prefix: id.entity_prefix().to_owned(),
                        sequence: id.sequence(),
                        entity_letter: id.entity_prefix().chars().next().unwrap_or('?'),
                        year_month: YearMonthView {
                            year: id.year(),
                            month: Some(id.month()),
                            possible_months: None,
                        },
                        trust_digit: id.trust_digit(),
                        checksum: id.checksum().value(),
                    })
                }
                numbered => InspectedComponents::Numbered(
                    ComponentsView::of(numbered).expect("canonical and legacy IDs have them"),
                ),
            },
        }
    }
}

/// Counts over many inputs: a fixed set of counters (formats and error codes are closed sets), so
/// a summary of any number of inputs takes constant memory. Serialised as
/// `{"errors": {code: n}, "formats": {code: n}, "inputs", "invalid", "valid"}`: only the formats
/// and errors seen, every object's keys in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    inputs: u64,
    valid: u64,
    formats: [u64; Format::ALL.len()],
    errors: BTreeMap<&'static str, u64>,
}

impl Summary {
    /// The summary of `text` read as `chittyid validate` reads its standard input.
    pub fn of_lines(text: &str, options: ValidationOptions) -> Self {
        let mut summary = Self::default();
        for line in lines(text) {
            summary.count(&ValidationReport::of_line(line, options));
        }
        summary
    }

    /// The summary of whole inputs, as `chittyid validate` counts its arguments.
    pub fn of_inputs<'i>(
        inputs: impl IntoIterator<Item = &'i str>,
        options: ValidationOptions,
    ) -> Self {
        let mut summary = Self::default();
        for input in inputs {
            summary.count(&ValidationReport::new(input, options));
        }
        summary
    }

    pub fn count(&mut self, report: &ValidationReport<'_>) {
        self.inputs += 1;
        if report.is_valid() {
            self.valid += 1;
        }
        let format = report.format();
        if let Some(index) = Format::ALL.iter().position(|f| *f == format) {
            self.formats[index] += 1;
        }
        if let Some(error) = report.error() {
            *self.errors.entry(error.code()).or_insert(0) += 1;
        }
    }

    pub fn inputs(&self) -> u64 {
        self.inputs
    }

    pub fn valid(&self) -> u64 {
        self.valid
    }

    pub fn invalid(&self) -> u64 {
        self.inputs - self.valid
    }

    /// The formats seen, in the order of [`Format::ALL`].
    pub fn formats(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Format::ALL
            .iter()
            .zip(self.formats)
            .filter(|(_, count)| *count > 0)
            .map(|(format, count)| (format.code(), count))
    }

    /// The error codes seen, in code order.
    pub fn errors(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.errors.iter().map(|(code, count)| (*code, *count))
    }
}

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Counts<'c>(&'c [(&'static str, u64)]);
        impl Serialize for Counts<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (code, count) in self.0 {
                    map.serialize_entry(code, count)?;
                }
                map.end()
            }
        }
        let mut formats: Vec<(&'static str, u64)> = self.formats().collect();
        formats.sort_unstable();
        // Every key in code order, as the command line has always printed it.
        let mut summary = serializer.serialize_struct("Summary", 5)?;
        summary.serialize_field("errors", &self.errors)?;
        summary.serialize_field("formats", &Counts(&formats))?;
        summary.serialize_field("inputs", &self.inputs)?;
        summary.serialize_field("invalid", &self.invalid())?;
        summary.serialize_field("valid", &self.valid)?;
        summary.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn report(input: &str, accept_legacy: bool) -> Value {
        let report = ValidationReport::new(input, ValidationOptions { accept_legacy });
        serde_json::to_value(&report).expect("serialises")
    }

    #[test]
    fn a_valid_id_reports_its_components_with_names() {
        assert_eq!(
            report("03-4-JPN-0420-L-2511-5-34", false),
            json!({
                "input": "03-4-JPN-0420-L-2511-5-34",
                "valid": true,
                "format": "canonical",
                "error": null,
                "suggestion": null,
                "components": {
                    "version": {"value": 3, "status": "current"},
                    "region": {"value": 4, "name": "Asia"},
                    "jurisdiction": "JPN",
                    "sequence": 420,
                    "entityType": {"letter": "L", "name": "Location"},
                    "yearMonth": {"year": 2025, "month": 11},
                    "trustLevel": {"value": 5, "name": "official"},
                    "checksum": 34
                }
            })
        );
    }

    #[test]
    fn a_wrong_checksum_reports_code_segment_position_and_the_fix() {
        let value = report("03-1-USA-0001-P-2602-0-84", false);
        assert_eq!(value["valid"], json!(false));
        assert_eq!(value["format"], json!("canonical"));
        assert_eq!(
            value["error"],
            json!({
                "code": "checksum_mismatch",
                "segment": "checksum",
                "position": 24,
                "message": "checksum at position 24: expected 85, found 84"
            })
        );
        assert_eq!(value["components"], Value::Null);
    }

    #[test]
    fn a_typo_gets_a_suggestion() {
        let value = report("03-1-USA-O001-P-2602-0-85", false);
        assert_eq!(value["suggestion"], json!("03-1-USA-0001-P-2602-0-85"));
        assert_eq!(value["error"]["code"], json!("invalid_character"));
        assert_eq!(value["error"]["segment"], json!("sequence"));
        assert_eq!(value["error"]["position"], json!(10));
    }

    #[test]
    fn named_shapes_report_their_format() {
        let value = report("CT-A-CHI-1234-I-24-A-0", true);
        assert_eq!(value["format"], json!("v2_2_0_client_pattern"));
        assert_eq!(value["error"]["code"], json!("non_canonical_format"));
        assert_eq!(value["error"]["segment"], Value::Null);
    }

    #[test]
    fn legacy_ids_report_their_ambiguous_month_when_accepted() {
        let value = report("03-1-USA-0001-P-251-3-79", true);
        assert_eq!(value["valid"], json!(true));
        assert_eq!(value["format"], json!("legacy_year_month"));
        assert_eq!(
            value["components"]["yearMonth"],
            json!({"year": 2025, "possibleMonths": [1, 11]})
        );
        let refused = report("03-1-USA-0001-P-251-3-79", false);
        assert_eq!(refused["error"]["code"], json!("legacy_not_accepted"));
    }

    #[test]
    fn inspection_names_everything() {
        let id =
            validate("03-1-USA-0001-P-2602-0-85", ValidationOptions::default()).expect("valid");
        let value = serde_json::to_value(Inspection::of(&id)).expect("serialises");
        assert_eq!(value["chittyId"], json!("03-1-USA-0001-P-2602-0-85"));
        assert_eq!(value["did"], json!("did:chitty:03-1-USA-0001-P-2602-0-85"));
        assert_eq!(
            value["components"]["region"]["name"],
            json!("North America")
        );
        assert_eq!(
            value["components"]["trustLevel"]["name"],
            json!("unverified")
        );
        assert_eq!(
            value["components"]["yearMonth"],
            json!({"year": 2026, "month": 2})
        );
    }

    #[test]
    fn lines_are_read_as_the_command_line_reads_standard_input() {
        assert_eq!(
            lines("ab\r\ncd\n\nef").collect::<Vec<_>>(),
            ["ab\r", "cd", "", "ef"]
        );
        assert_eq!(lines("").count(), 0);
        assert_eq!(lines("\n").collect::<Vec<_>>(), [""]);
        let crlf = ValidationReport::of_line("03-1-USA-0001-P-2602-0-85\r", Default::default());
        assert!(crlf.is_valid());
        let long = "é".repeat(100);
        let refused = ValidationReport::of_line(&long, Default::default());
        assert_eq!(
            refused.input().len(),
            MAX_LINE_KEPT - 1,
            "cut at a character boundary"
        );
        assert_eq!(
            refused.error(),
            Some(&ValidationError::Malformed(ParseError::TooLong {
                length: 200
            }))
        );
    }

    #[test]
    fn parsed_ids_give_their_raw_components() {
        let id = ChittyId::parse("03-4-JPN-0420-L-2511-5-34").expect("valid");
        assert_eq!(
            serde_json::to_value(ParsedId::of(&id)).expect("serialises"),
            json!({"chittyId": "03-4-JPN-0420-L-2511-5-34", "version": 3, "region": 4,
                   "jurisdiction": "JPN", "sequence": 420, "entityType": "L", "year": 2025,
                   "month": 11, "trustLevel": 5, "checksum": 34})
        );
    }

    #[test]
    fn a_summary_counts_formats_and_errors_by_code() {
        let inputs = [
            "03-1-USA-0001-P-2602-0-85",
            "hello",
            "03-1-USA-0001-P-2602-0-84",
            "CT-A-CHI-1234-I-24-A-0",
            "world",
        ];
        let summary = Summary::of_inputs(inputs, ValidationOptions::default());
        let text = inputs.join("\r\n") + "\r\n";
        assert_eq!(Summary::of_lines(&text, Default::default()), summary);
        let reports = serde_json::to_value(LineReports {
            text: &text,
            options: Default::default(),
        })
        .expect("serialises");
        assert_eq!(reports.as_array().map(Vec::len), Some(5));
        assert_eq!(reports[2]["error"]["code"], json!("checksum_mismatch"));
        assert_eq!(
            serde_json::to_string(&summary).expect("serialises"),
            concat!(
                r#"{"errors":{"checksum_mismatch":1,"non_canonical_format":1,"segment_count":2},"#,
                r#""formats":{"canonical":2,"unknown":2,"v2_2_0_client_pattern":1},"#,
                r#""inputs":5,"invalid":4,"valid":1}"#
            )
        );
    }

    #[test]
    fn the_families_found_in_real_data_are_reported_by_name() {
        let accepted = report("01-C-PEO-0042-P-2510-3-23", true);
        assert_eq!(
            (
                &accepted["valid"],
                &accepted["format"],
                &accepted["components"]
            ),
            (&json!(true), &json!("authority_2025"), &Value::Null)
        );
        let strict = report("01-C-PEO-0042-P-2510-3-23", false);
        assert_eq!(strict["error"]["code"], "legacy_not_accepted");
        let typo = report("01-C-PEO-0O42-P-2510-3-23", true);
        assert_eq!(
            (&typo["format"], &typo["suggestion"]),
            (&json!("unknown"), &json!("01-C-PEO-0042-P-2510-3-23"))
        );
        let placeholder = report("00-1-ERR-5030-S-0000-0-0", true);
        assert_eq!(placeholder["error"]["code"], "status_placeholder");
        assert_eq!(
            placeholder["placeholder"],
            json!({"kind": "status", "code": "ERR", "status": 503, "variant": 0})
        );
        let reserved = report("99-9-TST-0001-P-2602-0-85", true);
        assert_eq!(
            (&reserved["format"], &reserved["error"]["code"]),
            (&json!("reserved_pattern"), &json!("reserved_pattern"))
        );
        assert!(reserved.get("placeholder").is_none());
        let inspected = serde_json::to_value(Inspection::of(
            &crate::validate(
                "01-C-PEO-0042-P-2510-3-23",
                ValidationOptions {
                    accept_legacy: true,
                },
            )
            .expect("valid with legacy"),
        ))
        .expect("serialises");
        assert_eq!(inspected["components"]["regionLetter"], "C");
        assert_eq!(inspected["components"]["entityPrefix"], "PEO");
    }
}
