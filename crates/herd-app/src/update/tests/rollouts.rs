//! `R` and the managed-rollout dialog through `update`: the policy typed beside its plan, a
//! policy that cannot be followed kept open with the reason, the DaemonSet's name typed before
//! anything starts, the controls of a rollout in hand, and nothing at all under `--readonly`.

use std::sync::Arc;

use super::{feed, flash_text, listed, type_in};
use crate::action::{Action, RolloutWord, Write};
use crate::effect::Effect;
use crate::state::{Level, Mode, State};
use crate::update::update;
use herd_core::engine::policy::{PausePoint, Policy, Selection};
use herd_core::engine::record::{ANNOTATION, Restore, RolloutRecord, State as Phase, VERSION};
use herd_core::model::daemonset::ContainerSpec;
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Record};

/// `agent` (selected: the first row) with a container, as the watches would send it.
fn with_container(state: &mut State, annotate: Option<&RolloutRecord>) {
    let mut agent = state.fleet.daemon_set("uid-agent").expect("agent").clone();
    agent.containers = vec![ContainerSpec {
        name: Arc::from("agent"),
        image: Arc::from("agent:1"),
        requests: Default::default(),
        limits: Default::default(),
    }];
    if let Some(record) = annotate {
        agent
            .annotations
            .insert(ANNOTATION.to_string(), record.encode());
    }
    feed(
        state,
        Feed::Event(FleetEvent::Upsert(Record::DaemonSet(agent))),
    );
}

fn form_mut(state: &mut State) -> &mut crate::state::RolloutForm {
    match &mut state.ui.mode {
        Mode::RolloutForm(form) => form,
        other => panic!("not the rollout dialog: {other:?}"),
    }
}

#[test]
fn the_dialog_plans_as_the_policy_is_typed_and_asks_for_the_name_before_starting() {
    let mut state = listed(false);
    with_container(&mut state, None);
    update(&mut state, Action::OpenRollout);
    let form = form_mut(&mut state);
    assert_eq!((form.image.as_str(), form.focus), ("agent:1", 0));
    // 10% of 3 nodes rounds up to one at a time.
    let plan = form.preview.clone().expect("a plan");
    assert_eq!((plan.batches.len(), plan.budget), (3, 1));

    update(&mut state, Action::InputBackspace);
    type_in(&mut state, "2");
    update(&mut state, Action::NextField);
    for _ in 0..3 {
        update(&mut state, Action::InputBackspace);
    }
    type_in(&mut state, "0");
    let form = form_mut(&mut state);
    let refused = form.preview.clone().expect_err("a budget of 0");
    assert!(refused.contains("at least 1"), "{refused}");
    // Enter on a policy that cannot be followed keeps the dialog, saying why.
    assert!(update(&mut state, Action::InputSubmit).is_empty());
    assert!(matches!(state.ui.mode, Mode::RolloutForm(_)));
    assert_eq!(flash_text(&state).0, Level::Warn);

    update(&mut state, Action::InputBackspace);
    type_in(&mut state, "2");
    update(&mut state, Action::NextField);
    type_in(&mut state, "1");
    update(&mut state, Action::NextField);
    type_in(&mut state, "canary");
    let plan = form_mut(&mut state).preview.clone().expect("a plan");
    assert_eq!(plan.batches[0].pause_after, Some(PausePoint::Canary));
    assert!(update(&mut state, Action::InputSubmit).is_empty());
    let Mode::TypeName { write, .. } = &state.ui.mode else {
        panic!("asks for the name: {:?}", state.ui.mode);
    };
    let expected = Write::StartRollout {
        namespace: Arc::from("kube-system"),
        name: Arc::from("agent"),
        policy: Policy {
            max_unavailable: "2".into(),
            canary: Some(Selection::Count(1)),
            pause_after: vec![PausePoint::Canary],
            ..Policy::default()
        },
        images: vec![("agent".into(), "agent:2".into())],
    };
    assert_eq!(*write, expected);
    type_in(&mut state, "agen");
    assert!(
        update(&mut state, Action::InputSubmit).is_empty(),
        "not yet"
    );
    type_in(&mut state, "t");
    assert_eq!(
        update(&mut state, Action::InputSubmit),
        [Effect::Write(expected)]
    );
}

#[test]
fn a_rollout_in_hand_opens_its_controls_and_abort_asks_for_the_name() {
    let mut state = listed(false);
    let record = RolloutRecord {
        version: VERSION,
        target: None,
        restore: Restore {
            kind: "RollingUpdate".into(),
            max_unavailable: None,
            max_surge: None,
        },
        policy: Policy::default(),
        state: Phase::Paused {
            at: Some(PausePoint::Canary),
        },
        started: herd_core::model::testkit::t(0),
        batches: 1,
        passed: Vec::new(),
        resumed_batches: 0,
        from: None,
        rollback: false,
        paused_with: None,
    };
    with_container(&mut state, Some(&record));
    update(&mut state, Action::OpenRollout);
    assert!(matches!(state.ui.mode, Mode::RolloutPanel { .. }));
    // The controls show where it stands, worked out as they open.
    let (uid, standing) = state.derived.rollout_view.clone().expect("a live view");
    assert_eq!(&*uid, "uid-agent");
    assert_eq!(
        standing.held_by.as_deref(),
        Some("Paused after canary: resume to go on")
    );
    let resume = Write::Rollout {
        namespace: Arc::from("kube-system"),
        name: Arc::from("agent"),
        word: RolloutWord::Resume,
    };
    update(&mut state, Action::Request(resume.clone()));
    assert_eq!(
        state.ui.mode,
        Mode::Confirm(resume),
        "a plain yes for resume"
    );
    update(&mut state, Action::Cancel);
    let abort = Write::Rollout {
        namespace: Arc::from("kube-system"),
        name: Arc::from("agent"),
        word: RolloutWord::Abort,
    };
    update(&mut state, Action::Request(abort.clone()));
    assert!(
        matches!(&state.ui.mode, Mode::TypeName { write, .. } if *write == abort),
        "{:?}",
        state.ui.mode
    );
}

