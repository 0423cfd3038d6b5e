//! The node-targeting overlays: the editor (three typed fields, completion from the fleet's
//! labels and taints, the problems inline) above its live preview (nodes that gain and lose
//! the daemon and why, where a new pod will not fit, warnings), and the list of fixes `f`
//! offers for a node a DaemonSet does not cover.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Scene;
use super::rollout::{key_hint, overlay};
use super::theme::Slot;
use herd_app::action::Write;
use herd_app::completion;
use herd_app::state::TargetForm;
use herd_core::analysis::units;
use herd_core::targeting::delta::NodeChange;
use herd_core::targeting::fix::Fix;
use herd_core::targeting::preview::Preview;
use herd_core::targeting::stage::Batch;

/// Nodes listed per side (gain, lose); the rest are counted.
const NODES_SHOWN: usize = 6;

const SHAPES: [&str; 3] = [
    "KEY=VALUE, comma-separated (every pair must match)",
    "KEY In [a, b], KEY Exists, KEY Gt [4], field:metadata.name In [n] — `,` all of, `|` any term",
    "KEY=VALUE:Effect, KEY:Effect (any value), KEY, * — ` for 300s` with NoExecute",
];

/// `T`: the fields as typed and what they would do.
pub fn form(state: &Scene, form: &TargetForm, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let Some(ds) = state.fleet.daemon_set(&form.uid) else {
        return;
    };
    let mut lines = Vec::new();
    if let Some(note) = &form.note {
        lines.push(Line::styled(note.clone(), theme.style(Slot::Warn)));
    }
    for (i, (label, value)) in TargetForm::FIELDS.iter().zip(form.values()).enumerate() {
        let focused = i == form.focus;
        let cursor = if focused { "▏" } else { "" };
        let shown = if value.is_empty() && !focused {
            "(none)".to_string()
        } else {
            format!("{value}{cursor}")
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {label:<14} ", if focused { "›" } else { " " }),
                theme.style(if focused {
                    Slot::BorderFocus
                } else {
                    Slot::Dim
                }),
            ),
            Span::styled(shown, theme.style(Slot::Text)),
        ]));
    }
    lines.push(Line::styled(
        format!("  {}", SHAPES[form.focus.min(SHAPES.len() - 1)]),
        theme.style(Slot::Dim),
    ));
    if let Some(hint) = completion::target_field(form).hint() {
        lines.push(Line::styled(
            format!("  in the fleet: {hint}"),
            theme.style(Slot::Dim),
        ));
    }
    lines.push(Line::from(""));
    match &form.preview {
        Ok(p) => preview_lines(state, p, &mut lines),
        Err(problems) => {
            for p in problems {
                lines.push(Line::styled(format!("✗ {p}"), theme.style(Slot::Critical)));
            }
        }
    }
    lines.push(key_hint(
        state,
        &[
            ("tab", "next field"),
            ("→", "complete"),
            ("enter", "apply…"),
            ("esc", "cancel"),
        ],
    ));
    overlay(
        state,
        &format!("node targeting of {}", ds.key()),
        lines,
        frame,
        area,
    );
}

/// An edit that adds the daemon to many nodes: stage it (the default) or apply it at once.
pub fn stage_choice(state: &Scene, write: &Write, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let Write::Retarget {
        namespace,
        name,
        summary,
        stage: Some(stage),
        ..
    } = write
    else {
        return;
    };
    let gains = stage.gains.len() as u32;
    let per = Batch::size(stage.batch, gains);
    let order = stage.order_by.as_ref().map_or_else(
        || "by node name".to_string(),
        |l| format!("in the order of {l}"),
    );
    let lines = vec![
        Line::styled(summary.clone(), theme.style(Slot::Text)),
        Line::from(""),
        Line::styled(
            format!("The edit adds the daemon to {gains} node(s) at once unless it is staged."),
            theme.style(Slot::Title),
        ),
        Line::styled(
            format!(
                "Staged: they are held with a label and released {per} at a time ({}) {order}, each \
                 batch once every pod is Available; new pods that fail halt it. herd carries it \
                 while open (herd engine does when it is not); :stage rollback undoes it all.",
                stage.batch
            ),
            theme.style(Slot::Dim),
        ),
        Line::from(""),
        key_hint(
            state,
            &[
                ("enter/s", "stage it"),
                ("b", "batch"),
                ("o", "order"),
                ("a", "apply at once"),
                ("esc", "back to the editor"),
            ],
        ),
    ];
    overlay(
        state,
        &format!("stage the targeting edit of {namespace}/{name}?"),
        lines,
        frame,
        area,
    );
}

