//! Glyphs that go with colours, so meaning never rests on colour alone.

use crate::analysis::coverage::Status;
use crate::analysis::thresholds::Level;
pub use crate::app::rows::Mark;
use crate::ui::theme::Slot;

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

/// The glyph and slot of a row's mark (its status, or taint-blocked).
pub fn mark(m: Mark) -> (&'static str, Slot) {
    match m {
        Mark::Status(s) => status(s),
        Mark::TaintBlocked => ("⊗", Slot::Warn),
    }
}

pub fn level(l: Level) -> (&'static str, Slot) {
    match l {
        Level::Ok => ("", Slot::Text),
        Level::Warn => ("▲", Slot::Warn),
        Level::Critical => ("✗", Slot::Critical),
    }
}

/// `▕████░░░░▏ 4/8` style bar of `width` cells.
pub fn bar(part: u32, whole: u32, width: usize) -> String {
    let filled = if whole == 0 {
        width
    } else {
        ((u64::from(part) * width as u64 + u64::from(whole) / 2) / u64::from(whole)) as usize
    };
    let filled = filled.min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// Eight-level sparkline of `values` scaled to their own maximum.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|&v| BARS[((v * 7 + max / 2) / max).min(7) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_round_and_fill_empty_wholes() {
        assert_eq!(bar(1, 2, 4), "██░░");
        assert_eq!(bar(0, 0, 3), "███");
        assert_eq!(bar(5, 3, 3), "███");
    }

    #[test]
    fn sparkline_scales_to_its_maximum() {
        assert_eq!(sparkline(&[0, 4, 8]), "▁▅█");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn every_status_has_a_distinct_glyph() {
        let mut seen: Vec<&str> = Status::ALL.iter().map(|s| status(*s).0).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Status::ALL.len());
    }
}
