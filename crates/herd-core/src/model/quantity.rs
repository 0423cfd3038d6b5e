//! Kubernetes resource quantities ("500m", "1.5", "2Gi", "100M", "1e3"): exact parsing and the
//! API server's canonical formatting.

use std::fmt;
use std::str::FromStr;

const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// How a quantity is written, which decides its canonical form (upstream keeps the suffix family
/// of what it parsed: "1536Mi" stays binary, "1500M" stays decimal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Ki, Mi, Gi, Ti, Pi, Ei.
    BinarySi,
    /// n, u, m, "", k, M, G, T, P, E.
    DecimalSi,
    /// 1e3, 2E-3.
    DecimalExponent,
}

/// An exact quantity, held in billionths of a unit (the API's finest precision, "1n").
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantity \"{0}\" is empty")]
    Empty(String),
    #[error("quantity \"{0}\" must start with a number (like \"500m\", \"1.5\", \"2Gi\")")]
    NoNumber(String),
    #[error(
        "quantity \"{input}\" has an unknown suffix \"{suffix}\" (known: n u m k M G T P E Ki Mi Gi Ti Pi Ei, or an exponent like e3)"
    )]
    Suffix { input: String, suffix: String },
    #[error("quantity \"{0}\" is too large")]
    Overflow(String),
}

impl Quantity {
    /// Parses the Kubernetes quantity grammar. Digits finer than 1n round up, as upstream does.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(QuantityError::Empty(input.to_string()));
        }
        let (negative, rest) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_len);
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
            return Err(QuantityError::NoNumber(input.to_string()));
        }
        let (base, exp10, format) = parse_suffix(suffix).ok_or_else(|| QuantityError::Suffix {
            input: input.to_string(),
            suffix: suffix.to_string(),
        })?;
        let overflow = || QuantityError::Overflow(input.to_string());
        let mut mantissa: i128 = 0;
        for digit in int_part.bytes().chain(frac_part.bytes()) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(digit - b'0')))
                .ok_or_else(overflow)?;
        }
        let scaled = mantissa.checked_mul(base).ok_or_else(overflow)?;
        let shift = exp10 + 9 - frac_part.len() as i32;
        let nanos = shift_decimal(scaled, shift).ok_or_else(overflow)?;
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
            format,
        })
    }

    /// A whole number of units (bytes, pods, GPUs).
    pub fn from_value(value: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(value) * NANOS_PER_UNIT,
            format,
        }
    }

    /// Thousandths of a unit (CPU millicores).
    pub fn from_millis(millis: i64) -> Quantity {
        Quantity {
            nanos: i128::from(millis) * 1_000_000,
            format: Format::DecimalSi,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The value in whole units, rounded up (upstream `Value()`), saturating at the i64 range.
    pub fn value(&self) -> i64 {
        saturate(div_ceil(self.nanos, NANOS_PER_UNIT))
    }

    /// The value in thousandths, rounded up (upstream `MilliValue()`), saturating.
    pub fn millis(&self) -> i64 {
        saturate(div_ceil(self.nanos, 1_000_000))
    }

    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }
}

impl PartialEq for Quantity {
    /// Quantities compare by value: "1Gi" == "1024Mi", "1" == "1000m".
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl fmt::Display for Quantity {
    /// The canonical form the API server would return: the largest suffix that keeps the
    /// number whole ("1.5" -> "1500m", "0.5Gi" -> "512Mi", "1000" -> "1k").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        if self.format == Format::BinarySi && self.nanos % NANOS_PER_UNIT == 0 {
            let units = self.nanos / NANOS_PER_UNIT;
            if units.abs() >= 1024 {
                return write_binary(f, units);
            }
        }
        let mut exp = 18;
        while exp > -9 && self.nanos % pow10(exp + 9) != 0 {
            exp -= 3;
        }
        let mantissa = self.nanos / pow10(exp + 9);
        match (self.format, exp) {
            (Format::DecimalExponent, 0) => write!(f, "{mantissa}"),
            (Format::DecimalExponent, e) => write!(f, "{mantissa}e{e}"),
            (_, e) => write!(f, "{mantissa}{}", decimal_suffix(e)),
        }
    }
}

