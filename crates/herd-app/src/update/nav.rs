//! Moving around: the cursor, drilling in and out, switching views, sort, namespace scope and
//! context.

use std::sync::Arc;

use crate::effect::Effect;
use crate::rows;
use crate::state::{Level, Mode, State};
use crate::update::{clear_problem, flash, normal_mode, pick};
use crate::view::{Fetched, Motion, Page, Sort, SortKey, View};

pub fn move_cursor(state: &mut State, motion: Motion) -> Vec<Effect> {
    if matches!(state.ui.mode, Mode::PickNamespace { .. }) {
        return pick::move_cursor(state, motion);
    }
    if matches!(state.ui.mode, Mode::Fixes { .. }) {
        super::target::move_fix_cursor(state, motion);
        return Vec::new();
    }
    let visible = state.ui.visible_rows();
    let page = state.ui.page_mut();
    let last = page.rows.len().saturating_sub(1);
    page.cursor = match motion {
        Motion::Up => page.cursor.saturating_sub(1),
        Motion::Down => (page.cursor + 1).min(last),
        Motion::PageUp => page.cursor.saturating_sub(visible),
        Motion::PageDown => (page.cursor + visible).min(last),
        Motion::Top => 0,
        Motion::Bottom => last,
    };
    rows::clamp_offset(page, visible);
    Vec::new()
}

/// A click selects the list row under it; a click on the selected row opens it.
pub fn click(state: &mut State, row: u16) -> Vec<Effect> {
    let body_top = crate::geometry::HEADER_ROWS;
    let body_height = state
        .ui
        .height
        .saturating_sub(crate::geometry::HEADER_ROWS + crate::geometry::FOOTER_ROWS);
    let footprints = state
        .derived
        .hogs
        .as_ref()
        .map_or(0, |h| h.footprints.len());
    let page = state.ui.page();
    let Some(top) = crate::geometry::list_top(&page.view, page.map, body_height, footprints) else {
        return Vec::new();
    };
    let Some(line) = row.checked_sub(body_top + top) else {
        return Vec::new();
    };
    let index = page.offset + usize::from(line);
    if index >= page.rows.len() {
        return Vec::new();
    }
    if index == page.cursor {
        return open(state);
    }
    let visible = state.ui.visible_rows();
    let page = state.ui.page_mut();
    page.cursor = index;
    rows::clamp_offset(page, visible);
    Vec::new()
}

/// `enter`: the view the selected row leads to.
pub fn open(state: &mut State) -> Vec<Effect> {
    match drill_target(state) {
        Some(view) => push(state, view),
        None => Vec::new(),
    }
}

pub(crate) fn drill_target(state: &State) -> Option<View> {
    let page = state.ui.page();
    let i = page.selected()?;
    let derived = &state.derived;
    match &page.view {
        View::Fleet => derived.fleet_rows.get(i).map(|r| View::DaemonSet {
            uid: Arc::clone(&r.uid),
        }),
        View::DaemonSet { uid } => {
            let row = derived.coverage_of(uid)?.rows.get(i)?;
            Some(View::Node {
                name: Arc::clone(&row.node),
            })
        }
        View::Nodes => state.fleet.nodes().nth(i).map(|n| View::Node {
            name: Arc::clone(&n.name),
        }),
        View::Node { .. } => {
            derived
                .node_view
                .as_ref()?
                .rows
                .get(i)
                .map(|(uid, _)| View::DaemonSet {
                    uid: Arc::clone(uid),
                })
        }
        View::Hogs => derived.hogs.as_ref()?.pods.get(i).map(|h| View::DaemonSet {
            uid: Arc::clone(&h.ds_uid),
        }),
        View::Events { .. }
        | View::History { .. }
        | View::Yaml { .. }
        | View::Logs { .. }
        | View::ObjectEvents { .. }
        | View::Describe { .. } => None,
    }
}

/// Pushes a view; fetched views ask the runtime for their content.
pub fn push(state: &mut State, view: View) -> Vec<Effect> {
    normal_mode(state);
    clear_problem(state);
    let mut page = Page::new(view.clone());
    page.name = view
        .daemon_set_uid()
        .and_then(|uid| state.fleet.daemon_set(uid))
        .map(|ds| Arc::clone(&ds.name));
    state.ui.stack.push(page);
    rows::refresh(state);
    if view.is_fetched() {
        vec![Effect::Load(view)]
    } else {
        Vec::new()
    }
}

/// `esc`: close the overlay, else clear the filter, else pop the view.
pub fn back(state: &mut State) -> Vec<Effect> {
    if state.ui.mode != Mode::Normal {
        // As esc in a prompt does: a filter being typed goes back to what it was.
        return super::input::cancel(state);
    }
    if matches!(state.ui.page().view, View::Nodes) && !state.ui.marked.is_empty() {
        // As k9s: esc drops the marks before it drops the filter or the view.
        state.ui.marked.clear();
        return Vec::new();
    }
    if !state.ui.page().filter.is_empty() {
        state.ui.page_mut().filter.clear();
    } else if state.ui.stack.len() > 1 {
        state.ui.stack.pop();
    }
    rows::refresh(state);
    Vec::new()
}

/// `:ds`, `:nodes`, `:hogs`: a fresh stack with the Fleet view at the bottom. Events, history
/// and YAML (`e`, `H`, `y`) open on top of where the user is, so esc comes back there.
pub fn show(state: &mut State, view: View) -> Vec<Effect> {
    if view.is_fetched() {
        return push(state, view);
    }
    state.ui.stack.truncate(1);
    if view == View::Fleet {
        normal_mode(state);
        clear_problem(state);
        rows::refresh(state);
        return Vec::new();
    }
    push(state, view)
}

