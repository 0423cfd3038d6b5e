//! Every node: readiness and cordon, pool, taints, its DaemonSets by verdict (running there,
//! missing, failing by the release's fault, down with the node), its DaemonSet tax as a share
//! of allocatable, and age.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::ui::Scene;
use crate::ui::screens::age;
use crate::ui::table::{self, Col, col, styled};
use crate::ui::theme::Slot;
use herd_app::derived::NodeCounts;
use herd_core::analysis::units;
use herd_core::model::node::{ConditionStatus, Node};

const COLS: [Col; 11] = [
    col("NAME", 18, 0),
    col("STATUS", 26, 0),
    col("POOL", 9, 3),
    col("RUN", 4, 1),
    col("MISS", 4, 0),
    col("FAIL", 4, 0),
    col("DOWN", 4, 1),
    col("DS TAX CPU", 10, 2),
    col("DS TAX MEM", 10, 2),
    col("TAINTS", 24, 4).grows(),
    col("AGE", 5, 5),
];

pub fn render(state: &Scene, frame: &mut Frame, area: Rect) {
    let page = state.ui.page();
    let (from, to) = table::window(page, usize::from(area.height.saturating_sub(3)));
    // Rows index the nodes in name order; look up only the visible window's nodes.
    let nodes: Vec<(usize, &Node)> = page.rows[from..to]
        .iter()
        .filter_map(|&i| {
            let i = i as usize;
            state.derived.node_at(&state.fleet, i).map(|n| (i, n))
        })
        .collect();
    let cells = nodes
        .into_iter()
        .map(|(i, n)| {
            let counts = state
                .derived
                .node_counts
                .get(i)
                .copied()
                .unwrap_or_default();
            row(state, n, counts)
        })
        .collect();
    let mut block = table::block(state, "nodes".into(), page.rows.len());
    let marked = state.ui.marked.len();
    if marked > 0 {
        block = block.title(styled(state, format!("◆ {marked} marked "), Slot::Mark));
    }
    table::draw(
        frame,
        area,
        state,
        block,
        &COLS,
        cells,
        page.cursor.checked_sub(from),
    );
}

/// `Ready`, `✗ NotReady`, `? Unknown`, with `,SchedulingDisabled` as kubectl writes it.
pub fn status_cell(state: &Scene, n: &Node) -> Line<'static> {
    let cordon = if n.unschedulable {
        ",SchedulingDisabled"
    } else {
        ""
    };
    let (text, slot) = match n.ready.status {
        ConditionStatus::True if n.unschedulable => (format!("⊘ Ready{cordon}"), Slot::Warn),
        ConditionStatus::True => ("● Ready".to_string(), Slot::Ok),
        ConditionStatus::False => (format!("✗ NotReady{cordon}"), Slot::Critical),
        ConditionStatus::Unknown => (format!("? Unknown{cordon}"), Slot::Critical),
    };
    styled(state, text, slot)
}

fn row(state: &Scene, n: &Node, counts: NodeCounts) -> Vec<Line<'static>> {
    let problems = |n: u32, slot: Slot| {
        if n > 0 {
            styled(state, format!("{n}!"), slot)
        } else {
            styled(state, "0", Slot::Dim)
        }
    };
    let tax = state.derived.tax_of(&n.name);
    let share = |req: Option<f64>, used: Option<f64>| {
        let slot = match req {
            Some(r) if r >= 0.25 => Slot::Warn,
            _ => Slot::Text,
        };
        let text = match (req, used) {
            (Some(r), Some(u)) => format!("{} ({})", units::percent(r), units::percent(u)),
            (Some(r), None) => units::percent(r),
            _ => "-".into(),
        };
        styled(state, text, slot)
    };
    let taints = n
        .taints
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // A marked node (space) wears a mark before its name, as k9s colours marked rows.
    let name = if state.ui.marked.contains(&n.name) {
        styled(state, format!("◆ {}", n.name), Slot::Mark)
    } else {
        table::plain(n.name.to_string())
    };
    vec![
        name,
        status_cell(state, n),
        table::plain(n.pool.as_deref().unwrap_or("-").to_string()),
        table::plain(counts.running.to_string()),
        problems(counts.missing, Slot::Critical),
        problems(counts.failing, Slot::Critical),
        problems(counts.down, Slot::Warn),
        share(
            tax.and_then(|t| t.cpu_request_share),
            tax.and_then(|t| t.cpu_usage_share),
        ),
        share(
            tax.and_then(|t| t.memory_request_share),
            tax.and_then(|t| t.memory_usage_share),
        ),
        styled(state, taints, Slot::Dim),
        table::plain(age(state, n.created)),
    ]
}
