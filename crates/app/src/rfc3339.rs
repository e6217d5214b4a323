//! RFC 3339 timestamps for answers, from Unix milliseconds. Hand-written (30 lines) rather
//! than a date crate: the answers need this one format and nothing else.

/// `2026-11-26T06:03:07.123Z`.
pub fn rfc3339_millis(unix_ms: i64) -> String {
    let (days, ms_of_day) = (
        unix_ms.div_euclid(86_400_000),
        unix_ms.rem_euclid(86_400_000),
    );
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second, millis) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1_000 % 60,
        ms_of_day % 1_000,
    );
    if !(0..=9_999).contains(&year) {
        return format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z"
        );
    }
    // Digits placed by hand: `format!` with padded fields cost about 2,900 instructions a
    // call, as much as the rest of an answer's body (callgrind, BENCHMARKS.md).
    let mut text = *b"0000-00-00T00:00:00.000Z";
    for (at, value, width) in [
        (0, year, 4),
        (5, month, 2),
        (8, day, 2),
        (11, hour, 2),
        (14, minute, 2),
        (17, second, 2),
        (20, millis, 3),
    ] {
        let mut value = value;
        for digit in text[at..at + width].iter_mut().rev() {
            // `value` is within 0..10^width here, so each digit is 0..=9.
            *digit = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    }
    text.iter().map(|&byte| char::from(byte)).collect()
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(951_868_800_000), "2000-03-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_798_761_599_999),
            "2026-12-31T23:59:59.999Z"
        );
        assert_eq!(
            rfc3339_millis(1_795_000_987_654),
            "2026-11-18T11:23:07.654Z"
        );
    }

    /// The same fields through `format!`, as the function was first written.
    fn formatted(unix_ms: i64) -> String {
        let (days, ms) = (
            unix_ms.div_euclid(86_400_000),
            unix_ms.rem_euclid(86_400_000),
        );
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1_000 % 60,
            ms % 1_000
        )
    }

    #[test]
    fn digits_placed_by_hand_equal_format_across_years_0_to_9999() {
        let (first, last) = (-62_167_219_200_000_i64, 253_402_300_799_999_i64);
        // A stride prime to every field's period reaches every digit of every field.
        let stride = 1_580_011_117;
        let mut unix_ms = first;
        while unix_ms <= last {
            assert_eq!(rfc3339_millis(unix_ms), formatted(unix_ms), "{unix_ms}");
            unix_ms += stride;
        }
        assert_eq!(rfc3339_millis(last), formatted(last));
    }

    #[test]
    fn years_past_four_digits_and_before_the_epoch_keep_their_digits() {
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            rfc3339_millis(-62_167_219_200_000),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_millis(253_402_300_800_000),
            "10000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_millis(-62_167_219_200_001),
            "-001-12-31T23:59:59.999Z"
        );
    }
}
