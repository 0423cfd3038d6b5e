//! Staging from the editor through `update`: an edit that adds the daemon to many nodes asks
//! whether to stage it (enter) or apply it at once (`a`), esc goes back to the edit; the
//! staged write is carried by this TUI; `:stage rollback|resume` ask first; a DaemonSet whose
//! staged edit is in hand is not edited again.

use std::sync::Arc;

use super::{command, derive, feed, flash_text, listed, type_in};
use crate::action::{Action, StageWord, Write};
use crate::state::{Level, Mode, State};
use crate::update::update;
use crate::view::View;
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Record};
use herd_core::model::placement::{PlacementSpec, Taint, TaintEffect};
use herd_core::model::testkit;
use herd_core::targeting::stage::{ANNOTATION, Batch, StageRecord, StageState, VERSION, hold_key};

/// Twelve more nodes, x01–x12, tainted `dedicated=infra:NoSchedule`, in zones; the editor
/// open on `agent`, its tolerations field holding the toleration that gains them all.
fn agent_gaining_twelve(readonly: bool) -> State {
    let mut state = listed(readonly);
    for i in 1..=12 {
        let mut n = testkit::node(&format!("x{i:02}"));
        n.labels
            .insert("topology.kubernetes.io/zone".into(), format!("z{}", i % 3));
        taint_infra(&mut state, n);
    }
    tolerate_infra_on_agent(&mut state);
    state
}

/// `node`, tainted `dedicated=infra:NoSchedule`, into the fleet.
fn taint_infra(state: &mut State, mut node: herd_core::model::node::Node) {
    node.taints
        .push(Taint::new("dedicated", "infra", TaintEffect::NoSchedule));
    feed(state, Feed::Event(FleetEvent::Upsert(Record::Node(node))));
}

/// The editor open on `agent`, its tolerations field holding `dedicated=infra:NoSchedule`.
fn tolerate_infra_on_agent(state: &mut State) {
    derive(state);
    update(
        state,
        Action::Show(View::DaemonSet {
            uid: Arc::from("uid-agent"),
        }),
    );
    update(state, Action::OpenTarget);
    update(state, Action::NextField);
    update(state, Action::NextField);
    type_in(state, "dedicated=infra:NoSchedule");
}

