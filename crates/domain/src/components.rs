//! The typed segments of a ChittyID. Each type can only hold a value its segment allows, so a
//! [`crate::ChittyId`] built from them is well formed by construction.

use std::fmt;

/// An out-of-range or malformed value given for one segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    #[error("version {found:02} is not defined (expected 01-05)")]
    Version { found: u8 },
    #[error("region {found} is out of range (expected 1-9)")]
    Region { found: u8 },
    #[error("jurisdiction {found:?} is not three upper-case letters A-Z")]
    Jurisdiction { found: String },
    #[error(
        "jurisdiction {found:?} is not an ISO 3166-1 alpha-3 country code (USA, CAN, GBR, ...)"
    )]
    NotIso3166 { found: String },
    #[error("sequence {found} is out of range (expected 0-9999)")]
    Sequence { found: u32 },
    #[error("entity type {found:?} is not one of P, L, T, E, A")]
    EntityType { found: char },
    #[error("year {found} is out of range (expected 2000-2099)")]
    Year { found: u16 },
    #[error("month {found} is out of range (expected 1-12)")]
    Month { found: u8 },
    #[error("trust level {found} is out of range (expected 0-5)")]
    TrustLevel { found: u8 },
    #[error("checksum {found} is out of range (expected 00-96)")]
    Checksum { found: u8 },
}

/// `VV`: the format version. New IDs are [`Version::CURRENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    V01 = 1,
    V02 = 2,
    V03 = 3,
    V04 = 4,
    V05 = 5,
}

impl Version {
    /// The version the authority mints today.
    pub const CURRENT: Version = Version::V03;
    pub const ALL: [Version; 5] = [Self::V01, Self::V02, Self::V03, Self::V04, Self::V05];

    pub fn try_new(number: u8) -> Result<Self, ComponentError> {
        match number {
            1 => Ok(Self::V01),
            2 => Ok(Self::V02),
            3 => Ok(Self::V03),
            4 => Ok(Self::V04),
            5 => Ok(Self::V05),
            found => Err(ComponentError::Version { found }),
        }
    }

    pub const fn number(self) -> u8 {
        self as u8
    }

    /// The life-cycle status the format document gives this version.
    pub const fn status(self) -> &'static str {
        match self {
            Self::V01 => "deprecated",
            Self::V02 => "legacy",
            Self::V03 => "current",
            Self::V04 => "beta",
            Self::V05 => "experimental",
        }
    }
}

/// `G`: the world region, a digit 1-9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    NorthAmerica = 1,
    SouthAmerica = 2,
    Europe = 3,
    Asia = 4,
    Africa = 5,
    Oceania = 6,
    Antarctica = 7,
    InternationalWaters = 8,
    Digital = 9,
}

impl Region {
    pub const ALL: [Region; 9] = [
        Self::NorthAmerica,
        Self::SouthAmerica,
        Self::Europe,
        Self::Asia,
        Self::Africa,
        Self::Oceania,
        Self::Antarctica,
        Self::InternationalWaters,
        Self::Digital,
    ];

    pub fn try_new(digit: u8) -> Result<Self, ComponentError> {
        match digit {
            1..=9 => Ok(Self::ALL[usize::from(digit - 1)]),
            found => Err(ComponentError::Region { found }),
        }
    }

    pub const fn digit(self) -> u8 {
        self as u8
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::NorthAmerica => "North America",
            Self::SouthAmerica => "South America",
            Self::Europe => "Europe",
            Self::Asia => "Asia",
            Self::Africa => "Africa",
            Self::Oceania => "Oceania",
            Self::Antarctica => "Antarctica",
            Self::InternationalWaters => "International waters",
            Self::Digital => "Digital/virtual",
        }
    }
}

/// `LLL`: an ISO 3166-1 alpha-3 style code, three upper-case letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jurisdiction([u8; 3]);

