//! Short human forms of amounts and ages for reasons and tables ("250m", "1.5", "512Mi", "12m").

use jiff::SignedDuration;

/// Millicores as kubectl top prints them: "250m" below a core, "1.5" cores above, and with a
/// decimal suffix from a million cores ("1.5M", as a quantity would write it). A saturated
/// sum (`model::resources`) is a bound and says so: ">9.2P".
pub fn cpu(millis: i64) -> String {
    bound(millis, cpu_amount(millis))
}

fn cpu_amount(millis: i64) -> String {
    const SUFFIXES: [&str; 5] = ["k", "M", "G", "T", "P"];
    if millis.unsigned_abs() < 1000 {
        return format!("{millis}m");
    }
    let cores = millis as f64 / 1000.0;
    if cores.abs() < 1e6 {
        return trim(format!("{cores:.2}"));
    }
    let mut value = cores / 1000.0;
    let mut unit = 0;
    while value.abs() >= 1000.0 && unit + 1 < SUFFIXES.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{}{}", trim(format!("{value:.1}")), SUFFIXES[unit])
}

/// Millicores with their unit always written: "250m" below a core, "1 core", "1.5 cores" from
/// one, where [`cpu`]'s bare "1.5" could be read as anything.
pub fn cores(millis: i64) -> String {
    let text = cpu(millis);
    if millis.unsigned_abs() < 1000 {
        text
    } else if millis == 1000 {
        format!("{text} core")
    } else {
        format!("{text} cores")
    }
}

/// Bytes in the largest binary unit that leaves at least 1, one decimal at most ("1.5Gi").
/// A saturated sum is a bound: ">8Ei".
pub fn memory(bytes: i64) -> String {
    bound(bytes, memory_amount(bytes))
}

/// Like [`memory`], with the unit written below a kibibyte too ("512B" rather than "512").
pub fn bytes(bytes: i64) -> String {
    let text = memory(bytes);
    if bytes.unsigned_abs() < 1024 {
        format!("{text}B")
    } else {
        text
    }
}

/// A multiple of something, as "13×" from ten up, "2.5×" below; past 9999× a bound, and a
/// ratio that is not a number as "-".
pub fn times(ratio: f64) -> String {
    if ratio.is_nan() {
        "-".to_string()
    } else if ratio > MAX_PERCENT {
        format!(">{MAX_PERCENT:.0}×")
    } else if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{}×", trim(format!("{ratio:.1}")))
    }
}

fn memory_amount(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if bytes.unsigned_abs() < 1024 {
        return format!("{bytes}");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{}{}", trim(format!("{value:.1}")), UNITS[unit])
}

/// Marks an amount pinned at an end of `i64` as the bound it is.
fn bound(amount: i64, text: String) -> String {
    match amount {
        i64::MAX => format!(">{text}"),
        i64::MIN => format!("<{text}"),
        _ => text,
    }
}

/// Shares beyond this print as a bound: a pod over its request by a factor of 10^16 is not
/// helped by seeing the digits, and a column cannot hold them.
const MAX_PERCENT: f64 = 9999.0;

/// A share as a whole percentage ("83%"); past 9999% it prints as ">9999%", and a share
/// that is not a number as "-".
pub fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p.is_nan() {
        "-".to_string()
    } else if p > MAX_PERCENT {
        format!(">{MAX_PERCENT:.0}%")
    } else if p < -MAX_PERCENT {
        format!("<-{MAX_PERCENT:.0}%")
    } else {
        format!("{p:.0}%")
    }
}

/// A duration as kubectl's AGE column prints it: "45s", "12m", "3h", "2d".
pub fn age(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A rate of nodes per minute: one decimal below 10 ("0.4", "2.5"), whole above ("12").
pub fn rate(per_minute: f64) -> String {
    if !per_minute.is_finite() || per_minute < 0.0 {
        "-".to_string()
    } else if per_minute < 10.0 {
        format!("{per_minute:.1}")
    } else {
        format!("{per_minute:.0}")
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_like_kubectl_top() {
        assert_eq!(cpu(250), "250m");
        assert_eq!(cpu(1500), "1.5");
        assert_eq!(cpu(2000), "2");
        assert_eq!(memory(512), "512");
        assert_eq!(memory(512 * 1024 * 1024), "512Mi");
        assert_eq!(memory(1536 * 1024 * 1024), "1.5Gi");
        assert_eq!(percent(0.834), "83%");
        assert_eq!(age(SignedDuration::from_secs(45)), "45s");
        assert_eq!(age(SignedDuration::from_secs(725)), "12m");
        assert_eq!(age(SignedDuration::from_secs(3 * 3600 + 5)), "3h");
        assert_eq!(age(SignedDuration::from_secs(3 * 86_400)), "3d");
    }

    #[test]
    fn hog_figures_always_carry_their_unit() {
        assert_eq!(cores(250), "250m");
        assert_eq!(cores(1000), "1 core");
        assert_eq!(cores(1670), "1.67 cores");
        assert_eq!(cores(i64::MAX), ">9.2P cores");
        assert_eq!(bytes(0), "0B");
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(64 * 1024 * 1024), "64Mi");
        assert_eq!(bytes(i64::MAX), ">8Ei");
        assert_eq!(times(13.75), "14×");
        assert_eq!(times(2.5), "2.5×");
        assert_eq!(times(2.0), "2×");
        assert_eq!(times(f64::INFINITY), ">9999×");
        assert_eq!(times(f64::NAN), "-");
    }

    #[test]
    fn amounts_at_the_edges_are_bounds_never_negative_wraps() {
        assert_eq!(memory(i64::MAX), ">8Ei");
        assert_eq!(memory(i64::MIN), "<-8Ei");
        assert_eq!(memory(1 << 62), "4Ei");
        assert_eq!(
            memory(i64::MAX - 1),
            "8Ei",
            "large but exact: no bound mark"
        );
        assert_eq!(cpu(i64::MAX), ">9.2P");
        assert_eq!(cpu(i64::MIN), "<-9.2P");
        assert_eq!(cpu(1_500_000_000), "1.5M");
        assert_eq!(cpu(999_999_000), "999999");
        assert_eq!(percent(f64::INFINITY), ">9999%");
        assert_eq!(percent(i64::MAX as f64), ">9999%");
        assert_eq!(percent(f64::NAN), "-");
        assert_eq!(percent(99.99), "9999%");
        assert_eq!(percent(0.0), "0%");
    }
}