/// The same key again flips the direction.
pub fn sort(state: &mut State, key: SortKey) -> Vec<Effect> {
    let page = state.ui.page_mut();
    page.sort = if page.sort.key == key {
        Sort {
            key,
            descending: !page.sort.descending,
        }
    } else {
        Sort {
            key,
            descending: matches!(key, SortKey::Weight),
        }
    };
    rows::refresh(state);
    Vec::new()
}

/// Namespace scope. Within the watched namespaces it only filters; outside them (herd was
/// started with `-n`) it reconnects the watches to the new scope. A namespace the fleet has
/// no DaemonSet or pod in is refused, naming the ones it has: it could only show an empty table.
pub fn namespace(state: &mut State, ns: Option<Arc<str>>) -> Vec<Effect> {
    if let Some(unknown) = ns
        .as_deref()
        .and_then(|name| unknown_namespace(state, name))
    {
        flash(state, Level::Warn, unknown);
        return Vec::new();
    }
    state.ui.namespace = ns.clone();
    let label = ns.as_deref().unwrap_or("all namespaces").to_string();
    flash(state, Level::Info, format!("namespace: {label}"));
    rows::refresh(state);
    match &state.session.watch_namespace {
        Some(watched) if ns.as_deref() != Some(&**watched) => {
            state.session.watch_namespace = ns.clone();
            vec![reconnect(state, None)]
        }
        _ => Vec::new(),
    }
}

/// Why `name` cannot be shown, if the fleet can tell. Under `-n` the watches see one
/// namespace only, so a name outside it may well exist: it is let through to reconnect. Before
/// the DaemonSets are listed nothing is known yet, so nothing is refused.
fn unknown_namespace(state: &State, name: &str) -> Option<String> {
    use herd_core::model::feed::FeedKind;
    if state.session.watch_namespace.is_some() || !state.session.listed(FeedKind::DaemonSets) {
        return None;
    }
    let known = crate::namespaces::known(&state.fleet);
    if known.iter().any(|k| &**k == name) {
        return None;
    }
    let list: Vec<&str> = known.iter().map(|k| &**k).collect();
    Some(format!(
        "no namespace {name:?}; known: {} (or :ns all)",
        list.join(", ")
    ))
}

pub fn switch_context(state: &mut State, name: String) -> Vec<Effect> {
    let known = &state.session.info.contexts;
    if !known.is_empty() && !known.contains(&name) {
        let list = known.join(", ");
        flash(
            state,
            Level::Error,
            format!("unknown context {name:?}; known: {list}"),
        );
        return Vec::new();
    }
    flash(state, Level::Info, format!("switching to context {name}…"));
    vec![reconnect(state, Some(name))]
}

/// Starts a new connection epoch: the fleet empties and every feed syncs again.
fn reconnect(state: &mut State, context: Option<String>) -> Effect {
    state.session.epoch += 1;
    state.session.feeds = crate::state::Session::fresh_feeds();
    state.session.connected = None;
    state.fleet = herd_core::model::fleet::Fleet::new();
    // The next derive then starts from scratch instead of refreshing the old cluster's figures.
    state.derived = crate::derived::Derived::default();
    // A poll held for the old connection's first pod list would land on the new one's pods.
    state.held_metrics = None;
    state.stale_derived = true;
    state.ui.stack.truncate(1);
    Effect::Connect {
        context: context
            .or_else(|| Some(state.session.info.context.clone()).filter(|c| !c.is_empty())),
        namespace: state.session.watch_namespace.clone(),
    }
}

pub fn toggle_help(state: &mut State) -> Vec<Effect> {
    state.ui.mode = if state.ui.mode == Mode::Help {
        Mode::Normal
    } else {
        Mode::Help
    };
    Vec::new()
}

/// `!`: the last warning or error in full, or a word that there is none.
pub fn toggle_last_error(state: &mut State) -> Vec<Effect> {
    if state.ui.mode == Mode::LastError {
        normal_mode(state);
    } else if state.ui.last_error.is_some() {
        state.ui.mode = Mode::LastError;
    } else {
        flash(state, Level::Info, "no warning or error so far");
    }
    Vec::new()
}

pub fn toggle_map(state: &mut State) -> Vec<Effect> {
    let page = state.ui.page_mut();
    if matches!(page.view, View::DaemonSet { .. }) {
        page.map = !page.map;
    }
    Vec::new()
}

/// A fetch finished; it lands only if its view is still on the stack.
pub fn loaded(state: &mut State, view: View, result: Result<Vec<String>, String>) -> Vec<Effect> {
    let now = state.now;
    let visible = state.ui.visible_rows();
    let Some(at) = state.ui.stack.iter().rposition(|p| p.view == view) else {
        return Vec::new();
    };
    let page = &mut state.ui.stack[at];
    // A log read again keeps following its end when the cursor was there (or is new).
    let at_end = match &page.fetched {
        Fetched::Lines(_) => page.cursor + 1 >= page.rows.len(),
        _ => true,
    };
    page.fetched = match result {
        Ok(lines) => Fetched::Lines(lines),
        Err(e) => Fetched::Failed(e),
    };
    page.loaded_at = Some(now);
    let follows = matches!(view, View::Logs { .. }) && at_end;
    rows::refresh(state);
    if follows && let Some(page) = state.ui.stack.get_mut(at) {
        page.cursor = page.rows.len().saturating_sub(1);
        rows::clamp_offset(page, visible);
    }
    Vec::new()
}