impl Jurisdiction {
    pub fn try_new(code: &str) -> Result<Self, ComponentError> {
        match code.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(ComponentError::Jurisdiction {
                found: code.chars().take(16).collect(),
            }),
        }
    }

    /// A jurisdiction the authority mints for: an officially assigned ISO 3166-1 alpha-3 code.
    /// (IDs themselves may carry any three letters; see [`Jurisdiction::try_new`].)
    pub fn try_iso_3166(code: &str) -> Result<Self, ComponentError> {
        let jurisdiction = Self::try_new(code)?;
        if !jurisdiction.is_iso_3166() {
            return Err(ComponentError::NotIso3166 {
                found: code.to_owned(),
            });
        }
        Ok(jurisdiction)
    }

    /// Whether this is an officially assigned ISO 3166-1 alpha-3 code.
    pub fn is_iso_3166(&self) -> bool {
        crate::iso3166::is_iso_3166_alpha3(self.as_str())
    }

    /// Callers guarantee three upper-case ASCII letters.
    pub(crate) const fn from_checked(bytes: [u8; 3]) -> Self {
        Self(bytes)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("jurisdiction holds ASCII letters")
    }

    pub(crate) const fn bytes(self) -> [u8; 3] {
        self.0
    }
}

impl fmt::Debug for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jurisdiction({})", self.as_str())
    }
}

impl serde::Serialize for Jurisdiction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `SSSS`: the sequence number, unique within its space of [`Sequence::SPACE_SIZE`] IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sequence(u16);

impl Sequence {
    pub const MAX: u16 = 9_999;
    /// How many sequence numbers one (VV, G, LLL, T, YYMM, C) space holds.
    pub const SPACE_SIZE: u32 = 10_000;

    pub fn try_new(value: u32) -> Result<Self, ComponentError> {
        match u16::try_from(value) {
            Ok(v) if v <= Self::MAX => Ok(Self(v)),
            _ => Err(ComponentError::Sequence { found: value }),
        }
    }

    pub const fn value(self) -> u16 {
        self.0
    }
}

/// `T`: the entity type letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    Person,
    Location,
    Thing,
    Event,
    Authority,
}

impl EntityType {
    pub const ALL: [EntityType; 5] = [
        Self::Person,
        Self::Location,
        Self::Thing,
        Self::Event,
        Self::Authority,
    ];

    pub fn try_from_letter(letter: char) -> Result<Self, ComponentError> {
        match letter {
            'P' => Ok(Self::Person),
            'L' => Ok(Self::Location),
            'T' => Ok(Self::Thing),
            'E' => Ok(Self::Event),
            'A' => Ok(Self::Authority),
            found => Err(ComponentError::EntityType { found }),
        }
    }

    pub const fn letter(self) -> char {
        match self {
            Self::Person => 'P',
            Self::Location => 'L',
            Self::Thing => 'T',
            Self::Event => 'E',
            Self::Authority => 'A',
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Person => "Person",
            Self::Location => "Location",
            Self::Thing => "Thing",
            Self::Event => "Event",
            Self::Authority => "Authority",
        }
    }
}

/// `YYMM`: the UTC month in which the ID was minted, 2000-01 to 2099-12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    year_of_century: u8,
    month: u8,
}

impl YearMonth {
    pub fn try_new(year: u16, month: u8) -> Result<Self, ComponentError> {
        if !(2000..=2099).contains(&year) {
            return Err(ComponentError::Year { found: year });
        }
        if !(1..=12).contains(&month) {
            return Err(ComponentError::Month { found: month });
        }
        Ok(Self {
            year_of_century: (year - 2000) as u8,
            month,
        })
    }

    /// The UTC month containing `unix_seconds`. Pure: the caller supplies the clock reading.
    pub fn from_unix_seconds(unix_seconds: i64) -> Result<Self, ComponentError> {
        let (year, month) = civil_year_month(unix_seconds.div_euclid(86_400));
        let year = u16::try_from(year).unwrap_or(u16::MAX);
        Self::try_new(year, month)
    }

    pub const fn year(self) -> u16 {
        2000 + self.year_of_century as u16
    }

    pub const fn year_of_century(self) -> u8 {
        self.year_of_century
    }

    pub const fn month(self) -> u8 {
        self.month
    }
}

/// Howard Hinnant's days-to-civil algorithm, reduced to year and month.
fn civil_year_month(days_since_epoch: i64) -> (i64, u8) {
    let z = days_since_epoch + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u8)
}

