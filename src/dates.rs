//! Calendar arithmetic on plain integers. A date is a day number (`i32`, days since
//! 1970-01-01); a timestamp is seconds since 1970-01-01T00:00:00 (`i64`, no time zone).
//! Parsing is strict ISO 8601 (`2025-03-01`, `2025-03-01T14:05:00`, a space instead of
//! `T`, optional fractional seconds and a trailing `Z`) so that a bad value is reported,
//! never guessed.

pub const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year } as i64;
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

/// The (year, month, day) of a day number.
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days as i64 + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// The day a timestamp falls on.
pub fn day_of(seconds: i64) -> i32 {
    seconds.div_euclid(SECONDS_PER_DAY) as i32
}

/// `2025-03-01`.
pub fn format_day(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2025-03-01T14:05:00`.
pub fn format_timestamp(seconds: i64) -> String {
    let day = day_of(seconds);
    let s = seconds.rem_euclid(SECONDS_PER_DAY);
    format!(
        "{}T{:02}:{:02}:{:02}",
        format_day(day),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` into a day number.
pub fn parse_day(text: &str) -> Option<i32> {
    parse_plain_day(text.trim())
}

/// [`parse_day`] of a date with nothing around it: "2025-07-03" exactly, as exports write
/// dates. Readers of such files try it first, and fall back to the lenient parsers.
pub fn parse_plain_day(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Parses an ISO date or date-time into seconds since the epoch. A plain date is midnight.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let day = parse_day(text.get(0..10)?)?;
    let rest = &text.as_bytes()[10..];
    let mut seconds = i64::from(day) * SECONDS_PER_DAY;
    if rest.is_empty() {
        return Some(seconds);
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    let mut time = &rest[1..];
    if let Some(stripped) = time.strip_suffix(b"Z") {
        time = stripped;
    }
    if time.len() < 5 || time[2] != b':' {
        return None;
    }
    let hour = digits(&time[0..2])?;
    let minute = digits(&time[3..5])?;
    let mut second = 0;
    let mut tail = &time[5..];
    if !tail.is_empty() {
        if tail.len() < 3 || tail[0] != b':' {
            return None;
        }
        second = digits(&tail[1..3])?;
        tail = &tail[3..];
        if !tail.is_empty() && (tail[0] != b'.' || digits(&tail[1..]).is_none()) {
            return None;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    seconds += i64::from(hour * 3600 + minute * 60 + second);
    Some(seconds)
}

/// Parses either form into a day number: a timestamp is truncated to its day.
pub fn parse_date_or_timestamp(text: &str) -> Option<i32> {
    parse_timestamp(text).map(day_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        for d in -1000..30_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn parses_dates_and_rejects_bad_ones() {
        assert_eq!(parse_day("2024-02-29"), Some(19_782));
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2024-13-01"), None);
        assert_eq!(parse_day("2024-1-01"), None);
        assert_eq!(parse_day("01/02/2024"), None);
        assert_eq!(parse_day(""), None);
        // Spaces around a date are the lenient parser's to take, not the plain one's.
        assert_eq!(parse_day(" 2024-02-29 "), Some(19_782));
        assert_eq!(parse_plain_day(" 2024-02-29 "), None);
        assert_eq!(parse_plain_day("2024-02-29T00:00"), None);
        // Every day of four years, leap day included, is the same by both.
        for day in 19_000..20_461 {
            let (y, m, d) = civil_from_days(day);
            let text = format!("{y:04}-{m:02}-{d:02}");
            assert_eq!(parse_plain_day(&text), Some(day), "{text}");
            assert_eq!(parse_date_or_timestamp(&text), Some(day), "{text}");
        }
    }

    #[test]
    fn parses_timestamps() {
        let midnight = 19_782_i64 * SECONDS_PER_DAY;
        assert_eq!(parse_timestamp("2024-02-29"), Some(midnight));
        assert_eq!(
            parse_timestamp("2024-02-29T14:05:00"),
            Some(midnight + 14 * 3600 + 5 * 60)
        );
        assert_eq!(parse_timestamp("2024-02-29 14:05"), Some(midnight + 50_700));
        assert_eq!(
            parse_timestamp("2024-02-29T14:05:07.250Z"),
            Some(midnight + 50_707)
        );
        assert_eq!(parse_timestamp("2024-02-29T25:00:00"), None);
        assert_eq!(parse_timestamp("2024-02-29X14:05:00"), None);
        assert_eq!(parse_date_or_timestamp("2024-02-29T23:59:59"), Some(19_782));
        assert_eq!(format_timestamp(midnight + 50_707), "2024-02-29T14:05:07");
        assert_eq!(day_of(-1), -1);
    }
}
