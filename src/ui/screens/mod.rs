//! One function per view, each drawing the body area from `&State`.

mod coverage_map;
mod daemonset;
mod fleet;
mod hogs;
mod node;
mod nodes;
mod text;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::Scene;
use herd_app::view::View;
use herd_core::analysis::units;

pub fn body(state: &Scene, frame: &mut Frame, area: Rect) {
    match &state.ui.page().view {
        View::Fleet => fleet::render(state, frame, area),
        View::DaemonSet { uid } => daemonset::render(state, uid, frame, area),
        View::Nodes => nodes::render(state, frame, area),
        View::Node { name } => node::render(state, name, frame, area),
        View::Hogs => hogs::render(state, frame, area),
        View::Events { .. }
        | View::History { .. }
        | View::Yaml { .. }
        | View::Logs { .. }
        | View::ObjectEvents { .. }
        | View::Describe { .. } => text::render(state, frame, area),
    }
}

/// kubectl-style age of a timestamp; "-" when unknown.
pub fn age(state: &Scene, t: Option<jiff::Timestamp>) -> String {
    t.map_or_else(|| "-".into(), |t| units::age(state.now.duration_since(t)))
}

/// The scope part of a list title: `(all)` or `(namespace)`.
pub fn scope(state: &Scene) -> String {
    format!("({})", state.ui.namespace.as_deref().unwrap_or("all"))
}
