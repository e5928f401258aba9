//! Plain decimal numbers as people write them (`12`, `1.5`, `.5`), converted without
//! floating-point detours where the result is an integer and with one correctly rounded
//! conversion where it is an `f64`. Used by the parsers of the unit types beside this file.

/// Splits a plain unsigned decimal (`12`, `1.5`, `.5`, `5.`) into its integer
/// and fractional digit strings. Signs, exponents, `inf` and `NaN` are
/// rejected, as is a lone `.`.
pub(super) fn split_decimal(s: &str) -> Option<(&str, &str)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    Some((int, frac))
}

/// Parses a plain unsigned decimal into a finite `f64` with one correctly
/// rounded conversion.
pub(super) fn parse_plain_f64(s: &str) -> Option<f64> {
    let (int, frac) = split_decimal(s)?;
    let int = if int.is_empty() { "0" } else { int };
    let frac = if frac.is_empty() { "0" } else { frac };
    let value: f64 = format!("{int}.{frac}").parse().ok()?;
    value.is_finite().then_some(value)
}

/// Parses an unsigned decimal, plain (`1.5`) or with a power of ten (`1e6`, `2.5E-3`),
/// with one correctly rounded conversion. Signs, `inf` and `NaN` are rejected; a number
/// too large for an `f64` (`1e400`) gives infinity, for the caller's range check to refuse
/// with the same message as any other value too large.
pub(super) fn parse_scientific_f64(s: &str) -> Option<f64> {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    split_decimal(mantissa)?;
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let mantissa = if mantissa.starts_with('.') {
        format!("0{mantissa}")
    } else {
        mantissa.to_owned()
    };
    let text = match exponent {
        Some(exp) => format!("{mantissa}e{exp}"),
        None => mantissa,
    };
    let text = text.replace(".e", ".0e");
    let text = if text.ends_with('.') {
        format!("{text}0")
    } else {
        text
    };
    text.parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// Parses a plain unsigned decimal percentage (`95`, `12.5`) as a fraction
/// (`0.95`, `0.125`) by moving the decimal point, so that `"12.3%"` gives
/// exactly the same `f64` as `"0.123"`.
pub(super) fn parse_percent_f64(s: &str) -> Option<f64> {
    let (int, frac) = split_decimal(s)?;
    let padded = format!("{int:0>2}");
    let (whole, moved) = padded.split_at(padded.len() - 2);
    let whole = if whole.is_empty() { "0" } else { whole };
    let value: f64 = format!("{whole}.{moved}{frac}").parse().ok()?;
    value.is_finite().then_some(value)
}

/// `int.frac` times `unit` microseconds, with the fraction rounded half up
/// to a whole microsecond using integer arithmetic only. `None` on overflow.
pub(super) fn scale_decimal(int: &str, frac: &str, unit: u64) -> Option<u64> {
    let int = int.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })?;
    // Evaluate 0.d1 d2 ... dn * unit from the last digit backwards:
    // y_k = (d_k * unit + y_{k+1}) / 10. Only floor(y) needs carrying, since
    // floor((n + f) / 10) == n / 10 for an integer n and 0 <= f < 1; and the
    // fraction of y_1 is at least one half exactly when the last n % 10 >= 5.
    // Every intermediate n stays below 10 * unit, so nothing can overflow.
    let (mut carry, mut last) = (0u64, 0u64);
    for b in frac.bytes().rev() {
        let n = u64::from(b - b'0') * unit + carry;
        carry = n / 10;
        last = n % 10;
    }
    let frac = carry + u64::from(last >= 5);
    int.checked_mul(unit)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_numbers_read_plain_and_with_a_power_of_ten() {
        for (text, value) in [
            ("12", 12.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e6", 1e6),
            ("2.5E-3", 2.5e-3),
            ("1e+3", 1e3),
            (".5e1", 5.0),
            ("5.e1", 50.0),
            ("99999999999999999999", 1e20),
        ] {
            assert_eq!(parse_scientific_f64(text), Some(value), "{text}");
        }
        assert_eq!(parse_scientific_f64("1e400"), Some(f64::INFINITY));
        for bad in [
            "", "e5", "1e", "1e+", "-1", "+1", "inf", "NaN", "1e5.5", "1x", ".",
        ] {
            assert_eq!(parse_scientific_f64(bad), None, "{bad}");
        }
    }
}
