//! Home: every DaemonSet with its counts, coverage bar, gaps, failing pods, hog mark, rollout
//! gauge, images and age.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::ui::Scene;
use crate::ui::glyph;
use crate::ui::screens::{age, scope};
use crate::ui::table::{self, Col, col, styled};
use crate::ui::theme::Slot;
use herd_app::derived::{FleetRow, Rollout};

const COLS: [Col; 14] = [
    col("NAMESPACE", 14, 3),
    col("NAME", 24, 0),
    col("DESIRED", 7, 4),
    col("CURRENT", 7, 6),
    col("READY", 5, 1),
    col("UP-TO-DATE", 10, 5),
    col("AVAILABLE", 9, 6),
    col("COVERAGE", 20, 0),
    col("GAPS", 5, 1),
    col("FAIL", 5, 1),
    col("HOG", 4, 2),
    col("ROLLOUT", 18, 2),
    col("IMAGES", 34, 7),
    col("AGE", 5, 3),
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
        styled(
            state,
            if r.hogs > 0 {
                format!("{hog_mark}{}", r.hogs)
            } else {
                String::new()
            },
            hog_slot,
        ),
        rollout_cell(state, r.rollout),
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

/// `███████░ 38/40`: eligible nodes served, bar and numbers.
fn coverage_cell(state: &Scene, r: &FleetRow) -> Line<'static> {
    // Nodes kept off only by a forgotten toleration count as wanted: that is the gap to see.
    let wanted = r.eligible + r.taint_blocked;
    let slot = if r.served >= wanted {
        Slot::Ok
    } else if r.gaps + r.failing > 0 {
        Slot::Critical
    } else {
        Slot::Warn
    };
    let (filled, empty) = glyph::bar(r.served, wanted, 8);
    Line::from(vec![
        Span::styled(filled, state.theme.style(slot)),
        Span::styled(empty, state.theme.style(Slot::Dim)),
        Span::styled(format!(" {}/{}", r.served, wanted), state.theme.style(slot)),
    ])
}

fn rollout_cell(state: &Scene, rollout: Rollout) -> Line<'static> {
    match rollout {
        Rollout::Complete => styled(state, "✓ complete", Slot::Ok),
        Rollout::Pending => styled(state, "◌ observing", Slot::Pending),
        Rollout::Progressing { updated, desired } => {
            let (filled, empty) = glyph::bar(updated, desired, 6);
            Line::from(vec![
                Span::styled(filled, state.theme.style(Slot::NewRevision)),
                Span::styled(empty, state.theme.style(Slot::Dim)),
                Span::styled(
                    format!(" ↻ {updated}/{desired}"),
                    state.theme.style(Slot::Pending),
                ),
            ])
        }
        Rollout::Waiting { updated, desired } => styled(
            state,
            format!("⏸ OnDelete {updated}/{desired}"),
            Slot::OldRevision,
        ),
    }
}
