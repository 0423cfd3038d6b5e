//! The managed-rollout overlays: the dialog where a policy is typed beside the plan it would
//! follow, the controls of a rollout in hand, and the confirmation that asks for the
//! DaemonSet's name before a write that reaches every node of it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Scene;
use super::layout;
use super::safe;
use super::theme::Slot;
use herd_app::action::Write;
use herd_app::state::RolloutForm;
use herd_app::update::rollout::record_of;
use herd_core::engine::preview::Preview;
use herd_core::engine::progress::Standing;
use herd_core::engine::record::State as Phase;
use herd_core::model::daemonset::StrategyKind;

/// At most this many batches are listed; the rest are counted.
const BATCHES_SHOWN: usize = 8;

pub(super) fn overlay(
    state: &Scene,
    title: &str,
    lines: Vec<Line<'_>>,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = &state.theme;
    const WIDTH: u16 = 84;
    // Wrapped lines take more than one row: count rows, so the last line (the keys) shows.
    let inner = usize::from(WIDTH.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let rect = layout::centered(area, WIDTH, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocus))
        .title(Span::styled(format!(" {title} "), theme.style(Slot::Title)));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(safe::lines(lines))
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

pub(super) fn key_hint<'a>(state: &Scene, keys: &[(&'a str, &'a str)]) -> Line<'a> {
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(*key, state.theme.style(Slot::Key)));
        spans.push(Span::raw(format!(" {what}   ")));
    }
    Line::from(spans)
}

/// `R`: the policy as typed, and the plan it would follow.
pub fn form(state: &Scene, form: &RolloutForm, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let Some(ds) = state.fleet.daemon_set(&form.uid) else {
        return;
    };
    let mut lines = Vec::new();
    for (i, (label, value)) in RolloutForm::FIELDS.iter().zip(form.values()).enumerate() {
        let focused = i == form.focus;
        let label = if i == 0 {
            format!("image ({})", form.container)
        } else {
            (*label).to_string()
        };
        let cursor = if focused { "▏" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {label:<24} ", if focused { "›" } else { " " }),
                theme.style(if focused {
                    Slot::BorderFocus
                } else {
                    Slot::Dim
                }),
            ),
            Span::styled(format!("{value}{cursor}"), theme.style(Slot::Text)),
        ]));
    }
    lines.push(Line::styled(
        "  canary: a count or a node selector · pause after: canary, batch, 50% (commas)",
        theme.style(Slot::Dim),
    ));
    lines.push(Line::from(""));
    match &form.preview {
        Ok(p) => plan_lines(state, p, &mut lines),
        Err(e) if e.is_empty() => {}
        Err(e) => lines.push(Line::styled(format!("✗ {e}"), theme.style(Slot::Critical))),
    }
    let native = match ds.update_strategy.kind {
        StrategyKind::RollingUpdate => format!(
            "its RollingUpdate: maxUnavailable {}, maxSurge {}",
            ds.update_strategy
                .max_unavailable
                .map_or("1".to_string(), |v| v.to_string()),
            ds.update_strategy
                .max_surge
                .map_or("0".to_string(), |v| v.to_string())
        ),
        StrategyKind::OnDelete => "its OnDelete: pods take it only when deleted".to_string(),
    };
    lines.push(Line::styled(
        format!(
            "A managed rollout deletes a pod before its replacement starts: it has no surge. \
             ctrl-n sets the image under the DaemonSet's own strategy instead ({native})."
        ),
        theme.style(Slot::Dim),
    ));
    lines.push(key_hint(
        state,
        &[
            ("tab", "next field"),
            ("enter", "start…"),
            ("ctrl-n", "native…"),
            ("esc", "cancel"),
        ],
    ));
    overlay(
        state,
        &format!("managed rollout of {}", ds.key()),
        lines,
        frame,
        area,
    );
}

