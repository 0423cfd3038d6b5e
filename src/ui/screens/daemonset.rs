//! One DaemonSet: the spec summary and rollout progress on top, then either the per-node table
//! (node, pod, phase, revision, restarts, usage against request and limit, the reason) or the
//! coverage map.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};

use crate::ui::Scene;
use crate::ui::glyph;
use crate::ui::safe;
use crate::ui::screens::coverage_map;
use crate::ui::table::{self, Col, col, styled};
use crate::ui::theme::Slot;
use herd_app::update::rollout::record_of;
use herd_app::update::target::staging_record;
use herd_core::analysis::coverage::{Coverage, DsCoverage};
use herd_core::analysis::units;
use herd_core::analysis::verdict::{self, Verdict};
use herd_core::engine::record::{RolloutRecord, State as RecordState};
use herd_core::model::daemonset::{DaemonSet, StrategyKind};
use herd_core::targeting::stage::{StageRecord, StageState};

const COLS: [Col; 10] = [
    col("NODE", 18, 0),
    col("VERDICT", 17, 0),
    col("POD", 20, 4).grows(),
    col("PHASE", 9, 6),
    col("REV", 4, 2),
    col("RESTARTS", 8, 3),
    col("CPU/R/L", 16, 5),
    col("MEM/R/L", 20, 5),
    col("NODE STATE", 11, 2),
    col("REASON", 30, 1).grows(),
];

pub fn render(state: &Scene, uid: &str, frame: &mut Frame, area: Rect) {
    let (Some(ds), Some(cov)) = (state.fleet.daemon_set(uid), state.derived.coverage_of(uid))
    else {
        let text = Paragraph::new("this DaemonSet is gone (deleted, or not listed yet)")
            .block(Block::default().borders(Borders::ALL));
        frame.render_widget(text, area);
        return;
    };
    let managed = record_of(state, uid).filter(|r| !r.state.is_final());
    let staged = staging_record(ds).filter(|r| !r.state.is_final());
    let [summary, banner, staging, gauge, rest] = Layout::vertical([
        Constraint::Length(crate::ui::layout::DS_SUMMARY_ROWS),
        Constraint::Length(u16::from(managed.is_some())),
        Constraint::Length(u16::from(staged.is_some())),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    render_summary(state, ds, frame, summary);
    if let Some(record) = managed {
        render_banner(state, &record, frame, banner);
    }
    if let Some(record) = staged {
        render_staging(state, &record, frame, staging);
    }
    render_gauge(state, ds, cov, frame, gauge);
    if state.ui.page().map {
        coverage_map::render(state, cov, frame, rest);
    } else {
        render_nodes(state, ds, cov, frame, rest);
    }
}

fn render_summary(state: &Scene, ds: &DaemonSet, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let spec = ds.targeting.spec();
    let key = |k: &str| Span::styled(format!("{k:>14} "), theme.style(Slot::HeaderKey));
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    let images = list(
        ds.containers
            .iter()
            .map(|c| format!("{}={}", c.name, c.image))
            .collect(),
    );
    let node_selector = list(
        spec.node_selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
    );
    let affinity = match &spec.required_terms {
        None => "none".to_string(),
        Some(terms) => list(
            terms
                .iter()
                .map(|t| {
                    t.match_expressions
                        .iter()
                        .chain(&t.match_fields)
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" && ")
                })
                .collect(),
        ),
    };
    let tolerations = list(spec.tolerations.iter().map(ToString::to_string).collect());
    let strategy = match ds.update_strategy.kind {
        StrategyKind::OnDelete => "OnDelete".to_string(),
        StrategyKind::RollingUpdate => format!(
            "RollingUpdate maxUnavailable={} maxSurge={}",
            ds.update_strategy
                .max_unavailable
                .map_or("-".into(), |v| v.to_string()),
            ds.update_strategy
                .max_surge
                .map_or("-".into(), |v| v.to_string())
        ),
    };
    let revision = state
        .fleet
        .revisions_of(&ds.uid)
        .last()
        .map_or("-".to_string(), |r| {
            format!("{} ({})", r.revision, r.hash.as_deref().unwrap_or("?"))
        });
    let line =
        |k: &str, v: String| Line::from(vec![key(k), Span::styled(v, theme.style(Slot::Text))]);
    let lines = vec![
        line("images", images),
        line(
            "selector",
            format!("{}   node selector: {node_selector}", ds.selector),
        ),
        line("affinity", affinity),
        line("tolerations", tolerations),
        line(
            "strategy",
            format!(
                "{strategy}   revision {revision}   minReady {}s",
                ds.min_ready_seconds
            ),
        ),
    ];
    let title = Span::styled(
        format!(" {}/{} ", ds.namespace, ds.name),
        theme.style(Slot::Title),
    );
    frame.render_widget(
        Paragraph::new(safe::lines(lines)).block(Block::default().title(safe::span(title))),
        area,
    );
}

/// The managed rollout in hand, for as long as it is: what it is doing and the key that
/// controls it. A paused, halted or contested one stays in sight until a person acts.
fn render_banner(state: &Scene, record: &RolloutRecord, frame: &mut Frame, area: Rect) {
    let (glyph, slot) = match record.state {
        RecordState::Progressing => ("▶", Slot::Info),
        RecordState::Paused { .. } => ("‖", Slot::Warn),
        _ => ("✗", Slot::Critical),
    };
    let target = record
        .target
        .as_ref()
        .map_or(String::new(), |t| format!(" to revision {}", t.revision));
    let took = state
        .derived
        .rollout_view
        .as_ref()
        .and_then(|(_, s)| s.took_anyway)
        .filter(|n| *n > 0)
        .map_or(String::new(), |n| {
            format!(" · {n} node(s) took the new template while paused")
        });
    let text = format!(
        "{glyph} managed rollout{target}: {}{took} · max unavailable {} · R for its controls",
        record.state.describe(),
        record.policy.max_unavailable
    );
    frame.render_widget(
        Paragraph::new(Line::styled(safe::text(&text), state.theme.style(slot))),
        area,
    );
}

/// A staged targeting edit in hand: how far it is, and the commands that act on it.
fn render_staging(state: &Scene, record: &StageRecord, frame: &mut Frame, area: Rect) {
    let held = state
        .fleet
        .nodes()
        .filter(|n| n.labels.contains_key(&record.hold))
        .count();
    let (glyph, slot, next) = match record.state {
        StageState::Progressing => ("▶", Slot::Info, ":stage rollback undoes it"),
        _ => ("✗", Slot::Critical, ":stage resume or :stage rollback"),
    };
    let text = format!(
        "{glyph} staged targeting edit: {} · {} of {} batch(es) released · {held} node(s) held · {next}",
        record.state.describe(),
        record.released,
        record.batches(),
    );
    frame.render_widget(
        Paragraph::new(Line::styled(safe::text(&text), state.theme.style(slot))),
        area,
    );
}

fn render_gauge(state: &Scene, ds: &DaemonSet, cov: &DsCoverage, frame: &mut Frame, area: Rect) {
    let c = &cov.counts;
    let ratio = if c.desired == 0 {
        1.0
    } else {
        f64::from(c.updated.min(c.desired)) / f64::from(c.desired)
    };
    // The Fleet row holds the rollout diagnosis (rate, ETA, what holds a stall).
    let rollout = match state.derived.row(&ds.uid) {
        Some(row) if row.untargeted.is_some() => row
            .untargeted
            .as_ref()
            .map_or(String::new(), |u| u.describe()),
        Some(row) => row.rollout.describe(state.now),
        None => format!("{}/{}", c.updated, c.desired),
    };
    let label = format!(
        "rollout {rollout} · {} ready · {} available · {} misscheduled{}",
        c.ready,
        c.available,
        c.misscheduled,
        if ds.is_observed() {
            ""
        } else {
            " · spec not observed yet"
        }
    );
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(state.theme.style(Slot::Gauge)),
        area,
    );
}

