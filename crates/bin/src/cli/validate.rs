//! `chittyid validate`: streams inputs through the validator with one reused line buffer and one
//! buffered writer, so a million IDs cost I/O, not allocations.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use chittyid_domain::report::{MAX_LINE_KEPT, Summary, ValidationReport};
use chittyid_domain::{ParseError, ValidationOptions};

use super::{Shown, trouble};

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Also accept the legacy forms: the year-month form (3-digit YYM) and the authority's 2025
    /// form.
    #[arg(long)]
    legacy: bool,
    /// After the per-line output, a summary: inputs, valid, and counts by format and by error
    /// code (with --json, one object `{"summary": …}`).
    #[arg(long)]
    summary: bool,
    /// No per-line output (with --summary, only the summary); the exit status still tells.
    #[arg(long, short)]
    quiet: bool,
    /// IDs to validate; `-` (or none) reads them from stdin, one per line.
    #[arg(value_name = "ID")]
    ids: Vec<String>,
}

pub(crate) fn run(args: &ValidateArgs) -> ExitCode {
    let options = ValidationOptions {
        accept_legacy: args.legacy,
    };
    let stdout = io::stdout();
    let mut validator = Validator {
        out: BufWriter::with_capacity(64 * 1024, stdout.lock()),
        json: args.json,
        quiet: args.quiet,
        options,
        invalid: 0,
        summary: Summary::default(),
        json_line: Vec::new(),
    };
    let result = if args.ids.is_empty() {
        validator.lines(io::stdin().lock())
    } else {
        args.ids.iter().try_for_each(|id| {
            if id == "-" {
                validator.lines(io::stdin().lock())
            } else {
                validator.one(id, id.len())
            }
        })
    };
    let result = result.and_then(|()| {
        if args.summary {
            validator.write_summary()?;
        }
        validator.out.flush()
    });
    match result {
        Ok(()) => {}
        // The reader of our output went away (`| head`): what it read was complete.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
        Err(err) => return trouble(format_args!("validate: {err}")),
    }
    ExitCode::from(u8::from(validator.invalid > 0))
}

struct Validator<W> {
    out: W,
    json: bool,
    quiet: bool,
    options: ValidationOptions,
    invalid: u64,
    summary: Summary,
    /// The line being written with `--json`, kept between lines for its allocation.
    json_line: Vec<u8>,
}

impl<W: Write> Validator<W> {
    fn lines(&mut self, mut reader: impl BufRead) -> io::Result<()> {
        let mut line = Vec::with_capacity(MAX_LINE_KEPT);
        while let Some(length) = read_line_capped(&mut reader, &mut line, MAX_LINE_KEPT)? {
            match std::str::from_utf8(&line) {
                Ok(text) => self.one(text, length)?,
                Err(err) => {
                    let valid_prefix = std::str::from_utf8(&line[..err.valid_up_to()])
                        .expect("valid_up_to bounds valid UTF-8");
                    let error = ParseError::invalid_utf8(valid_prefix);
                    self.write(&ValidationReport::refused(
                        &String::from_utf8_lossy(&line),
                        error,
                    ))?;
                }
            }
        }
        Ok(())
    }

    /// `length` is the input's real length; `input` may be a prefix of it.
    fn one(&mut self, input: &str, length: usize) -> io::Result<()> {
        if length > input.len() {
            self.write(&ValidationReport::refused(
                input,
                ParseError::TooLong { length },
            ))
        } else {
            self.write(&ValidationReport::new(input, self.options))
        }
    }

    fn write_summary(&mut self) -> io::Result<()> {
        let summary = &self.summary;
        if self.json {
            let value = serde_json::json!({ "summary": summary });
            serde_json::to_writer(&mut self.out, &value).map_err(io::Error::from)?;
            return self.out.write_all(b"\n");
        }
        let join = |pairs: Vec<(&str, u64)>| {
            if pairs.is_empty() {
                "none".to_owned()
            } else {
                pairs
                    .iter()
                    .map(|(name, count)| format!("{name} {count}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        writeln!(
            self.out,
            "summary: {} inputs, {} valid, {} invalid",
            summary.inputs(),
            summary.valid(),
            summary.invalid()
        )?;
        writeln!(self.out, "by format: {}", join(summary.formats().collect()))?;
        writeln!(self.out, "by error: {}", join(summary.errors().collect()))
    }

    fn write(&mut self, report: &ValidationReport<'_>) -> io::Result<()> {
        if !report.is_valid() {
            self.invalid += 1;
        }
        self.summary.count(report);
        if self.quiet {
            return Ok(());
        }
        if self.json {
            self.json_line.clear();
            report.write_json(&mut self.json_line);
            self.json_line.push(b'\n');
            return self.out.write_all(&self.json_line);
        }
        match report.error() {
            None => writeln!(self.out, "{} valid", Shown(report.input())),
            Some(error) => {
                write!(
                    self.out,
                    "{} invalid (shape: {}): {error}",
                    Shown(report.input()),
                    report.format()
                )?;
                match report.suggestion() {
                    Some(suggestion) => writeln!(self.out, " (did you mean {suggestion}?)"),
                    None => writeln!(self.out),
                }
            }
        }
    }
}

/// Reads one line (without its `\n` or `\r\n`) into `line`, keeping at most `cap` bytes of it
/// and trimming to a UTF-8 boundary. Returns the line's real length, or `None` at end of input.
fn read_line_capped(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    cap: usize,
) -> io::Result<Option<usize>> {
    line.clear();
    let mut length = 0;
    let mut saw_anything = false;
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if buffer.is_empty() {
            break;
        }
        saw_anything = true;
        let (chunk, consumed, done) = match memchr_newline(buffer) {
            Some(at) => (&buffer[..at], at + 1, true),
            None => (buffer, buffer.len(), false),
        };
        let room = cap.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        length += chunk.len();
        reader.consume(consumed);
        if done {
            break;
        }
    }
    if !saw_anything {
        return Ok(None);
    }
    if line.last() == Some(&b'\r') && length == line.len() {
        line.pop();
        length -= 1;
    }
    if length > line.len() {
        // Kept a prefix: cut back to a character boundary so it still reads as text.
        while !line.is_empty() && std::str::from_utf8(line).is_err_and(|e| e.error_len().is_none())
        {
            line.pop();
        }
    }
    Ok(Some(length))
}

fn memchr_newline(buffer: &[u8]) -> Option<usize> {
    buffer.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<(String, usize)> {
        let mut reader = io::BufReader::with_capacity(4, input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        while let Some(length) = read_line_capped(&mut reader, &mut line, cap).expect("in memory") {
            out.push((String::from_utf8_lossy(&line).into_owned(), length));
        }
        out
    }

    #[test]
    fn splits_lines_and_strips_crlf() {
        assert_eq!(
            lines(b"ab\r\ncd\n\nef", 100),
            vec![
                ("ab".into(), 2),
                ("cd".into(), 2),
                ("".into(), 0),
                ("ef".into(), 2)
            ]
        );
        assert_eq!(lines(b"", 100), vec![]);
        assert_eq!(lines(b"\n", 100), vec![("".into(), 0)]);
    }

    #[test]
    fn keeps_only_a_prefix_of_long_lines_but_counts_them_whole() {
        assert_eq!(
            lines(b"0123456789\nab\n", 4),
            vec![("0123".into(), 10), ("ab".into(), 2)]
        );
    }

    #[test]
    fn a_kept_prefix_ends_on_a_character_boundary() {
        // "é" is two bytes; a cap of 3 would split the second one.
        assert_eq!(lines("éé\n".as_bytes(), 3), vec![("é".into(), 4)]);
    }
}