fn plan_lines<'a>(state: &Scene, p: &Preview, lines: &mut Vec<Line<'a>>) {
    let theme = &state.theme;
    let took = p.seconds().map_or_else(String::new, |s| {
        format!(
            ", about {}",
            herd_core::analysis::units::age(jiff::SignedDuration::from_secs(s))
        )
    });
    lines.push(Line::styled(
        format!(
            "plan: {} nodes in {} batches, up to {} unavailable at once{took}",
            p.to_update,
            p.batches.len(),
            p.budget
        ),
        theme.style(Slot::Text),
    ));
    for (i, batch) in p.batches.iter().take(BATCHES_SHOWN).enumerate() {
        let mut names: Vec<&str> = batch.nodes.iter().map(|n| &**n).take(4).collect();
        if batch.nodes.len() > names.len() {
            names.push("…");
        }
        lines.push(Line::styled(
            format!(
                "  {:>2}. {} node(s): {}",
                i + 1,
                batch.nodes.len(),
                names.join(", ")
            ),
            theme.style(Slot::NewRevision),
        ));
        if let Some(point) = batch.pause_after {
            lines.push(Line::styled(
                format!("      ‖ pauses after {point}"),
                theme.style(Slot::Warn),
            ));
        }
    }
    if p.batches.len() > BATCHES_SHOWN {
        lines.push(Line::styled(
            format!("  … {} more batches", p.batches.len() - BATCHES_SHOWN),
            theme.style(Slot::Dim),
        ));
    }
    if !p.skipped_down.is_empty() {
        let names: Vec<&str> = p.skipped_down.iter().map(|n| &**n).collect();
        lines.push(Line::styled(
            format!(
                "  nodes down, skipped (and counted in the budget): {}",
                names.join(", ")
            ),
            theme.style(Slot::Warn),
        ));
    }
    if p.blocked_by_down {
        lines.push(Line::styled(
            "  ✗ the nodes down use the whole budget: raise max unavailable",
            theme.style(Slot::Critical),
        ));
    }
    if p.partitioned > 0 {
        lines.push(Line::styled(
            format!("  {} node(s) kept on the old revision", p.partitioned),
            theme.style(Slot::Dim),
        ));
    }
}

/// `R` on a DaemonSet whose rollout is in hand: where it stands, and what a person may do.
pub fn panel(state: &Scene, uid: &str, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let (Some(ds), Some(record)) = (state.fleet.daemon_set(uid), record_of(state, uid)) else {
        return;
    };
    let slot = match record.state {
        Phase::Progressing => Slot::Info,
        Phase::Paused { .. } => Slot::Warn,
        _ => Slot::Critical,
    };
    let mut lines = vec![
        Line::styled(record.state.describe(), theme.style(slot)),
        Line::styled(
            format!(
                "target revision {} · {} batch(es) so far · max unavailable {}",
                record
                    .target
                    .as_ref()
                    .map_or("(not made yet)".to_string(), |t| t.revision.to_string()),
                record.batches,
                record.policy.max_unavailable
            ),
            theme.style(Slot::Text),
        ),
    ];
    if let Some(row) = state.derived.fleet_rows.iter().find(|r| *r.uid == *uid) {
        lines.push(Line::styled(
            row.rollout.describe(state.now),
            theme.style(Slot::Text),
        ));
    }
    let standing = state
        .derived
        .rollout_view
        .as_ref()
        .filter(|(of, _)| **of == *uid)
        .map(|(_, s)| s);
    if let Some(s) = standing {
        standing_lines(state, s, &mut lines);
    }
    lines.push(Line::from(""));
    lines.push(key_hint(
        state,
        &[
            ("p", "pause"),
            ("r", "resume"),
            ("a", "abort…"),
            ("u", "undo…"),
            ("esc", "close"),
        ],
    ));
    overlay(
        state,
        &format!("managed rollout of {}", ds.key()),
        lines,
        frame,
        area,
    );
}

