//! Strings that look like ChittyIDs and never are: the status placeholders a client library hands
//! out in place of an ID when the service is down, and the command and test patterns another
//! client treats specially. Named so that a data export can be cleaned of them, and so that the
//! gateway can refuse them as suspicious.

use std::fmt;

use crate::format::eight_segments;

/// What a status placeholder stands for: its G digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaceholderKind {
    /// `1`: a service status.
    Status,
    /// `2`: a circuit-breaker state.
    BreakerState,
    /// `3`: a degraded mode.
    DegradedMode,
    /// `4`: a recovery.
    Recovery,
}

impl PlaceholderKind {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::BreakerState => "breaker_state",
            Self::DegradedMode => "degraded_mode",
            Self::Recovery => "recovery",
        }
    }
}

/// `00-1-ERR-5030-S-0000-0-0`: VV `00`, G `1`-`4` (the kind), LLL a code, SSSS an HTTP-like
/// status and a variant (`5030`: 503, variant 0), T a letter, YYMM `0000`, a digit, and a last
/// segment of one or two digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusPlaceholder {
    kind: PlaceholderKind,
    code: [u8; 3],
    status: u16,
    variant: u8,
}

impl StatusPlaceholder {
    /// The placeholder `input` is, if it is one.
    pub fn parse(input: &str) -> Option<Self> {
        if input.len() > crate::error::MAX_INPUT_LEN {
            return None;
        }
        Self::of_segments(&eight_segments(input)?)
    }

    pub(crate) fn of_segments(segments: &[&str; 8]) -> Option<Self> {
        let [vv, g, lll, ssss, t, yymm, c, last] = *segments;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let letters = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase());
        let kind = match g {
            "1" => PlaceholderKind::Status,
            "2" => PlaceholderKind::BreakerState,
            "3" => PlaceholderKind::DegradedMode,
            "4" => PlaceholderKind::Recovery,
            _ => return None,
        };
        let shaped = vv == "00"
            && lll.len() == 3
            && letters(lll)
            && ssss.len() == 4
            && digits(ssss)
            && t.len() == 1
            && letters(t)
            && yymm == "0000"
            && c.len() == 1
            && digits(c)
            && (1..=2).contains(&last.len())
            && digits(last);
        if !shaped {
            return None;
        }
        let number: u16 = ssss.parse().ok()?;
        let mut code = [0; 3];
        code.copy_from_slice(lll.as_bytes());
        Some(Self {
            kind,
            code,
            status: number / 10,
            variant: (number % 10) as u8,
        })
    }

    pub fn kind(&self) -> PlaceholderKind {
        self.kind
    }

    /// The three-letter code (`ERR`).
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).expect("ASCII letters")
    }

    /// The HTTP-like status it carries (`503`).
    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn variant(&self) -> u8 {
        self.variant
    }
}

impl fmt::Display for StatusPlaceholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} placeholder {} with status {} (variant {})",
            self.kind.code(),
            self.code(),
            self.status,
            self.variant
        )
    }
}

/// The command and test patterns: `00-0-SYS-…`, `00-0-ADM-…`, `99-9-TST-…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservedPattern {
    /// `00-0-SYS-…`: read as a system command (a validation scan, an emergency stop).
    SystemCommand,
    /// `00-0-ADM-…`: read as an administrative command (key rotation).
    AdminCommand,
    /// `99-9-TST-…`: a test mock that "always validates".
    TestMock,
}

impl ReservedPattern {
    /// The pattern `input` follows, if any: the prefix, then five segments of upper-case
    /// letters and digits.
    pub fn of(input: &str) -> Option<Self> {
        if input.len() > crate::error::MAX_INPUT_LEN {
            return None;
        }
        Self::of_segments(&eight_segments(input)?)
    }

    pub(crate) fn of_segments(segments: &[&str; 8]) -> Option<Self> {
        let [vv, g, lll, rest @ ..] = segments;
        let pattern = match (*vv, *g, *lll) {
            ("00", "0", "SYS") => Self::SystemCommand,
            ("00", "0", "ADM") => Self::AdminCommand,
            ("99", "9", "TST") => Self::TestMock,
            _ => return None,
        };
        rest.iter()
            .all(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            })
            .then_some(pattern)
    }

    /// Machine-readable name, stable across releases.
    pub const fn code(self) -> &'static str {
        match self {
            Self::SystemCommand => "system_command",
            Self::AdminCommand => "admin_command",
            Self::TestMock => "test_mock",
        }
    }
}

impl fmt::Display for ReservedPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SystemCommand => "the system-command pattern (00-0-SYS-…)",
            Self::AdminCommand => "the admin-command pattern (00-0-ADM-…)",
            Self::TestMock => "the test-mock pattern (99-9-TST-…)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_placeholder_decodes_to_503() {
        let placeholder = StatusPlaceholder::parse("00-1-ERR-5030-S-0000-0-0").expect("one");
        assert_eq!(placeholder.kind(), PlaceholderKind::Status);
        assert_eq!(
            (
                placeholder.code(),
                placeholder.status(),
                placeholder.variant()
            ),
            ("ERR", 503, 0)
        );
        assert_eq!(
            StatusPlaceholder::parse("00-2-BRK-5031-S-0000-0-00").map(|p| (p.kind(), p.variant())),
            Some((PlaceholderKind::BreakerState, 1))
        );
        for not_one in [
            "00-5-ERR-5030-S-0000-0-0",
            "00-1-ERR-5030-S-2510-0-0",
            "01-1-ERR-5030-S-0000-0-0",
            "00-1-ERR-5030-S-0000-0-000",
            "00-1-ERR-5030-S-0000-0",
        ] {
            assert_eq!(StatusPlaceholder::parse(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn reserved_patterns_are_named_by_their_prefix() {
        for (input, expected) in [
            (
                "00-0-SYS-1111-H-1111-1-1",
                Some(ReservedPattern::SystemCommand),
            ),
            (
                "00-0-ADM-2222-K-0000-0-0",
                Some(ReservedPattern::AdminCommand),
            ),
            ("99-9-TST-0001-P-2602-0-85", Some(ReservedPattern::TestMock)),
            ("00-0-SYS-1111-H-1111-1", None),
            ("00-0-SYS-1111-h-1111-1-1", None),
            ("00-1-SYS-1111-H-1111-1-1", None),
            ("03-1-USA-0001-P-2602-0-85", None),
        ] {
            assert_eq!(ReservedPattern::of(input), expected, "{input}");
        }
    }
}
