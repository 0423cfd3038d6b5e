//! Short human forms of amounts and ages for reasons and tables ("250m", "1.5", "512Mi", "12m").

use jiff::SignedDuration;

/// Millicores as kubectl top prints them: "250m" below a core, "1.5" cores above.
pub fn cpu(millis: i64) -> String {
    if millis.abs() < 1000 {
        return format!("{millis}m");
    }
    let cores = millis as f64 / 1000.0;
    trim(format!("{cores:.2}"))
}

/// Bytes in the largest binary unit that leaves at least 1, one decimal at most ("1.5Gi").
pub fn memory(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["Ki", "Mi", "Gi", "Ti", "Pi"];
    if bytes.abs() < 1024 {
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

/// A share as a whole percentage ("83%").
pub fn percent(ratio: f64) -> String {
    format!("{:.0}%", ratio * 100.0)
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
}