/// The live view of a rollout in hand: nodes by revision, the batch in flight node by node,
/// what holds it, what comes next, and what a pause could not stop.
fn standing_lines<'a>(state: &Scene, s: &Standing, lines: &mut Vec<Line<'a>>) {
    let theme = &state.theme;
    let p = &s.plan;
    let mut counts = format!(
        "{}/{} nodes on the new revision, Available · {} unavailable now, budget {}",
        p.updated,
        p.to_update,
        p.unavailable.len(),
        p.budget
    );
    if p.partitioned > 0 {
        counts.push_str(&format!(" · {} kept on the old revision", p.partitioned));
    }
    if let Some(eta) = s.eta_seconds {
        let left = herd_core::analysis::units::age(jiff::SignedDuration::from_secs(eta));
        counts.push_str(&format!(" · about {left} to go"));
    }
    lines.push(Line::styled(counts, theme.style(Slot::Text)));
    if s.in_flight_total > 0 {
        lines.push(Line::styled(
            format!("in flight ({}):", s.in_flight_total),
            theme.style(Slot::Text),
        ));
        for f in &s.in_flight {
            lines.push(Line::styled(
                format!(
                    "  {:<20} {:<28} {}",
                    f.node,
                    f.pod.as_deref().unwrap_or("(no pod yet)"),
                    f.status
                ),
                theme.style(Slot::NewRevision),
            ));
        }
        if s.in_flight_total > s.in_flight.len() {
            lines.push(Line::styled(
                format!("  … and {} more", s.in_flight_total - s.in_flight.len()),
                theme.style(Slot::Dim),
            ));
        }
    }
    if !p.deletions.is_empty() {
        let mut names: Vec<&str> = p.deletions.iter().map(|d| &*d.node).take(4).collect();
        if p.deletions.len() > names.len() {
            names.push("…");
        }
        lines.push(Line::styled(
            format!(
                "next: {} old pod(s) to delete: {}",
                p.deletions.len(),
                names.join(", ")
            ),
            theme.style(Slot::Info),
        ));
    }
    if let Some(held) = &s.held_by {
        lines.push(Line::styled(
            format!("held: {held}"),
            theme.style(Slot::Warn),
        ));
    }
    if let Some(n) = s.took_anyway {
        lines.push(Line::styled(
            format!(
                "‖ {n} node(s) took the new template while paused: OnDelete cannot hold a node \
                 that joins, or a pod recreated after an eviction"
            ),
            theme.style(if n > 0 { Slot::Warn } else { Slot::Dim }),
        ));
    }
}

/// A write on every node of a DaemonSet: its name must be typed.
pub fn type_name(state: &Scene, write: &Write, typed: &str, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let name = write.fleet_wide().unwrap_or_default();
    let lines = vec![
        Line::styled(write.describe(), theme.style(Slot::Text)),
        Line::from(""),
        Line::from(vec![
            Span::raw("type "),
            Span::styled(name.to_string(), theme.style(Slot::Key)),
            Span::raw(" to go on: "),
            Span::styled(format!("{typed}▏"), theme.style(Slot::Text)),
        ]),
        key_hint(state, &[("enter", "go on"), ("esc", "no (the default)")]),
    ];
    overlay(state, "▲ change every node?", lines, frame, area);
}

/// `q` while this herd carries rollouts out: they are recorded in the cluster, so quitting
/// loses nothing, but nothing carries them on until `herd engine` or another herd does.
pub fn confirm_quit(state: &Scene, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let names: Vec<&str> = state.carrying.iter().map(String::as_str).collect();
    let lines = vec![
        Line::styled(
            format!("This herd carries out the rollout of {}.", names.join(", ")),
            theme.style(Slot::Text),
        ),
        Line::styled(
            "Quit, and it stays as recorded and waits, deleting and releasing nothing more, \
             until `herd engine` or another herd carries it on (`herd rollout status`, or a \
             staged edit's DaemonSet page, shows where it stands).",
            theme.style(Slot::Dim),
        ),
        Line::from(""),
        key_hint(state, &[("y", "quit"), ("n / esc", "stay (the default)")]),
    ];
    overlay(state, "▲ quit with a rollout in hand?", lines, frame, area);
}
