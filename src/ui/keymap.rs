//! The one key table: it maps keys to Actions, and the `?` help and the footer hints are
//! generated from it. Cluster writes are marked `writes` and are not bound at all under
//! `--readonly` (as k9s does with its dangerous actions).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use herd_app::action::{Action, LogsKey, RolloutWord, Write};
use herd_app::selection as nav_selection;
use herd_app::state::{Mode, State};
use herd_app::view::{Motion, SortKey, View};
use herd_core::targeting::nodes::NodeEdit;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    /// Views where a DaemonSet is selected: fleet, DaemonSet, node, hogs.
    DaemonSets,
    DaemonSet,
    Nodes,
    /// The nodes screen itself (marks live there).
    NodeList,
    /// The revision history of a DaemonSet.
    History,
    /// Views whose rows are pods: a DaemonSet's nodes, the hogs, a node's DaemonSets.
    Pods,
    /// A container's log.
    Logs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    /// How help and hints spell the keys.
    pub label: &'static str,
    pub help: &'static str,
    pub scope: Scope,
    /// Changes the cluster: unbound under `--readonly`.
    pub writes: bool,
    /// Shown in the footer.
    pub hint: bool,
    /// The footer's word for it.
    pub short: &'static str,
    pub action: fn(&State) -> Option<Action>,
}

macro_rules! bind {
    ($keys:expr, $label:expr, $help:expr, $scope:ident, $writes:expr, $hint:expr, $action:expr) => {
        Binding {
            keys: $keys,
            label: $label,
            help: $help,
            scope: Scope::$scope,
            writes: $writes,
            hint: $hint,
            short: short_word($help),
            action: $action,
        }
    };
}

