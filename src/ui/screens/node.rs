//! One node: its state and DaemonSet tax on top, then every DaemonSet with whether it should
//! run here, whether it does, and why not.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::Scene;
use crate::ui::glyph;
use crate::ui::safe;
use crate::ui::table::{self, Col, col, styled};
use crate::ui::theme::Slot;
use herd_core::analysis::verdict;
use herd_core::analysis::{fill, units};

const COLS: [Col; 6] = [
    col("NAMESPACE", 14, 2),
    col("DAEMONSET", 24, 0),
    col("SHOULD RUN", 10, 1),
    col("STATUS", 15, 0),
    col("POD", 24, 3).grows(),
    col("WHY", 30, 0).grows(),
];

pub fn render(state: &Scene, name: &str, frame: &mut Frame, area: Rect) {
    let [top, rest] = Layout::vertical([
        Constraint::Length(crate::ui::layout::NODE_SUMMARY_ROWS),
        Constraint::Min(3),
    ])
    .areas(area);
    let Some(node) = state.fleet.node(name) else {
        frame.render_widget(
            Paragraph::new(safe::text(&format!("node {name} is gone"))),
            area,
        );
        return;
    };
    let theme = &state.theme;
    let tax = state.derived.tax_of(name);
    let share = |v: Option<f64>| v.map_or("-".to_string(), units::percent);
    let lines = vec![
        Line::from(vec![
            Span::styled(format!(" {name} "), theme.style(Slot::Title)),
            Span::styled(
                format!(
                    " pool {}  allocatable {} CPU, {}  ",
                    node.pool.as_deref().unwrap_or("-"),
                    units::cpu(node.allocatable.cpu_millis),
                    units::memory(node.allocatable.memory_bytes)
                ),
                theme.style(Slot::Text),
            ),
        ]),
        Line::from(Span::styled(
            format!(
                " ready {:?}{}   taints: {}",
                node.ready.status,
                if node.unschedulable { ", cordoned" } else { "" },
                if node.taints.is_empty() {
                    "none".to_string()
                } else {
                    node.taints
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            theme.style(if node.is_ready() {
                Slot::Text
            } else {
                Slot::Critical
            }),
        )),
        Line::from(Span::styled(
            format!(
                " DaemonSet tax: requests {} CPU / {} memory of allocatable; usage {} / {}",
                share(tax.and_then(|t| t.cpu_request_share)),
                share(tax.and_then(|t| t.memory_request_share)),
                share(tax.and_then(|t| t.cpu_usage_share)),
                share(tax.and_then(|t| t.memory_usage_share)),
            ),
            theme.style(Slot::Text),
        )),
        Line::from(Span::styled(
            other_pods_line(state, name),
            theme.style(Slot::Text),
        )),
    ];
    frame.render_widget(Paragraph::new(safe::lines(lines)), top);
    render_rows(state, frame, rest);
}

/// Who fills the node besides its daemons: ` other pods 30 requesting 3.2 CPU / 8.0GiB; largest
/// apps/search-x 400m/700Mi, …`. With only daemon pods watched they are read when the page
/// opens, and the line says so until they are in.
fn other_pods_line(state: &Scene, name: &str) -> String {
    let Some(fill) = fill::other_pods_on(&state.fleet, name, 3) else {
        return " other pods: reading the pods on this node…".to_string();
    };
    if fill.count == 0 {
        return " other pods: none".to_string();
    }
    let largest: Vec<String> = fill
        .largest
        .iter()
        .map(|f| {
            format!(
                "{} {}/{}",
                f.pod,
                units::cpu(f.requests.cpu_millis),
                units::memory(f.requests.memory_bytes)
            )
        })
        .collect();
    let read = fill
        .read_at
        .map(|at| format!(" (read {} ago)", units::age(state.now.duration_since(at))))
        .unwrap_or_default();
    format!(
        " other pods {} requesting {} CPU / {}; largest {}{read}",
        fill.count,
        units::cpu(fill.requests.cpu_millis),
        units::memory(fill.requests.memory_bytes),
        largest.join(", ")
    )
}

fn render_rows(state: &Scene, frame: &mut Frame, area: Rect) {
    let page = state.ui.page();
    let Some(view) = &state.derived.node_view else {
        return;
    };
    let (from, to) = table::window(page, usize::from(area.height.saturating_sub(3)));
    let cells = page.rows[from..to]
        .iter()
        .filter_map(|&i| view.rows.get(i as usize))
        .map(|(uid, c)| {
            let ds = state.fleet.daemon_set(uid);
            let m = glyph::Mark::of(c);
            let (mark, slot) = glyph::mark(m);
            let pod = c.pod.and_then(|id| state.fleet.pod(id));
            let why = match (ds, state.fleet.node(&c.node)) {
                (Some(ds), Some(node)) => {
                    verdict::judge(c, pod, node, ds, state.now).describe(state.now)
                }
                _ => c.reason.describe(state.now),
            };
            vec![
                table::plain(ds.map_or("-".to_string(), |d| d.namespace.to_string())),
                table::plain(ds.map_or("-".to_string(), |d| d.name.to_string())),
                if c.status.should_run() {
                    styled(state, "yes", Slot::Text)
                } else {
                    styled(state, "no", Slot::Excluded)
                },
                styled(state, format!("{mark} {}", m.label()), slot),
                table::plain(pod.map_or("-".to_string(), |p| p.name.to_string())),
                styled(state, why, slot),
            ]
        })
        .collect();
    let block = table::block(state, "daemonsets on this node".into(), page.rows.len());
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