#[test]
fn an_edit_gaining_many_nodes_offers_staging_and_enter_takes_it() {
    let mut state = agent_gaining_twelve(false);
    update(&mut state, Action::InputSubmit);
    let Mode::StageChoice { write, .. } = &state.ui.mode else {
        panic!("the staging choice: {:?}", state.ui.mode);
    };
    let Write::Retarget {
        stage: Some(stage), ..
    } = write
    else {
        panic!("a staged write: {write:?}");
    };
    assert_eq!(stage.gains.len(), 12);
    assert_eq!(stage.batch, Batch::Percent(10));
    assert_eq!(
        stage.order_by.as_deref(),
        Some("topology.kubernetes.io/zone"),
        "the nodes carry zones: released zone by zone"
    );
    // `b` and `o` change the batch and the order: the nodes carry zones only, so the order
    // goes from zone to node name and back.
    update(&mut state, Action::Input('b'));
    update(&mut state, Action::Input('o'));
    let staged = |state: &State| match &state.ui.mode {
        Mode::StageChoice {
            write: Write::Retarget {
                stage: Some(stage), ..
            },
            ..
        } => (stage.batch, stage.order_by.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(staged(&state), (Batch::Percent(25), None));
    for _ in 0..3 {
        update(&mut state, Action::Input('b'));
    }
    update(&mut state, Action::Input('o'));
    assert_eq!(
        staged(&state),
        (
            Batch::Percent(10),
            Some("topology.kubernetes.io/zone".into())
        )
    );
    // esc goes back to the edit as it was.
    update(&mut state, Action::Cancel);
    let Mode::TargetForm(form) = &state.ui.mode else {
        panic!("back in the editor: {:?}", state.ui.mode);
    };
    assert_eq!(form.tolerations, "dedicated=infra:NoSchedule");
    update(&mut state, Action::InputSubmit);
    update(&mut state, Action::InputSubmit);
    let Mode::TypeName { write, .. } = &state.ui.mode else {
        panic!("asks for the name: {:?}", state.ui.mode);
    };
    assert!(
        write.describe().contains("--stage --batch 10%"),
        "{}",
        write.describe()
    );
    assert_eq!(write.carried().as_deref(), Some("kube-system/agent"));
    type_in(&mut state, "agent");
    let effects = update(&mut state, Action::InputSubmit);
    assert!(
        matches!(
            &effects[..],
            [crate::effect::Effect::Write(Write::Retarget {
                stage: Some(_),
                ..
            })]
        ),
        "{effects:?}"
    );
    assert!(
        state.carrying.contains("kube-system/agent"),
        "a q now asks first"
    );
}

#[test]
fn a_applies_at_once_and_a_small_edit_is_not_offered_staging() {
    let mut state = agent_gaining_twelve(false);
    update(&mut state, Action::InputSubmit);
    update(&mut state, Action::Input('a'));
    let Mode::TypeName { write, .. } = &state.ui.mode else {
        panic!("asks for the name: {:?}", state.ui.mode);
    };
    assert!(
        matches!(write, Write::Retarget { stage: None, .. }),
        "{write:?}"
    );
    assert_eq!(write.carried(), None);

    // Gaining one node: straight to the confirmation.
    let mut state = listed(false);
    let n3 = state.fleet.node("n3").expect("n3").clone();
    taint_infra(&mut state, n3);
    tolerate_infra_on_agent(&mut state);
    update(&mut state, Action::InputSubmit);
    assert!(
        matches!(state.ui.mode, Mode::TypeName { .. }),
        "{:?}",
        state.ui.mode
    );
}

/// `agent` with a staged edit in hand, in `state`.
fn staging(state: &mut State, phase: StageState) {
    let mut agent = state.fleet.daemon_set("uid-agent").expect("agent").clone();
    let record = StageRecord {
        version: VERSION,
        hold: hold_key("kube-system", "agent"),
        order_by: None,
        batch: Batch::Count(2),
        total: 6,
        released: 1,
        original: PlacementSpec::default(),
        wanted: PlacementSpec::default(),
        state: phase,
        started: testkit::t(0),
    };
    agent.annotations.insert(ANNOTATION.into(), record.encode());
    feed(
        state,
        Feed::Event(FleetEvent::Upsert(Record::DaemonSet(agent))),
    );
    derive(state);
}

#[test]
fn a_staged_edit_in_hand_is_not_edited_again_and_the_stage_commands_ask_first() {
    let mut state = agent_gaining_twelve(false);
    update(&mut state, Action::Cancel);
    staging(&mut state, StageState::Progressing);
    update(&mut state, Action::OpenTarget);
    assert!(matches!(state.ui.mode, Mode::Normal), "{:?}", state.ui.mode);
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Warn);
    assert!(
        text.contains("stages a targeting edit (Progressing): :stage rollback"),
        "{text}"
    );

    command(&mut state, "stage rollback");
    let Mode::TypeName { write, .. } = &state.ui.mode else {
        panic!("a rollback asks for the name: {:?}", state.ui.mode);
    };
    assert!(matches!(
        write,
        Write::Stage {
            word: StageWord::Rollback,
            ..
        }
    ));
    update(&mut state, Action::Cancel);
    command(&mut state, "stage resume");
    assert!(
        matches!(
            &state.ui.mode,
            Mode::Confirm(Write::Stage {
                word: StageWord::Resume,
                ..
            })
        ),
        "{:?}",
        state.ui.mode
    );
    update(&mut state, Action::Cancel);
    command(&mut state, "stage");
    assert!(
        flash_text(&state)
            .1
            .contains(":stage resume or :stage rollback")
    );
}

#[test]
fn readonly_offers_no_stage_command() {
    let mut state = listed(true);
    update(
        &mut state,
        Action::Show(View::DaemonSet {
            uid: Arc::from("uid-agent"),
        }),
    );
    command(&mut state, "stage rollback");
    assert!(matches!(state.ui.mode, Mode::Normal), "{:?}", state.ui.mode);
    assert!(
        flash_text(&state).1.contains("read-only"),
        "{:?}",
        flash_text(&state)
    );
}