/// The footer's word for a binding: its help text up to the first colon or parenthesis.
const fn short_word(help: &'static str) -> &'static str {
    let bytes = help.as_bytes();
    let mut end = 0;
    while end < bytes.len() && bytes[end] != b':' && bytes[end] != b'(' {
        end += 1;
    }
    match help.split_at_checked(end) {
        Some((head, _)) => head,
        None => help,
    }
}

pub static BINDINGS: &[Binding] = &[
    bind!(
        &[key('?')],
        "?",
        "help: every key here",
        Global,
        false,
        true,
        |_| Some(Action::ToggleHelp)
    ),
    bind!(
        &[key(':')],
        ":",
        "command: ds nodes hogs events history yaml ctx ns theme q",
        Global,
        false,
        true,
        |_| Some(Action::StartCommand)
    ),
    bind!(
        &[key('/')],
        "/",
        "filter: text, or a label selector (app=x, -l tier in (a,b))",
        Global,
        false,
        true,
        |_| Some(Action::StartFilter)
    ),
    bind!(
        &[code(KeyCode::Enter)],
        "enter",
        "open: the selected row's view",
        Global,
        false,
        true,
        |_| Some(Action::Open)
    ),
    bind!(
        &[code(KeyCode::Esc)],
        "esc",
        "back: close, clear the filter, or leave the view",
        Global,
        false,
        true,
        |_| Some(Action::Back)
    ),
    bind!(
        &[key('j'), code(KeyCode::Down)],
        "j ↓",
        "down",
        Global,
        false,
        false,
        |_| Some(Action::Move(Motion::Down))
    ),
    bind!(
        &[key('k'), code(KeyCode::Up)],
        "k ↑",
        "up",
        Global,
        false,
        false,
        |_| Some(Action::Move(Motion::Up))
    ),
    bind!(
        &[key('g'), code(KeyCode::Home)],
        "g home",
        "top",
        Global,
        false,
        false,
        |_| Some(Action::Move(Motion::Top))
    ),
    bind!(
        &[key('G'), code(KeyCode::End)],
        "G end",
        "bottom",
        Global,
        false,
        false,
        |_| Some(Action::Move(Motion::Bottom))
    ),
    bind!(
        &[ctrl('f'), code(KeyCode::PageDown)],
        "ctrl-f pgdn",
        "page down",
        Global,
        false,
        false,
        |_| Some(Action::Move(Motion::PageDown))
    ),
    bind!(
        &[ctrl('b'), code(KeyCode::PageUp)],
        "ctrl-b pgup",
        "page up",
        Global,
        false,
        false,
        |_| Some(Action::Move(Motion::PageUp))
    ),
    bind!(
        &[key('!')],
        "!",
        "last error: the last warning or error in full",
        Global,
        false,
        false,
        |_| Some(Action::ToggleLastError)
    ),
    bind!(
        &[key('0')],
        "0",
        "all namespaces",
        Global,
        false,
        false,
        |_| Some(Action::AllNamespaces)
    ),
    bind!(
        &[key('N')],
        "N",
        "sort by name (again: reverse)",
        Global,
        false,
        false,
        |_| Some(Action::Sort(SortKey::Name))
    ),
    bind!(
        &[key('P')],
        "P",
        "sort by namespace",
        Global,
        false,
        false,
        |_| Some(Action::Sort(SortKey::Namespace))
    ),
    bind!(
        &[key('A')],
        "A",
        "sort by age",
        Global,
        false,
        false,
        |_| Some(Action::Sort(SortKey::Age))
    ),
    bind!(
        &[key('S')],
        "S",
        "sort by status (coverage, problems first)",
        Global,
        false,
        false,
        |_| Some(Action::Sort(SortKey::Status))
    ),
    bind!(
        &[key('W')],
        "W",
        "sort by weight (gaps, DaemonSet tax, pressure)",
        Global,
        false,
        false,
        |_| Some(Action::Sort(SortKey::Weight))
    ),
    bind!(
        &[key('y')],
        "y",
        "yaml: of the selected object",
        Global,
        false,
        true,
        yaml
    ),
    bind!(
        &[key('q'), ctrl('c')],
        "q ctrl-c",
        "quit",
        Global,
        false,
        true,
        |_| Some(Action::Quit)
    ),
    bind!(
        &[key('m')],
        "m",
        "map: coverage map or per-node table",
        DaemonSet,
        false,
        true,
        |_| Some(Action::ToggleCoverageMap)
    ),
    bind!(
        &[key('e')],
        "e",
        "events: of the row's pod, or of the DaemonSet or node",
        DaemonSets,
        false,
        true,
        |s| nav_selection::events_view(s).map(Action::Show)
    ),
    bind!(
        &[key('d')],
        "d",
        "describe: the row's pod, or the DaemonSet or node, as kubectl describe",
        DaemonSets,
        false,
        true,
        describe
    ),
    bind!(
        &[key('d')],
        "d",
        "describe: the node, as kubectl describe",
        NodeList,
        false,
        true,
        describe
    ),
    bind!(
        &[key('e')],
        "e",
        "events: of the node",
        NodeList,
        false,
        true,
        |s| nav_selection::events_view(s).map(Action::Show)
    ),
    bind!(
        &[key('H')],
        "H",
        "history: revisions and their diff",
        DaemonSets,
        false,
        true,
        |s| ds_view(s, |uid| View::History { uid })
    ),
    bind!(
        &[key('r')],
        "r",
        "restart: the DaemonSet, as rollout restart (asks first)",
        DaemonSets,
        true,
        true,
        restart
    ),
    bind!(
        &[key('R')],
        "R",
        "rollout: a managed rollout (policy and plan), or its controls",
        DaemonSets,
        true,
        true,
        |s| nav_selection::selected_daemon_set(s).map(|_| Action::OpenRollout)
    ),
    bind!(
        &[key('T')],
        "T",
        "target: edit nodeSelector, node affinity, tolerations with a preview (asks for the name)",
        DaemonSets,
        true,
        true,
        |s| nav_selection::selected_daemon_set(s).map(|_| Action::OpenTarget)
    ),
    bind!(
        &[key('E')],
        "E",
        "edit: the node targeting as YAML in $EDITOR, then the preview",
        DaemonSets,
        true,
        false,
        |s| nav_selection::selected_daemon_set(s).map(|_| Action::EditTargetYaml)
    ),
    bind!(
        &[key('l')],
        "l",
        "logs: the pod's log, followed (a crash loop opens on its previous run)",
        Pods,
        false,
        true,
        |s| nav_selection::selected_pod_id(s).map(|_| Action::OpenLogs)
    ),
    bind!(
        &[key('p')],
        "p",
        "previous logs: the row's pod's run before this one (a crash loop's last words)",
        Pods,
        false,
        false,
        |s| nav_selection::selected_pod_id(s).map(|_| Action::OpenPreviousLogs)
    ),
    bind!(
        &[key('p')],
        "p",
        "previous: the run before (a crash loop's last words), or back to the current one",
        Logs,
        false,
        true,
        |_| Some(Action::Logs(LogsKey::Previous))
    ),
    bind!(
        &[key('w')],
        "w",
        "wrap: long lines wrapped, or cut",
        Logs,
        false,
        true,
        |_| Some(Action::Logs(LogsKey::Wrap))
    ),
    bind!(
        &[key('s')],
        "s",
        "save: the lines shown, to a private file under herd's state directory",
        Logs,
        false,
        true,
        |_| Some(Action::Logs(LogsKey::Save))
    ),
    bind!(
        &DIGITS,
        "0…9",
        "container: the pod's container of that number",
        Logs,
        false,
        false,
        // Dispatched before the table, knowing which digit (see `container_key`).
        |_| None
    ),
    bind!(
        &[ctrl('d')],
        "ctrl-d",
        "delete: the pod of the row (its DaemonSet creates a new one; asks first)",
        Pods,
        true,
        false,
        delete_pod
    ),
    bind!(
        &[key('f')],
        "f",
        "fix: the node under the cursor not covered (tolerate, select, label), with a preview",
        DaemonSet,
        true,
        true,
        |_| Some(Action::OpenFixes)
    ),
    bind!(
        &[key('u')],
        "u",
        "undo: roll back to the revision under the cursor, in batches (asks for the name)",
        History,
        true,
        true,
        undo_to
    ),
    bind!(
        &[key(' ')],
        "space",
        "mark: the node, for t, c and u (esc clears the marks)",
        NodeList,
        false,
        true,
        |_| Some(Action::ToggleMark)
    ),
    bind!(
        &[key('t')],
        "t",
        "label/taint: label, unlabel, taint, untaint, cordon the marked nodes (or this one), with the DaemonSets that move",
        Nodes,
        true,
        true,
        |s| nav_selection::selected_node(s).map(|_| Action::OpenNodeEdit)
    ),
    bind!(
        &[key('c')],
        "c",
        "cordon: the node, or the marked nodes (asks first)",
        Nodes,
        true,
        true,
        |s| cordon(s, true)
    ),
    bind!(
        &[key('u')],
        "u",
        "uncordon: the node, or the marked nodes (asks first)",
        Nodes,
        true,
        true,
        |s| cordon(s, false)
    ),
];

fn yaml(state: &State) -> Option<Action> {
    nav_selection::yaml_target(state).map(|target| Action::Show(View::Yaml { target }))
}

fn ds_view(state: &State, view: fn(Arc<str>) -> View) -> Option<Action> {
    nav_selection::selected_daemon_set(state).map(|uid| Action::Show(view(uid)))
}

fn restart(state: &State) -> Option<Action> {
    let uid = nav_selection::selected_daemon_set(state)?;
    let ds = state.fleet.daemon_set(&uid)?;
    Some(Action::Request(Write::Restart {
        namespace: Arc::clone(&ds.namespace),
        name: Arc::clone(&ds.name),
    }))
}

fn describe(state: &State) -> Option<Action> {
    nav_selection::describe_target(state).map(|target| Action::Show(View::Describe { target }))
}

fn delete_pod(state: &State) -> Option<Action> {
    let pod = state.fleet.pod(nav_selection::selected_pod_id(state)?)?;
    let owner = pod
        .owner_uid
        .as_ref()
        .and_then(|uid| state.fleet.daemon_set(uid))
        .map(|ds| Arc::from(ds.key().as_str()));
    Some(Action::Request(Write::DeletePod {
        namespace: Arc::clone(&pod.namespace),
        name: Arc::clone(&pod.name),
        uid: Arc::clone(&pod.uid),
        owner,
    }))
}

fn undo_to(state: &State) -> Option<Action> {
    let (uid, revision) = nav_selection::history_revision(state)?;
    let ds = state.fleet.daemon_set(&uid)?;
    Some(Action::Request(Write::UndoTo {
        namespace: Arc::clone(&ds.namespace),
        name: Arc::clone(&ds.name),
        revision,
    }))
}

fn cordon(state: &State, cordon: bool) -> Option<Action> {
    if matches!(state.ui.page().view, View::Nodes) && !state.ui.marked.is_empty() {
        return Some(Action::EditMarked(NodeEdit::Cordon(cordon)));
    }
    let node = nav_selection::selected_node(state)?;
    Some(Action::Request(Write::Cordon { node, cordon }))
}

fn scopes(view: &View) -> &'static [Scope] {
    match view {
        View::Fleet => &[Scope::Global, Scope::DaemonSets],
        View::Hogs => &[Scope::Global, Scope::DaemonSets, Scope::Pods],
        View::DaemonSet { .. } => &[
            Scope::Global,
            Scope::DaemonSets,
            Scope::DaemonSet,
            Scope::Pods,
        ],
        View::Nodes => &[Scope::Global, Scope::NodeList, Scope::Nodes],
        View::Node { .. } => &[Scope::Global, Scope::DaemonSets, Scope::Nodes, Scope::Pods],
        View::History { .. } => &[Scope::Global, Scope::History],
        View::Logs { .. } => &[Scope::Global, Scope::Logs],
        View::Events { .. }
        | View::Yaml { .. }
        | View::ObjectEvents { .. }
        | View::Describe { .. } => &[Scope::Global],
    }
}

