//! `update(state, action) -> effects`: the one place the TUI's state changes. Each arm calls a
//! named function in `update/`; nothing here waits or does IO.

mod command;
mod feed;
mod input;
pub mod logs;
mod nav;
mod node_edit;
pub mod others;
mod pick;
pub mod rollout;
pub mod target;
pub mod usage_focus;

use jiff::Timestamp;

use crate::action::Action;
use crate::effect::Effect;
use crate::rows;
use crate::state::{Flash, Level, Mode, State};

pub use self::command::parse_command;
pub(crate) use self::nav::drill_target;

/// How long a flash message stays.
const FLASH_SECONDS: i64 = 5;

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut effects = match action {
        Action::Feed { epoch, feed } => feed::apply(state, epoch, feed),
        Action::Connected { epoch, info } => feed::connected(state, epoch, info),
        Action::Tick(now) => tick(state, now),
        Action::Resize { width, height } => resize(state, width, height),
        Action::Move(motion) => nav::move_cursor(state, motion),
        Action::Click { row } => nav::click(state, row),
        Action::Open => nav::open(state),
        Action::Back => nav::back(state),
        Action::Show(view) => nav::show(state, view),
        Action::Sort(key) => nav::sort(state, key),
        Action::AllNamespaces => nav::namespace(state, None),
        Action::Namespace(ns) => nav::namespace(state, Some(ns)),
        Action::PickNamespace => pick::open(state),
        Action::SwitchContext(name) => nav::switch_context(state, name),
        Action::ToggleHelp => nav::toggle_help(state),
        Action::ToggleLastError => nav::toggle_last_error(state),
        Action::OpenLogs => logs::open(state, false),
        Action::OpenPreviousLogs => logs::open(state, true),
        Action::Logs(key) => logs::key(state, key),
        Action::Unbound(hint) => {
            flash(state, Level::Info, hint);
            Vec::new()
        }
        Action::ToggleCoverageMap => nav::toggle_map(state),
        Action::StartFilter => input::start_filter(state),
        Action::StartCommand => input::start_command(state),
        Action::Input(c) => input::type_char(state, c),
        Action::InputBackspace => input::backspace(state),
        Action::InputSubmit => input::submit(state),
        Action::OpenRollout => rollout::open(state),
        Action::NextField => {
            target::next_field(state);
            rollout::next_field(state)
        }
        Action::Complete => {
            target::complete(state);
            node_edit::complete(state)
        }
        Action::OpenTarget => target::open(state),
        Action::OpenFixes => target::open_fixes(state),
        Action::EditTargetYaml => target::edit_yaml(state),
        Action::TargetEdited { uid, base, result } => target::edited(state, uid, base, result),
        Action::ToggleMark => node_edit::toggle_mark(state),
        Action::OpenNodeEdit => node_edit::open(state),
        Action::EditMarked(edit) => node_edit::edit_marked(state, edit),
        Action::TargetConflict {
            namespace,
            name,
            theirs,
            current,
            base,
            wanted,
        } => target::conflict(state, &namespace, &name, &theirs, current, &base, &wanted),
        Action::SubmitNative => rollout::submit_native(state),
        Action::Request(write) => input::request(state, write),
        Action::Confirm => input::confirm(state),
        Action::Cancel => input::cancel(state),
        Action::Loaded { view, result } => nav::loaded(state, view, result),
        Action::ThemeLoaded(result) => theme_loaded(state, result),
        Action::WriteDone { what, result } => write_done(state, what, result),
        Action::CarryEnded { daemon_set } => {
            state.carrying.remove(&daemon_set);
            // The question before quitting no longer applies: the rollout settled (and says
            // how on the flash line).
            if state.carrying.is_empty() && state.ui.mode == Mode::ConfirmQuit {
                state.ui.mode = Mode::Normal;
            }
            Vec::new()
        }
        Action::Quit if !state.carrying.is_empty() && state.ui.mode != Mode::ConfirmQuit => {
            state.ui.mode = Mode::ConfirmQuit;
            Vec::new()
        }
        Action::Quit | Action::QuitAnyway => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::OtherPodsUnread { node, error } => {
            // Asked again once the retry time is up, if the screen still needs it.
            flash(
                state,
                Level::Warn,
                format!("could not read the other pods on node {node}: {error}"),
            );
            Vec::new()
        }
    };
    if !state.quit {
        effects.extend(others::wanted(state));
        effects.extend(usage_focus::changed(state));
    }
    state.dirty = true;
    effects
}

