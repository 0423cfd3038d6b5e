//! The node-side targeting overlay (`t` on nodes): the edit as typed in kubectl's words,
//! completion from the fleet's labels and taints, and which DaemonSets gain or lose a pod on
//! the nodes it is for, and why.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Scene;
use super::rollout::{key_hint, overlay};
use super::theme::Slot;
use herd_app::completion;
use herd_app::state::NodeEditForm;
use herd_core::targeting::delta::NodeChange;
use herd_core::targeting::nodes::DaemonSetDelta;

/// Node names listed per side of one DaemonSet; the rest are counted.
const NODES_NAMED: usize = 4;
/// DaemonSets listed; the rest are counted.
const DAEMON_SETS_SHOWN: usize = 12;

const SHAPES: &str = "label K=V | label K- | taint K[=V]:Effect | taint K[:Effect]- | [un]cordon";

/// `gpu-01, gpu-02 and 4 more — reason of the first`.
fn side(changes: &[NodeChange]) -> String {
    let names: Vec<&str> = changes.iter().take(NODES_NAMED).map(|c| &*c.node).collect();
    let more = changes.len().saturating_sub(NODES_NAMED);
    let mut text = names.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    if let Some(first) = changes.first() {
        text.push_str(&format!(" — {}", first.reason));
    }
    text
}

fn delta_lines(state: &Scene, deltas: &[DaemonSetDelta], lines: &mut Vec<Line<'_>>) {
    let theme = &state.theme;
    if deltas.is_empty() {
        lines.push(Line::styled(
            "no DaemonSet gains or loses a pod on these nodes",
            theme.style(Slot::Dim),
        ));
        return;
    }
    for d in deltas.iter().take(DAEMON_SETS_SHOWN) {
        lines.push(Line::styled(d.daemon_set.clone(), theme.style(Slot::Title)));
        if !d.gains.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  + gains {}: ", d.gains.len()),
                    theme.style(Slot::Ok),
                ),
                Span::styled(side(&d.gains), theme.style(Slot::Dim)),
            ]));
        }
        if !d.losses.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  − loses {}: ", d.losses.len()),
                    theme.style(Slot::Critical),
                ),
                Span::styled(side(&d.losses), theme.style(Slot::Dim)),
            ]));
        }
    }
    if deltas.len() > DAEMON_SETS_SHOWN {
        lines.push(Line::styled(
            format!("… and {} more DaemonSets", deltas.len() - DAEMON_SETS_SHOWN),
            theme.style(Slot::Dim),
        ));
    }
}

pub fn form(state: &Scene, form: &NodeEditForm, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let mut lines = vec![
        Line::from(vec![
            Span::styled("› edit ", theme.style(Slot::BorderFocus)),
            Span::styled(format!("{}▏", form.input), theme.style(Slot::Text)),
        ]),
        Line::styled(format!("  {SHAPES}"), theme.style(Slot::Dim)),
    ];
    let found = completion::node_edit(form);
    if let Some(hint) = found.hint() {
        // Verbs are herd's words; labels and taints are the fleet's, with their node counts.
        let from = if found.found.iter().any(|(_, n)| *n > 0) {
            "in the fleet: "
        } else {
            ""
        };
        lines.push(Line::styled(
            format!("  {from}{hint}"),
            theme.style(Slot::Dim),
        ));
    }
    lines.push(Line::from(""));
    match &form.preview {
        Ok((edit, deltas)) => {
            lines.push(Line::styled(
                edit.kubectl(&form.nodes),
                theme.style(Slot::Text),
            ));
            delta_lines(state, deltas, &mut lines);
        }
        Err(problems) => {
            for p in problems {
                lines.push(Line::styled(format!("✗ {p}"), theme.style(Slot::Critical)));
            }
        }
    }
    lines.push(key_hint(
        state,
        &[("→", "complete"), ("enter", "apply…"), ("esc", "cancel")],
    ));
    let title = match form.nodes.as_slice() {
        [one] => format!("edit node {one}"),
        many => format!("edit {} marked nodes", many.len()),
    };
    overlay(state, &title, lines, frame, area);
}