/// The bindings live in the current view, in table order; writes are absent when read-only.
pub fn active(state: &State) -> impl Iterator<Item = &'static Binding> + '_ {
    let scopes = scopes(&state.ui.page().view);
    BINDINGS
        .iter()
        .filter(move |b| scopes.contains(&b.scope) && !(b.writes && state.session.readonly))
}

/// The Action a key press means in the current mode and view.
pub fn action_for(event: KeyEvent, state: &State) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Action::Quit);
    }
    match &state.ui.mode {
        Mode::Filter { .. } | Mode::Command { .. } => prompt_key(event),
        Mode::Confirm(_) => match event.code {
            KeyCode::Char('y' | 'Y') => Some(Action::Confirm),
            KeyCode::Char('n' | 'N') | KeyCode::Esc | KeyCode::Enter => Some(Action::Cancel),
            _ => None,
        },
        Mode::ConfirmQuit => match event.code {
            KeyCode::Char('y' | 'Y' | 'q') => Some(Action::QuitAnyway),
            KeyCode::Char('n' | 'N') | KeyCode::Esc | KeyCode::Enter => Some(Action::Cancel),
            _ => None,
        },
        Mode::Help => match event.code {
            KeyCode::Esc | KeyCode::Char('?' | 'q') => Some(Action::ToggleHelp),
            _ => None,
        },
        Mode::LastError => match event.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('!' | 'q') => {
                Some(Action::ToggleLastError)
            }
            _ => None,
        },
        Mode::PickNamespace { .. } => pick_key(event),
        Mode::RolloutForm(_) => match event.code {
            KeyCode::Tab => Some(Action::NextField),
            KeyCode::Char('n') if event.modifiers.contains(KeyModifiers::CONTROL) => {
                Some(Action::SubmitNative)
            }
            _ => prompt_key(event),
        },
        Mode::TypeName { .. } => prompt_key(event),
        Mode::TargetForm(_) => match event.code {
            KeyCode::Tab => Some(Action::NextField),
            KeyCode::Right => Some(Action::Complete),
            _ => prompt_key(event),
        },
        Mode::Fixes { .. } => pick_key(event),
        Mode::StageChoice { .. } => match event.code {
            KeyCode::Enter => Some(Action::InputSubmit),
            KeyCode::Char(c @ ('s' | 'a' | 'b' | 'o')) => Some(Action::Input(c)),
            KeyCode::Esc => Some(Action::Cancel),
            _ => None,
        },
        Mode::NodeEdit(_) => match event.code {
            KeyCode::Right => Some(Action::Complete),
            _ => prompt_key(event),
        },
        Mode::RolloutPanel { uid } => panel_key(event, state, uid),
        Mode::Normal => {
            // Shifted letters arrive with SHIFT on some terminals and without on others.
            let mods = event.modifiers - KeyModifiers::SHIFT;
            if let Some(action) = container_key(event.code, mods, state) {
                return Some(action);
            }
            match active(state).find(|b| {
                b.keys
                    .iter()
                    .any(|k| k.code == event.code && k.mods == mods)
            }) {
                Some(b) => (b.action)(state),
                None => unbound(event.code, mods, state),
            }
        }
    }
}