/// `C`: how far the entity behind the ID has been verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrustLevel {
    L0 = 0,
    L1 = 1,
    L2 = 2,
    L3 = 3,
    L4 = 4,
    L5 = 5,
}

impl TrustLevel {
    pub const ALL: [TrustLevel; 6] = [Self::L0, Self::L1, Self::L2, Self::L3, Self::L4, Self::L5];

    pub fn try_new(level: u8) -> Result<Self, ComponentError> {
        Self::ALL
            .get(usize::from(level))
            .copied()
            .ok_or(ComponentError::TrustLevel { found: level })
    }

    pub const fn level(self) -> u8 {
        self as u8
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::L0 => "unverified",
            Self::L1 => "basic",
            Self::L2 => "standard",
            Self::L3 => "verified",
            Self::L4 => "premium",
            Self::L5 => "official",
        }
    }
}

/// `XX`: the mod-97 check digits, 00-96.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checksum(u8);

impl Checksum {
    pub const MAX: u8 = 96;

    pub fn try_new(value: u8) -> Result<Self, ComponentError> {
        if value <= Self::MAX {
            Ok(Self(value))
        } else {
            Err(ComponentError::Checksum { found: value })
        }
    }

    pub(crate) const fn from_checked(value: u8) -> Self {
        Self(value)
    }

    pub const fn value(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_constructor_refuses_out_of_range_values() {
        assert!(Version::try_new(0).is_err());
        assert!(Version::try_new(6).is_err());
        assert!(Region::try_new(0).is_err());
        assert!(Region::try_new(10).is_err());
        assert!(Jurisdiction::try_new("usa").is_err());
        assert!(Jurisdiction::try_new("US").is_err());
        assert!(Jurisdiction::try_new("USAA").is_err());
        assert!(Jurisdiction::try_new("ÜSA").is_err());
        assert!(Sequence::try_new(10_000).is_err());
        assert!(Sequence::try_new(70_000).is_err());
        assert!(EntityType::try_from_letter('I').is_err());
        assert!(YearMonth::try_new(1999, 1).is_err());
        assert!(YearMonth::try_new(2100, 1).is_err());
        assert!(YearMonth::try_new(2026, 0).is_err());
        assert!(YearMonth::try_new(2026, 13).is_err());
        assert!(TrustLevel::try_new(6).is_err());
        assert!(Checksum::try_new(97).is_err());
    }

    #[test]
    fn every_constructor_accepts_its_bounds() {
        assert_eq!(Version::try_new(5).map(Version::number), Ok(5));
        assert_eq!(Region::try_new(9), Ok(Region::Digital));
        assert_eq!(Region::try_new(1), Ok(Region::NorthAmerica));
        assert_eq!(Sequence::try_new(9_999).map(Sequence::value), Ok(9_999));
        assert_eq!(TrustLevel::try_new(5), Ok(TrustLevel::L5));
        assert_eq!(Checksum::try_new(96).map(Checksum::value), Ok(96));
        let ym = YearMonth::try_new(2099, 12).expect("in range");
        assert_eq!(
            (ym.year(), ym.month(), ym.year_of_century()),
            (2099, 12, 99)
        );
    }

    #[test]
    fn unix_seconds_map_to_their_utc_month() {
        let month = |secs| YearMonth::from_unix_seconds(secs).map(|ym| (ym.year(), ym.month()));
        assert_eq!(month(946_684_800), Ok((2000, 1))); // 2000-01-01T00:00:00Z
        assert_eq!(month(951_868_799), Ok((2000, 2))); // 2000-02-29T23:59:59Z (leap day)
        assert_eq!(month(951_868_800), Ok((2000, 3))); // 2000-03-01T00:00:00Z
        assert_eq!(month(1_798_761_599), Ok((2026, 12))); // 2026-12-31T23:59:59Z
        assert_eq!(month(1_798_761_600), Ok((2027, 1))); // 2027-01-01T00:00:00Z
        assert!(month(0).is_err(), "1970 is outside the format's century");
        assert!(month(i64::MIN).is_err());
        assert!(month(i64::MAX).is_err());
    }
}
