//! Home: every DaemonSet with its counts, coverage bar, gaps, release failures, nodes down,
//! hog mark, rollout progress or diagnosis, images and age. At 80 columns the name, coverage,
//! the three problem counts, the hog mark and the rollout stay; the kubectl counts, images and
//! age go first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::ui::Scene;
use crate::ui::glyph;
use crate::ui::screens::{age, scope};
use crate::ui::table::{self, Col, col, styled};
use crate::ui::theme::Slot;
use herd_app::derived::FleetRow;
use herd_core::analysis::rollout::Phase;
use herd_core::analysis::units;

const COLS: [Col; 15] = [
    col("NAMESPACE", 14, 4),
    col("NAME", 20, 0).grows(),
    // DESIRED and UP-TO-DATE repeat what COVERAGE and ROLLOUT show: they go before those.
    col("DESIRED", 7, 7),
    col("CURRENT", 7, 8),
    col("READY", 5, 3),
    col("UP-TO-DATE", 10, 8),
    col("AVAILABLE", 9, 8),
    col("COVERAGE", 16, 0),
    col("GAPS", 4, 1),
    col("FAIL", 4, 1),
    col("DOWN", 4, 1),
    col("HOG", 3, 2),
    col("ROLLOUT", 16, 1).grows(),
    col("IMAGES", 30, 9).grows(),
    col("AGE", 5, 5),
];

pub fn render(state: &Scene, frame: &mut Frame, area: Rect) {
    let page = state.ui.page();
    let (from, to) = table::window(page, usize::from(area.height.saturating_sub(3)));
    let cells = page.rows[from..to]
        .iter()
        .filter_map(|&i| state.derived.fleet_rows.get(i as usize))
        .map(|r| row(state, r))
        .collect();
    let title = format!("daemonsets{}", scope(state));
    let block = table::block(state, title, page.rows.len());
    let cursor = page.cursor.checked_sub(from);
    table::draw(frame, area, state, block, &COLS, cells, cursor);
}

fn row(state: &Scene, r: &FleetRow) -> Vec<Line<'static>> {
    let s = &r.status;
    let num = |n: u32| table::plain(n.to_string());
    let problems = |n: u32, slot: Slot| {
        if n == 0 {
            styled(state, "0", Slot::Dim)
        } else {
            styled(state, format!("{n}!"), slot)
        }
    };
    let (hog_mark, hog_slot) = glyph::level(r.hog);
    vec![
        table::plain(r.namespace.to_string()),
        table::plain(r.name.to_string()),
        num(s.desired),
        num(s.current),
        ready_cell(state, s.ready, s.desired),
        num(s.updated),
        num(s.available),
        coverage_cell(state, r),
        problems(r.gaps, Slot::Critical),
        problems(r.failing, Slot::Critical),
        problems(r.node_down, Slot::Warn),
        styled(
            state,
            if r.hogs > 0 {
                format!("{hog_mark}{}", r.hogs)
            } else {
                String::new()
            },
            hog_slot,
        ),
        rollout_cell(state, r),
        styled(state, r.images.clone(), Slot::Dim),
        table::plain(age(state, r.created)),
    ]
}

fn ready_cell(state: &Scene, ready: u32, desired: u32) -> Line<'static> {
    let slot = if ready >= desired {
        Slot::Ok
    } else {
        Slot::Warn
    };
    styled(state, format!("{ready}"), slot)
}

/// `██████ 38/40`: eligible nodes served, bar and numbers; `∅ targets none` when the
/// selectors match no node (a typo must not read as a complete DaemonSet).
fn coverage_cell(state: &Scene, r: &FleetRow) -> Line<'static> {
    if r.untargeted.is_some() {
        return styled(state, "∅ targets none", Slot::Warn);
    }
    // Nodes kept off only by a forgotten toleration count as wanted: that is the gap to see.
    let wanted = r.eligible + r.taint_blocked;
    let slot = if r.served >= wanted {
        Slot::Ok
    } else if r.gaps + r.failing > 0 {
        Slot::Critical
    } else {
        Slot::Warn
    };
    let (filled, empty) = glyph::bar(r.served, wanted, 6);
    Line::from(vec![
        Span::styled(filled, state.theme.style(slot)),
        Span::styled(empty, state.theme.style(Slot::Dim)),
        Span::styled(format!(" {}/{}", r.served, wanted), state.theme.style(slot)),
    ])
}

/// Progress with its ETA, or why it does not move: the stall's diagnosis names the nodes.
fn rollout_cell(state: &Scene, r: &FleetRow) -> Line<'static> {
    let rollout = &r.rollout;
    let (updated, desired) = (rollout.updated, rollout.desired);
    if let Some(found) = &r.untargeted {
        return styled(state, format!("∅ {}", found.describe()), Slot::Warn);
    }
    if let Some(stall) = &rollout.stall {
        let text = format!("⚠ {updated}/{desired} {}", stall.brief(state.now));
        return styled(state, text, Slot::Critical);
    }
    match rollout.phase {
        Phase::Complete => styled(state, "✓ complete", Slot::Ok),
        Phase::Unobserved => styled(state, "◌ observing", Slot::Pending),
        Phase::Progressing => {
            let eta = rollout
                .eta
                .map(|eta| format!(" ~{} left", units::age(eta)))
                .unwrap_or_default();
            styled(state, format!("↻ {updated}/{desired}{eta}"), Slot::Pending)
        }
        Phase::Waiting => styled(
            state,
            format!("‖ OnDelete {updated}/{desired}"),
            Slot::OldRevision,
        ),
    }
}