/// `0`…`9` on a log view picks the container of that number (elsewhere `0` is every
/// namespace).
fn container_key(code: KeyCode, mods: KeyModifiers, state: &State) -> Option<Action> {
    let KeyCode::Char(c @ '0'..='9') = code else {
        return None;
    };
    if !mods.is_empty() || !matches!(state.ui.page().view, View::Logs { .. }) {
        return None;
    }
    let i = c.to_digit(10)? as usize;
    Some(Action::Logs(LogsKey::Container(i)))
}

const DIGITS: [Key; 10] = [
    key('0'),
    key('1'),
    key('2'),
    key('3'),
    key('4'),
    key('5'),
    key('6'),
    key('7'),
    key('8'),
    key('9'),
];

/// The rollout controls: pause, resume, abort, undo (each asks first), esc to leave.
fn panel_key(event: KeyEvent, state: &State, uid: &str) -> Option<Action> {
    let word = match event.code {
        KeyCode::Char('p') => RolloutWord::Pause,
        KeyCode::Char('r') => RolloutWord::Resume,
        KeyCode::Char('a') => RolloutWord::Abort,
        KeyCode::Char('u') => RolloutWord::Undo,
        KeyCode::Esc | KeyCode::Char('q' | 'R') => return Some(Action::Cancel),
        _ => return None,
    };
    let ds = state.fleet.daemon_set(uid)?;
    Some(Action::Request(Write::Rollout {
        namespace: Arc::clone(&ds.namespace),
        name: Arc::clone(&ds.name),
        word,
    }))
}