fn node_lines(
    state: &Scene,
    sign: &str,
    slot: Slot,
    list: &[NodeChange],
    lines: &mut Vec<Line<'_>>,
) {
    for c in list.iter().take(NODES_SHOWN) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {sign} {:<14} ", c.node), state.theme.style(slot)),
            Span::styled(c.reason.clone(), state.theme.style(Slot::Dim)),
        ]));
    }
    if list.len() > NODES_SHOWN {
        lines.push(Line::styled(
            format!("    … and {} more", list.len() - NODES_SHOWN),
            state.theme.style(Slot::Dim),
        ));
    }
}

fn preview_lines(state: &Scene, p: &Preview, lines: &mut Vec<Line<'_>>) {
    let theme = &state.theme;
    if p.is_noop() {
        lines.push(Line::styled(p.rolls.to_string(), theme.style(Slot::Dim)));
        return;
    }
    lines.push(Line::styled(p.changes.join("; "), theme.style(Slot::Text)));
    lines.push(Line::styled(p.headline(), theme.style(Slot::Title)));
    node_lines(state, "+", Slot::Ok, &p.gains, lines);
    node_lines(state, "−", Slot::Critical, &p.losses, lines);
    if !p.gains.is_empty() {
        lines.push(Line::styled(
            format!(
                "each new pod requests {} CPU, {} memory: {} CPU, {} memory in all",
                units::cpu(p.per_pod.cpu_millis),
                units::memory(p.per_pod.memory_bytes),
                units::cpu(p.per_pod.cpu_millis.saturating_mul(p.gains.len() as i64)),
                units::memory(p.per_pod.memory_bytes.saturating_mul(p.gains.len() as i64)),
            ),
            theme.style(Slot::Dim),
        ));
    }
    for n in &p.no_fit {
        let short: Vec<String> = n.shortfalls.iter().map(|s| s.to_string()).collect();
        lines.push(Line::styled(
            format!("will not fit on {}: {}", n.node, short.join(", ")),
            theme.style(Slot::Warn),
        ));
    }
    if !p.fit_unchecked.is_empty() {
        // Only daemon pods are watched: the other pods on these nodes are being read.
        let reads = herd_app::update::others::PREVIEW_READS;
        let more = if p.fit_unchecked.len() > reads {
            format!(" (fit is checked on the first {reads})")
        } else {
            String::new()
        };
        lines.push(Line::styled(
            format!(
                "fit not checked yet on {} node(s): reading the other pods there…{more}",
                p.fit_unchecked.len()
            ),
            theme.style(Slot::Dim),
        ));
    }
    for w in &p.warnings {
        lines.push(Line::styled(format!("⚠ {w}"), theme.style(Slot::Critical)));
    }
    lines.push(Line::styled(p.rolls.to_string(), theme.style(Slot::Dim)));
}

/// `f`: the fixes for a node (or for a DaemonSet that targets no node).
pub fn fixes(
    state: &Scene,
    node: Option<&str>,
    fixes: &[Fix],
    cursor: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = &state.theme;
    let mut lines = Vec::new();
    for (i, f) in fixes.iter().enumerate() {
        let here = i == cursor;
        lines.push(Line::styled(
            format!("{} {}", if here { "›" } else { " " }, f.title()),
            theme.style(if here { Slot::BorderFocus } else { Slot::Text }),
        ));
    }
    lines.push(Line::from(""));
    lines.push(key_hint(
        state,
        &[("j/k", "move"), ("enter", "preview…"), ("esc", "cancel")],
    ));
    let title = match node {
        Some(node) => format!("fix coverage on {node}"),
        None => "closest label values in the fleet".to_string(),
    };
    overlay(state, &title, lines, frame, area);
}
