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