/// The namespace list: the motion keys of a table, enter to choose, esc to leave.
fn pick_key(event: KeyEvent) -> Option<Action> {
    match event.code {
        KeyCode::Char('j') | KeyCode::Down => Some(Action::Move(Motion::Down)),
        KeyCode::Char('k') | KeyCode::Up => Some(Action::Move(Motion::Up)),
        KeyCode::Char('g') | KeyCode::Home => Some(Action::Move(Motion::Top)),
        KeyCode::Char('G') | KeyCode::End => Some(Action::Move(Motion::Bottom)),
        KeyCode::PageDown => Some(Action::Move(Motion::PageDown)),
        KeyCode::PageUp => Some(Action::Move(Motion::PageUp)),
        KeyCode::Enter => Some(Action::InputSubmit),
        KeyCode::Esc | KeyCode::Char('q') => Some(Action::Cancel),
        _ => None,
    }
}

fn prompt_key(event: KeyEvent) -> Option<Action> {
    match event.code {
        KeyCode::Esc => Some(Action::Cancel),
        KeyCode::Enter => Some(Action::InputSubmit),
        KeyCode::Backspace => Some(Action::InputBackspace),
        KeyCode::Char(c) if !event.modifiers.contains(KeyModifiers::CONTROL) => {
            Some(Action::Input(c))
        }
        _ => None,
    }
}

mod hint;

use hint::unbound;

#[cfg(test)]
mod tests;