fn render_nodes(state: &Scene, ds: &DaemonSet, cov: &DsCoverage, frame: &mut Frame, area: Rect) {
    let page = state.ui.page();
    let (from, to) = table::window(page, usize::from(area.height.saturating_sub(3)));
    let current = state.fleet.current_hash(ds).map(str::to_string);
    let cells = page.rows[from..to]
        .iter()
        .filter_map(|&i| cov.rows.get(i as usize))
        .map(|row| node_row(state, ds, row, current.as_deref()))
        .collect();
    let tally = tally(cov);
    let block = table::block(state, format!("nodes  {tally} "), page.rows.len());
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

fn node_row(
    state: &Scene,
    ds: &DaemonSet,
    row: &Coverage,
    current: Option<&str>,
) -> Vec<Line<'static>> {
    let m = glyph::Mark::of(row);
    let (mark, slot) = glyph::mark(m);
    let pod = row.pod.and_then(|id| state.fleet.pod(id));
    let reason = match state.fleet.node(&row.node) {
        Some(node) => verdict::judge(row, pod, node, ds, state.now).describe(state.now),
        None => row.reason.describe(state.now),
    };
    let hog = row.pod.and_then(|id| state.derived.hog_of(id));
    let rev = match (pod.and_then(|p| p.revision_hash.as_deref()), current) {
        (Some(h), Some(c)) if h == c => styled(state, "new", Slot::NewRevision),
        (Some(_), _) => styled(state, "old", Slot::OldRevision),
        _ => table::plain("-"),
    };
    let usage = |u: Option<&herd_core::analysis::hogs::Utilization>, fmt: fn(i64) -> String| {
        u.map_or("-".to_string(), |u| {
            format!(
                "{}/{}/{}",
                u.usage.map_or("-".into(), fmt),
                u.request.map_or("-".into(), fmt),
                u.limit.map_or("-".into(), fmt)
            )
        })
    };
    let ctx = &row.context;
    let node_state = match (ctx.not_ready(), ctx.cordoned) {
        (true, _) => {
            let word = match ctx.ready {
                herd_core::model::node::ConditionStatus::False => "NotReady",
                _ => "Unknown",
            };
            styled(state, format!("✗ {word}"), Slot::Critical)
        }
        (false, true) => styled(state, "⊘ cordoned", Slot::Warn),
        (false, false) => styled(state, "ready", Slot::Dim),
    };
    vec![
        table::plain(row.node.to_string()),
        styled(state, format!("{mark} {}", m.label()), slot),
        table::plain(pod.map_or("-".to_string(), |p| p.name.to_string())),
        table::plain(pod.map_or("-".to_string(), |p| format!("{:?}", p.phase))),
        rev,
        table::plain(pod.map_or("-".to_string(), |p| p.restarts.to_string())),
        table::plain(usage(hog.map(|h| &h.cpu), units::cpu)),
        table::plain(usage(hog.map(|h| &h.memory), units::memory)),
        node_state,
        styled(state, reason, slot),
    ]
}

/// `✗ 1 release-failing  ⊗ 6 taint-blocked  ● 33 healthy`: every verdict with nodes, most
/// severe first.
fn tally(cov: &DsCoverage) -> String {
    Verdict::ALL
        .into_iter()
        .filter(|v| cov.verdicts.get(*v) > 0)
        .map(|v| {
            format!(
                "{} {} {}",
                glyph::verdict(v).0,
                cov.verdicts.get(v),
                v.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join("  ")
}