fn write_binary(f: &mut fmt::Formatter<'_>, units: i128) -> fmt::Result {
    const SUFFIXES: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut value = units;
    let mut index = None;
    while value % 1024 == 0 && index.is_none_or(|i| i + 1 < SUFFIXES.len()) {
        value /= 1024;
        index = Some(index.map_or(0, |i| i + 1));
    }
    match index {
        Some(i) => write!(f, "{value}{}", SUFFIXES[i]),
        None => write!(f, "{value}"),
    }
}

fn decimal_suffix(exp: i32) -> &'static str {
    match exp {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => "",
    }
}

/// (multiplier, decimal exponent, format) for a suffix.
fn parse_suffix(suffix: &str) -> Option<(i128, i32, Format)> {
    let binary = |power: u32| Some((1024_i128.pow(power), 0, Format::BinarySi));
    let decimal = |exp: i32| Some((1, exp, Format::DecimalSi));
    match suffix {
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let exp: i32 = exp.parse().ok()?;
            (-40..=40)
                .contains(&exp)
                .then_some((1, exp, Format::DecimalExponent))
        }
    }
}

/// `value * 10^shift`, rounding a fractional result up (towards positive infinity).
fn shift_decimal(value: i128, shift: i32) -> Option<i128> {
    if shift >= 0 {
        value.checked_mul(10_i128.checked_pow(shift as u32)?)
    } else {
        let Some(divisor) = 10_i128.checked_pow(shift.unsigned_abs()) else {
            return Some(i128::from(value > 0));
        };
        Some(div_ceil(value, divisor))
    }
}

fn pow10(exp: i32) -> i128 {
    10_i128.pow(exp.max(0) as u32)
}

fn div_ceil(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b > 0 { q + 1 } else { q }
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_every_suffix_family() {
        assert_eq!(q("500m").millis(), 500);
        assert_eq!(q("1.5").millis(), 1500);
        assert_eq!(q("2Gi").value(), 2 * 1024 * 1024 * 1024);
        assert_eq!(q("100M").value(), 100_000_000);
        assert_eq!(q("1e3").value(), 1000);
        assert_eq!(q(".5").millis(), 500);
        assert_eq!(q("-2").value(), -2);
        assert_eq!(q("1n").nanos(), 1);
    }

    #[test]
    fn rounds_up_below_a_nano_and_in_accessors() {
        assert_eq!(q("0.1n").nanos(), 1);
        assert_eq!(q("1m").value(), 1);
        assert_eq!(q("1.0001m").millis(), 2);
    }

    #[test]
    fn canonical_form_matches_the_api_server() {
        for (input, canonical) in [
            ("500m", "500m"),
            ("1.5", "1500m"),
            ("2Gi", "2Gi"),
            ("0.5Gi", "512Mi"),
            ("1536Mi", "1536Mi"),
            ("100M", "100M"),
            ("1000", "1k"),
            ("1e3", "1e3"),
            ("0", "0"),
            ("1024", "1024"),
            ("10Ki", "10Ki"),
        ] {
            assert_eq!(q(input).to_string(), canonical, "{input}");
            assert_eq!(q(canonical), q(input), "round trip of {input}");
        }
    }

    #[test]
    fn rejects_malformed_input_with_the_value_named() {
        for bad in ["", "abc", "1.2.3", "5 Gi", "12XB", "."] {
            let err = Quantity::parse(bad).expect_err(bad);
            assert!(err.to_string().contains(bad.trim()), "{err}");
        }
        assert!(matches!(
            Quantity::parse("99999999999999999999999999999999999E"),
            Err(QuantityError::Overflow(_))
        ));
    }

    #[test]
    fn compares_by_value() {
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert!(q("900m") < q("1"));
    }
}