/// Recomputes the analysis after fleet changes; the runtime calls it at most every so often
/// while events stream in, so a burst costs one pass.
pub fn derive(state: &mut State) {
    let changes = state.fleet.take_changes();
    let (fleet, thresholds) = (&state.fleet, &state.thresholds);
    state
        .derived
        .refresh(fleet, thresholds, state.now, &changes);
    state.stale_derived = false;
    rows::refresh(state);
    // A dialog open over a fleet that changed previews the fleet as it is now, not as it was
    // when the last key was typed (each refresh is a no-op unless its dialog is open).
    if changes.everything || !changes.daemon_sets.is_empty() {
        rollout::refresh_preview(state);
        target::refresh_preview(state);
        node_edit::refresh_preview(state);
    }
    state.dirty = true;
}

/// Under `--readonly`, says so on the flash line and answers true: the caller changes nothing.
/// (The keys that write are not even bound then; this holds for any other way in.)
pub(crate) fn refuse_readonly(state: &mut State) -> bool {
    if state.session.readonly {
        flash(
            state,
            Level::Error,
            "read-only session: herd changes nothing",
        );
    }
    state.session.readonly
}

pub(crate) fn flash(state: &mut State, level: Level, text: impl Into<String>) {
    let text = text.into();
    if level != Level::Info {
        state.ui.last_error = Some(text.clone());
    }
    state.ui.flash = Some(Flash {
        level,
        text,
        until: state.now + jiff::SignedDuration::from_secs(FLASH_SECONDS),
    });
}

/// Something the user asked for worked: a warning or error still on the flash line is about
/// an earlier step, and left there it would read as this one's outcome. (`!` still shows it.)
pub(crate) fn clear_problem(state: &mut State) {
    if state
        .ui
        .flash
        .as_ref()
        .is_some_and(|f| f.level != Level::Info)
    {
        state.ui.flash = None;
    }
}

fn tick(state: &mut State, now: Timestamp) -> Vec<Effect> {
    state.now = now;
    if state.derived.verdicts_due(now) {
        // A grace ran out or a crash loop went quiet with no event to say so.
        state.stale_derived = true;
    }
    if state.ui.flash.as_ref().is_some_and(|f| f.until <= now) {
        state.ui.flash = None;
    }
    // A rollout in sight moves with the clock too (a pod's Ready time, minReadySeconds).
    if state.derived.rollout_view.is_some() {
        rows::refresh_rollout_view(state);
    }
    logs::follow(state, now)
}

fn resize(state: &mut State, width: u16, height: u16) -> Vec<Effect> {
    state.ui.width = width;
    state.ui.height = height;
    let visible = state.ui.visible_rows();
    rows::clamp_offset(state.ui.page_mut(), visible);
    Vec::new()
}

fn theme_loaded(state: &mut State, result: Result<String, String>) -> Vec<Effect> {
    match result {
        Ok(name) => {
            flash(state, Level::Info, format!("theme {name}"));
            state.theme.current = name;
        }
        Err(e) => flash(state, Level::Error, e),
    }
    Vec::new()
}

fn write_done(state: &mut State, what: String, result: Result<(), String>) -> Vec<Effect> {
    match result {
        Ok(()) => flash(state, Level::Info, format!("done: {what}")),
        Err(e) => flash(state, Level::Error, format!("{what} failed: {e}")),
    }
    Vec::new()
}

/// Leaves any overlay or prompt.
pub(crate) fn normal_mode(state: &mut State) {
    state.ui.mode = Mode::Normal;
}

#[cfg(test)]
mod tests;
