//! Node-side targeting: space marks nodes on the nodes screen (as k9s does), `t` types a label,
//! taint or cordon for the marked nodes (or the one under the cursor) with the DaemonSets that
//! gain or lose a pod there previewed on every key, and `c` / `u` with nodes marked cordon or
//! uncordon all of them with the same preview. The write itself asks first, like every write.

use std::sync::Arc;

use crate::completion;
use crate::effect::Effect;
use crate::selection;
use crate::state::{Level, Mode, NodeEditForm, State};
use crate::update::{flash, refuse_readonly, target};
use crate::view::View;
use herd_core::targeting::nodes::{self, NodeEdit};
use herd_core::targeting::vocabulary::Vocabulary;

/// Space: mark or unmark the node under the cursor, then move down, so a run of nodes is
/// marked by holding the key.
pub fn toggle_mark(state: &mut State) -> Vec<Effect> {
    if !matches!(state.ui.page().view, View::Nodes) {
        return Vec::new();
    }
    let Some(node) = selection::selected_node(state) else {
        return Vec::new();
    };
    if !state.ui.marked.remove(&node) {
        state.ui.marked.insert(node);
    }
    crate::update::nav::move_cursor(state, crate::view::Motion::Down)
}

/// The nodes an edit acts on: on the nodes screen the marked ones that still exist, else the
/// one selected (a node's own view acts on that node, whatever is marked).
pub fn targets(state: &State) -> Vec<Arc<str>> {
    if !matches!(state.ui.page().view, View::Nodes) {
        return selection::selected_node(state).into_iter().collect();
    }
    let marked: Vec<Arc<str>> = state
        .ui
        .marked
        .iter()
        .filter(|n| state.fleet.node(n).is_some())
        .cloned()
        .collect();
    if marked.is_empty() {
        selection::selected_node(state).into_iter().collect()
    } else {
        marked
    }
}

pub fn open(state: &mut State) -> Vec<Effect> {
    if refuse_readonly(state) {
        return Vec::new();
    }
    let nodes = targets(state);
    if nodes.is_empty() {
        return Vec::new();
    }
    state.ui.mode = Mode::NodeEdit(Box::new(NodeEditForm {
        nodes,
        input: String::new(),
        preview: Err(Vec::new()),
        vocabulary: Arc::new(Vocabulary::of(&state.fleet)),
    }));
    refresh_preview(state);
    Vec::new()
}

/// Reads the edit as typed, checks it by the API server's rules, and previews it against the
/// fleet as it is.
pub fn refresh_preview(state: &mut State) {
    let Mode::NodeEdit(form) = &state.ui.mode else {
        return;
    };
    let result = if form.input.trim().is_empty() {
        Err(Vec::new())
    } else {
        match NodeEdit::parse(&form.input) {
            Err(e) => Err(vec![e.to_string()]),
            Ok(edit) => {
                let problems: Vec<String> = edit.validate().iter().map(|e| e.to_string()).collect();
                if problems.is_empty() {
                    let deltas = nodes::preview(&state.fleet, &form.nodes, &edit);
                    Ok((edit, deltas))
                } else {
                    Err(problems)
                }
            }
        }
    };
    if let Mode::NodeEdit(form) = &mut state.ui.mode {
        form.preview = result;
    }
}

/// `→`: the verb or argument being typed becomes the first completion.
pub fn complete(state: &mut State) -> Vec<Effect> {
    if let Mode::NodeEdit(form) = &mut state.ui.mode {
        let found = completion::node_edit(form);
        if found.accept(&mut form.input) {
            refresh_preview(state);
        }
    }
    Vec::new()
}

/// Enter: a valid edit that changes some node asks to be confirmed, with its preview; one
/// that changes nothing, or does not read, keeps the form open and says why.
pub fn submit(state: &mut State, form: Box<NodeEditForm>) -> Vec<Effect> {
    let edit = match &form.preview {
        Ok((edit, _)) => edit.clone(),
        Err(problems) => {
            let why = problems
                .first()
                .cloned()
                .unwrap_or_else(|| "type an edit, e.g. label pool=gpu".to_string());
            flash(state, Level::Warn, format!("cannot apply: {why}"));
            state.ui.mode = Mode::NodeEdit(form);
            return Vec::new();
        }
    };
    let changed: Vec<Arc<str>> = form
        .nodes
        .iter()
        .filter(|n| state.fleet.node(n).is_some_and(|node| edit.changes(node)))
        .cloned()
        .collect();
    if changed.is_empty() {
        flash(
            state,
            Level::Warn,
            format!("{edit}: no node changes, nothing to apply"),
        );
        state.ui.mode = Mode::NodeEdit(form);
        return Vec::new();
    }
    state.ui.marked.clear();
    target::request_node_edit(state, changed, edit)
}

/// `c` / `u` with nodes marked.
pub fn edit_marked(state: &mut State, edit: NodeEdit) -> Vec<Effect> {
    let nodes: Vec<Arc<str>> = targets(state)
        .into_iter()
        .filter(|n| state.fleet.node(n).is_some_and(|node| edit.changes(node)))
        .collect();
    if nodes.is_empty() {
        flash(
            state,
            Level::Info,
            format!("{edit}: no marked node changes"),
        );
        return Vec::new();
    }
    state.ui.marked.clear();
    target::request_node_edit(state, nodes, edit)
}
