//! A report's JSON, written by hand: byte for byte what its `Serialize` gives through
//! `serde_json` (a property test holds the two equal), in about half the instructions. Through
//! serde a report cost about 8,550 instructions, a fifth of all the gateway spends on
//! `GET /api/id/validate/{id}`; written here, 4,570 (callgrind, both with the 2,250 that
//! decoding the components takes; BENCHMARKS.md).

use std::fmt::{self, Write as _};

use super::{ComponentsView, PlaceholderView, ValidationReport};
use crate::ValidationError;

impl ValidationReport<'_> {
    /// The report as compact JSON, as `serde_json::to_vec` would write it.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(384 + 2 * self.input().len());
        self.write_json(&mut out);
        out
    }

    /// Appends the report as compact JSON to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"input\":");
        string(out, self.input());
        out.extend_from_slice(if self.is_valid() {
            b",\"valid\":true,\"format\":"
        } else {
            b",\"valid\":false,\"format\":"
        });
        string(out, self.format().code());
        out.extend_from_slice(b",\"error\":");
        match self.error() {
            Some(error) => write_error(out, error),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"suggestion\":");
        match self.suggestion() {
            Some(suggestion) => string(out, suggestion.as_str()),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"components\":");
        match self.components() {
            Some(components) => write_components(out, &components),
            None => out.extend_from_slice(b"null"),
        }
        if let Some(placeholder) = self.placeholder() {
            let view = PlaceholderView::of(&placeholder);
            out.extend_from_slice(b",\"placeholder\":{\"kind\":");
            string(out, view.kind);
            out.extend_from_slice(b",\"code\":");
            string(out, view.code);
            out.extend_from_slice(b",\"status\":");
            number(out, u64::from(view.status));
            out.extend_from_slice(b",\"variant\":");
            number(out, u64::from(view.variant));
            out.push(b'}');
        }
        out.push(b'}');
    }
}

fn write_error(out: &mut Vec<u8>, error: &ValidationError) {
    out.extend_from_slice(b"{\"code\":");
    string(out, error.code());
    out.extend_from_slice(b",\"segment\":");
    match error.segment() {
        Some(segment) => string(out, segment.code()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"position\":");
    match error.position() {
        Some(position) => number(out, position as u64),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"message\":\"");
    // Writing to a Vec cannot fail.
    let _ = write!(Escaped(out), "{error}");
    out.extend_from_slice(b"\"}");
}

fn write_components(out: &mut Vec<u8>, c: &ComponentsView) {
    out.extend_from_slice(b"{\"version\":{\"value\":");
    number(out, u64::from(c.version.value));
    out.extend_from_slice(b",\"status\":");
    string(out, c.version.status);
    out.extend_from_slice(b"},\"region\":{\"value\":");
    number(out, u64::from(c.region.value));
    out.extend_from_slice(b",\"name\":");
    string(out, c.region.name);
    out.extend_from_slice(b"},\"jurisdiction\":");
    string(out, c.jurisdiction.as_str());
    out.extend_from_slice(b",\"sequence\":");
    number(out, u64::from(c.sequence));
    out.extend_from_slice(b",\"entityType\":{\"letter\":");
    let mut letter = [0u8; 4];
    string(out, c.entity_type.letter.encode_utf8(&mut letter));
    out.extend_from_slice(b",\"name\":");
    string(out, c.entity_type.name);
    out.extend_from_slice(b"},\"yearMonth\":{\"year\":");
    number(out, u64::from(c.year_month.year));
    if let Some(month) = c.year_month.month {
        out.extend_from_slice(b",\"month\":");
        number(out, u64::from(month));
    }
    if let Some(months) = c.year_month.possible_months {
        out.extend_from_slice(b",\"possibleMonths\":[");
        for (i, month) in months.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            number(out, u64::from(*month));
        }
        out.push(b']');
    }
    out.extend_from_slice(b"},\"trustLevel\":{\"value\":");
    number(out, u64::from(c.trust_level.value));
    out.extend_from_slice(b",\"name\":");
    string(out, c.trust_level.name);
    out.extend_from_slice(b"},\"checksum\":");
    number(out, u64::from(c.checksum));
    out.push(b'}');
}

fn number(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// `text` as a JSON string, escaped as `serde_json` escapes: `"` and `\`, the control
/// characters (`\b`, `\t`, `\n`, `\f`, `\r` by name, the rest as `\u00xx`), nothing else.
fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    escape_into(out, text);
    out.push(b'"');
}

fn escape_into(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut plain = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[plain..at]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0xf)]);
                plain = at + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain..at]);
        out.extend_from_slice(escape);
        plain = at + 1;
    }
    out.extend_from_slice(&bytes[plain..]);
}

/// Escapes what is written through it: a `Display` value into a JSON string without building
/// the text first.
struct Escaped<'o>(&'o mut Vec<u8>);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        escape_into(self.0, text);
        Ok(())
    }
}
