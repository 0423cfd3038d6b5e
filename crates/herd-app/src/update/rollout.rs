//! `R` on a DaemonSet: the managed-rollout dialog (its policy, typed, and the plan it would
//! follow) or, when a rollout is in hand, its controls. Starting one, aborting one or undoing
//! one acts on every node of the DaemonSet, so those ask for its name to be typed.

use std::sync::Arc;

use crate::action::Write;
use crate::effect::Effect;
use crate::selection;
use crate::state::{Level, Mode, RolloutForm, State};
use crate::update::{flash, refuse_readonly};
use herd_core::engine::preview;
use herd_core::engine::record::{ANNOTATION, RolloutRecord};

/// The record of a DaemonSet's managed rollout, when it has one herd can read.
pub fn record_of(state: &State, uid: &str) -> Option<RolloutRecord> {
    let ds = state.fleet.daemon_set(uid)?;
    RolloutRecord::decode(ds.annotations.get(ANNOTATION)?).ok()
}

pub fn open(state: &mut State) -> Vec<Effect> {
    if refuse_readonly(state) {
        return Vec::new();
    }
    let Some(uid) = selection::selected_daemon_set(state) else {
        return Vec::new();
    };
    if record_of(state, &uid).is_some_and(|r| !r.state.is_final()) {
        state.ui.mode = Mode::RolloutPanel { uid };
        crate::rows::refresh_rollout_view(state);
        return Vec::new();
    }
    let Some(ds) = state.fleet.daemon_set(&uid) else {
        return Vec::new();
    };
    let Some(first) = ds.containers.first() else {
        flash(
            state,
            Level::Warn,
            format!("{}: no container to roll out", ds.key()),
        );
        return Vec::new();
    };
    state.ui.mode = Mode::RolloutForm(RolloutForm {
        uid: uid.clone(),
        container: first.name.to_string(),
        image: first.image.to_string(),
        max_unavailable: "10%".to_string(),
        canary: String::new(),
        pause_after: String::new(),
        focus: 0,
        preview: Err(String::new()),
    });
    refresh_preview(state);
    Vec::new()
}

/// Plans the policy as typed against the fleet as it is (after each key in the dialog).
pub fn refresh_preview(state: &mut State) {
    let Mode::RolloutForm(form) = &state.ui.mode else {
        return;
    };
    let result = match (form.policy(), state.fleet.daemon_set(&form.uid)) {
        (Ok(policy), Some(ds)) => {
            preview::preview(&state.fleet, ds, &policy, state.now).map_err(|e| e.to_string())
        }
        (Err(e), _) => Err(e),
        (_, None) => Err("the DaemonSet is gone".to_string()),
    };
    if let Mode::RolloutForm(form) = &mut state.ui.mode {
        form.preview = result;
    }
}

/// `ctrl-n` in the dialog: the image typed, set under the DaemonSet's own strategy (its
/// RollingUpdate, surge and all) rather than by a managed rollout.
pub fn submit_native(state: &mut State) -> Vec<Effect> {
    let Mode::RolloutForm(form) = &state.ui.mode else {
        return Vec::new();
    };
    let Some(ds) = state.fleet.daemon_set(&form.uid) else {
        return Vec::new();
    };
    let image = form.image.trim().to_string();
    let current = ds.containers.first().map(|c| c.image.to_string());
    if image.is_empty() || current.as_deref() == Some(image.as_str()) {
        flash(
            state,
            Level::Warn,
            "the image is unchanged: nothing for the native strategy to roll out (r restarts)",
        );
        return Vec::new();
    }
    let write = Write::SetImage {
        namespace: Arc::clone(&ds.namespace),
        name: Arc::clone(&ds.name),
        container: form.container.clone(),
        image,
    };
    state.ui.mode = Mode::Normal;
    super::input::request(state, write)
}

pub fn next_field(state: &mut State) -> Vec<Effect> {
    if let Mode::RolloutForm(form) = &mut state.ui.mode {
        form.focus = (form.focus + 1) % RolloutForm::FIELDS.len();
    }
    Vec::new()
}
