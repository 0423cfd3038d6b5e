//! The flash line through `update`: a selector that does not parse says why and keeps the rows
//! on the last good filter, a warning goes with the next thing that works, and the whole of the
//! last one stays behind `!`.

use super::{command, flash_text, fleet_names, listed, type_in};
use crate::action::Action;
use crate::effect::Effect;
use crate::state::{Level, Mode};
use crate::update::update;
use herd_core::model::selector::LabelSelector;

#[test]
fn a_selector_that_does_not_parse_says_why_and_keeps_the_rows() {
    let mut state = listed(false);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "app in (a");
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Warn);
    let words = LabelSelector::parse("app in (a")
        .expect_err("malformed")
        .to_string();
    assert_eq!(text, words, "the same words as herd check -l");
    assert!(text.contains("missing closing"), "{text}");
    assert_eq!(
        fleet_names(&state).len(),
        3,
        "not the empty table text matching would give"
    );

    update(&mut state, Action::InputSubmit);
    assert_eq!(state.ui.mode, Mode::Normal);
    assert_eq!(state.ui.page().filter, "", "the last good filter is kept");
    assert_eq!(fleet_names(&state).len(), 3);
    assert_eq!(flash_text(&state).1, words, "and the reason stays");
}

#[test]
fn a_broken_selector_falls_back_to_the_last_one_that_parsed() {
    let mut state = listed(false);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "-l tier=logs");
    assert_eq!(fleet_names(&state), ["logger"]);
    type_in(&mut state, "(");
    assert_eq!(flash_text(&state).0, Level::Warn);
    assert_eq!(fleet_names(&state), ["logger"], "still tier=logs");
    assert_eq!(state.ui.page().filter, "-l tier=logs");
    update(&mut state, Action::InputSubmit);
    assert_eq!(state.ui.page().filter, "-l tier=logs");
}

#[test]
fn plain_text_still_filters_as_text_and_mending_the_selector_clears_the_warning() {
    let mut state = listed(false);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "web");
    assert_eq!(fleet_names(&state), ["web"]);
    assert!(
        state
            .ui
            .flash
            .as_ref()
            .is_none_or(|f| f.level == Level::Info)
    );
    for _ in 0..3 {
        update(&mut state, Action::InputBackspace);
    }
    type_in(&mut state, "tier in (logs");
    assert_eq!(flash_text(&state).0, Level::Warn);
    type_in(&mut state, ")");
    assert_eq!(fleet_names(&state), ["logger"]);
    assert!(
        state
            .ui
            .flash
            .as_ref()
            .is_none_or(|f| f.level == Level::Info),
        "the warning went once the selector parsed"
    );
}

#[test]
fn a_warning_goes_with_the_next_command_that_works() {
    let mut state = listed(false);
    command(&mut state, "nope");
    assert_eq!(flash_text(&state).0, Level::Warn);
    command(&mut state, "nodes");
    assert!(state.ui.flash.is_none(), "{:?}", state.ui.flash);
    assert!(
        state
            .ui
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains(":nope")),
        "! still has it"
    );
}

#[test]
fn an_error_goes_with_a_write_that_works_a_namespace_switch_and_a_good_filter() {
    let mut state = listed(false);
    let failed = |state: &mut crate::state::State| {
        update(
            state,
            Action::WriteDone {
                what: "restart DaemonSet kube-system/agent".into(),
                result: Err("forbidden".into()),
            },
        );
        assert_eq!(flash_text(state).0, Level::Error);
    };

    failed(&mut state);
    update(
        &mut state,
        Action::WriteDone {
            what: "cordon node n1".into(),
            result: Ok(()),
        },
    );
    assert_eq!(
        flash_text(&state),
        (Level::Info, "done: cordon node n1".into())
    );

    failed(&mut state);
    command(&mut state, "ns apps");
    assert_eq!(flash_text(&state), (Level::Info, "namespace: apps".into()));

    failed(&mut state);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "tier=logs");
    update(&mut state, Action::InputSubmit);
    assert!(state.ui.flash.is_none(), "{:?}", state.ui.flash);
}

#[test]
fn bang_shows_the_whole_last_error_after_its_flash_is_gone() {
    let mut state = listed(false);
    update(&mut state, Action::ToggleLastError);
    assert_eq!(state.ui.mode, Mode::Normal, "nothing to show yet");
    assert_eq!(flash_text(&state).0, Level::Info);

    let refusal = format!(
        "daemonsets.apps \"agent\" is forbidden: User \"viewer\" cannot patch resource \
         \"daemonsets\" in API group \"apps\" in the namespace \"kube-system\"{}",
        " (and more)".repeat(10)
    );
    let effects = update(
        &mut state,
        Action::WriteDone {
            what: "restart DaemonSet kube-system/agent".into(),
            result: Err(refusal.clone()),
        },
    );
    assert_eq!(effects, Vec::<Effect>::new());
    update(&mut state, Action::Tick(herd_core::model::testkit::t(600)));
    assert!(state.ui.flash.is_none(), "the timer took the flash");
    update(&mut state, Action::ToggleLastError);
    assert_eq!(state.ui.mode, Mode::LastError);
    let whole = state.ui.last_error.clone().expect("kept");
    assert!(whole.ends_with(&refusal), "{whole}");
    update(&mut state, Action::Back);
    assert_eq!(state.ui.mode, Mode::Normal, "esc closes it");
}
