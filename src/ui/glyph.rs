//! Glyphs that go with colours, so meaning never rests on colour alone.

use crate::ui::theme::Slot;
pub use herd_app::rows::Mark;
use herd_core::analysis::coverage::Status;
use herd_core::analysis::thresholds::Level;
use herd_core::analysis::verdict::Verdict;

/// The mark and theme slot of a coverage status.
pub fn status(s: Status) -> (&'static str, Slot) {
    match s {
        Status::Ready => ("●", Slot::Ok),
        Status::Outdated => ("◐", Slot::OldRevision),
        Status::Pending => ("◌", Slot::Pending),
        Status::Failing => ("✗", Slot::Critical),
        Status::Terminating => ("⊘", Slot::Warn),
        Status::Missing => ("○", Slot::Critical),
        Status::Misscheduled => ("▲", Slot::Warn),
        Status::Excluded => ("·", Slot::Excluded),
    }
}

/// The glyph and slot of a row's mark: its verdict.
pub fn mark(m: Mark) -> (&'static str, Slot) {
    verdict(m.0)
}

/// The glyph and slot of a verdict. A node that is down is not the daemon's fault: it is
/// marked apart from the release's failures, in the warning colour.
pub fn verdict(v: Verdict) -> (&'static str, Slot) {
    match v {
        Verdict::ReleaseFailing => ("✗", Slot::Critical),
        Verdict::Missing => ("○", Slot::Critical),
        Verdict::TaintBlocked => ("⊗", Slot::Warn),
        Verdict::StuckPending => ("◌", Slot::Warn),
        Verdict::NodeDown => ("↯", Slot::Warn),
        Verdict::Rolling => ("↻", Slot::Pending),
        Verdict::Healthy => ("●", Slot::Ok),
        Verdict::NotTargeted => ("·", Slot::Excluded),
    }
}

pub fn level(l: Level) -> (&'static str, Slot) {
    match l {
        Level::Ok => ("", Slot::Text),
        Level::Warn => ("▲", Slot::Warn),
        Level::Critical => ("✗", Slot::Critical),
    }
}

/// The filled and empty parts of a `width`-cell bar for `part` of `whole`, in eighths of a
/// cell, so 39 of 40 does not look like 40 of 40.
pub fn bar(part: u32, whole: u32, width: usize) -> (String, String) {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = if whole == 0 {
        width * 8
    } else {
        let exact = u64::from(part.min(whole)) * width as u64 * 8 / u64::from(whole);
        // Anything short of whole stays visibly short of full.
        let exact = if part < whole {
            exact.min(width as u64 * 8 - 1)
        } else {
            exact
        };
        exact as usize
    };
    let full = eighths / 8;
    let mut filled = "█".repeat(full);
    filled.push_str(EIGHTHS[eighths % 8]);
    let used = full + usize::from(eighths % 8 > 0);
    (filled, "·".repeat(width - used))
}

/// Eight-level sparkline of `values` between their own lowest and highest, so a steady series
/// reads flat and a trend shows; a spread under 1/8 of the highest also reads flat.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    let min = values.iter().copied().min().unwrap_or(0);
    let span = (max - min).max(max / 8).max(1);
    values
        .iter()
        .map(|&v| BARS[(((v - min) * 7 + span / 2) / span).min(7) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_show_eighths_and_never_look_full_when_short() {
        assert_eq!(bar(1, 2, 4), ("██".to_string(), "··".to_string()));
        assert_eq!(bar(0, 0, 3), ("███".to_string(), String::new()));
        assert_eq!(bar(5, 3, 3), ("███".to_string(), String::new()));
        assert_eq!(bar(39, 40, 8), ("███████▊".to_string(), String::new()));
        assert_eq!(bar(399, 400, 8), ("███████▉".to_string(), String::new()));
    }

    #[test]
    fn sparklines_show_the_trend_not_the_level() {
        assert_eq!(sparkline(&[0, 4, 8]), "▁▅█");
        assert_eq!(sparkline(&[]), "");
        // A steady 900 reads flat low, a leak climbs.
        assert_eq!(sparkline(&[900, 900, 900]), "▁▁▁");
        assert_eq!(sparkline(&[800, 850, 900, 950, 1000]), "▁▃▅▆█");
    }

    #[test]
    fn every_verdict_has_a_distinct_glyph() {
        let mut seen: Vec<&str> = Verdict::ALL.iter().map(|v| verdict(*v).0).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Verdict::ALL.len());
    }

    #[test]
    fn every_status_has_a_distinct_glyph() {
        let mut seen: Vec<&str> = Status::ALL.iter().map(|s| status(*s).0).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Status::ALL.len());
    }
}
