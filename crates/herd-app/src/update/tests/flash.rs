//! The flash line through `update`: a warning goes with the next thing that works.

use super::{command, flash_text, listed, type_in};
use crate::action::Action;
use crate::state::Level;
use crate::update::update;

#[test]
fn a_warning_goes_with_the_next_command_that_works() {
    let mut state = listed(false);
    command(&mut state, "nope");
    assert_eq!(flash_text(&state).0, Level::Warn);
    command(&mut state, "nodes");
    assert!(state.ui.flash.is_none(), "{:?}", state.ui.flash);
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
