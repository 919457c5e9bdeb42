//! Numbers as a person reads them in a terminal: digits grouped by thousands.

/// `1,234` for 1234.
pub(super) fn count(n: usize) -> String {
    group_thousands(&n.to_string())
}

/// `1,234.57` for 1234.567 with two places; `-1,235` with none.
pub(super) fn money(value: f64, places: usize) -> String {
    let text = format!("{:.places$}", value.abs());
    let (whole, fraction) = text.split_at(text.find('.').unwrap_or(text.len()));
    // A value that rounds to zero is shown without a sign ("0.00", never "-0.00").
    let sign = if value < 0.0 && text.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        "-"
    } else {
        ""
    };
    format!("{sign}{}{fraction}", group_thousands(whole))
}

/// Commas between groups of three digits of a string of digits.
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_every_three_digits_from_the_right() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(12_311), "12,311");
        assert_eq!(count(6_156_282), "6,156,282");
    }

    #[test]
    fn money_rounds_then_groups_and_never_shows_minus_zero() {
        assert_eq!(money(1234.567, 2), "1,234.57");
        assert_eq!(money(5_085_778_093.47, 2), "5,085,778,093.47");
        assert_eq!(money(999.996, 2), "1,000.00");
        assert_eq!(money(-1234.6, 0), "-1,235");
        assert_eq!(money(-0.001, 2), "0.00");
        assert_eq!(money(12.0, 0), "12");
    }
}