#[test]
fn read_only_opens_nothing() {
    let mut state = listed(true);
    with_container(&mut state, None);
    assert!(update(&mut state, Action::OpenRollout).is_empty());
    assert_eq!(state.ui.mode, Mode::Normal);
    assert_eq!(flash_text(&state).0, Level::Error);
}

#[test]
fn quitting_while_this_herd_carries_a_rollout_asks_first() {
    let mut state = listed(false);
    // Carried, as a confirmed start, resume or undo leaves it (see below).
    let carried = |state: &mut State| state.carrying.insert("kube-system/agent".into());
    let ended = || Action::CarryEnded {
        daemon_set: "kube-system/agent".into(),
    };
    carried(&mut state);
    assert!(
        update(&mut state, Action::Quit).is_empty(),
        "asks, quits not"
    );
    assert_eq!(state.ui.mode, Mode::ConfirmQuit);
    assert!(!state.quit);
    update(&mut state, Action::Cancel);
    assert_eq!((state.ui.mode.clone(), state.quit), (Mode::Normal, false));
    // A second `q` (or ctrl-c) at the question quits; so does `y`.
    update(&mut state, Action::Quit);
    assert_eq!(update(&mut state, Action::Quit), [Effect::Quit]);
    assert!(state.quit);

    let mut state = listed(false);
    carried(&mut state);
    update(&mut state, Action::Quit);
    assert_eq!(update(&mut state, Action::QuitAnyway), [Effect::Quit]);

    // A confirmed resume counts as carried before the write comes back: a `q` typed at once
    // still asks.
    let mut state = listed(false);
    state.ui.mode = Mode::Confirm(Write::Rollout {
        namespace: Arc::from("kube-system"),
        name: Arc::from("agent"),
        word: RolloutWord::Resume,
    });
    update(&mut state, Action::Confirm);
    assert!(update(&mut state, Action::Quit).is_empty());
    assert_eq!(state.ui.mode, Mode::ConfirmQuit);

    // The rollout settling while the question is up takes the question away.
    update(&mut state, ended());
    assert_eq!((state.ui.mode.clone(), state.quit), (Mode::Normal, false));

    // Once the rollout settles, `q` quits at once.
    let mut state = listed(false);
    carried(&mut state);
    update(&mut state, ended());
    assert_eq!(update(&mut state, Action::Quit), [Effect::Quit]);
}

#[test]
fn the_history_screen_names_the_revision_under_the_cursor_for_an_undo() {
    use crate::selection::history_revision;
    use crate::view::{Motion, View};
    let mut state = listed(false);
    let uid: Arc<str> = Arc::from("uid-agent");
    update(
        &mut state,
        Action::Show(View::History {
            uid: Arc::clone(&uid),
        }),
    );
    let lines: Vec<String> = [
        "# revisions of DaemonSet kube-system/agent, newest first",
        "REVISION 3    agent-5d4c  change-cause: <none>",
        "REVISION 2    agent-7f9a  change-cause: <none>",
        "",
        "== revision 2 → 3 ==",
        "-       - image: agent:2",
        "+       - image: agent:3",
    ]
    .map(String::from)
    .to_vec();
    update(
        &mut state,
        Action::Loaded {
            view: View::History {
                uid: Arc::clone(&uid),
            },
            result: Ok(lines),
        },
    );
    let at = |state: &State| history_revision(state).map(|(_, r)| r);
    assert_eq!(at(&state), None, "the title names no revision");
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(at(&state), Some(3));
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(at(&state), Some(2));
    // Inside a diff: the revision it leads to.
    update(&mut state, Action::Move(Motion::Bottom));
    assert_eq!(at(&state), Some(3));
    // Off the history screen, nothing.
    update(&mut state, Action::Back);
    assert_eq!(at(&state), None);
}

#[test]
fn ctrl_n_sets_the_image_under_the_native_strategy_after_the_name_is_typed() {
    let mut state = listed(false);
    with_container(&mut state, None);
    update(&mut state, Action::OpenRollout);
    // The image as it is: nothing for the native strategy to roll out.
    assert!(update(&mut state, Action::SubmitNative).is_empty());
    assert!(flash_text(&state).1.contains("the image is unchanged"));
    assert!(matches!(state.ui.mode, Mode::RolloutForm(_)));

    update(&mut state, Action::InputBackspace);
    type_in(&mut state, "2");
    assert!(update(&mut state, Action::SubmitNative).is_empty());
    let expected = Write::SetImage {
        namespace: Arc::from("kube-system"),
        name: Arc::from("agent"),
        container: "agent".into(),
        image: "agent:2".into(),
    };
    assert_eq!(
        state.ui.mode,
        Mode::TypeName {
            write: expected.clone(),
            typed: String::new()
        }
    );
    type_in(&mut state, "agent");
    assert_eq!(
        update(&mut state, Action::InputSubmit),
        [Effect::Write(expected)]
    );
    assert!(
        state.carrying.is_empty(),
        "the native controller carries it"
    );
}
