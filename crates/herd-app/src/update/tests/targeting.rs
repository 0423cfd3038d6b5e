//! `T` and `f` through `update`: the editor previews as it is typed and refuses what the API
//! server would; a fix for a tainted node opens the editor with the toleration made and the
//! node gained; applying asks for the DaemonSet's name; a conflict reopens the edit carried
//! over onto the other change; nothing under `--readonly`.

use std::sync::Arc;

use super::{derive, feed, flash_text, listed, type_in};
use crate::action::{Action, Write};
use crate::effect::Effect;
use crate::selection::selected_coverage_node;
use crate::state::{Level, Mode, State, TargetForm};
use crate::update::update;
use crate::view::{Motion, View};
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Record};
use herd_core::model::placement::{PlacementSpec, Taint, TaintEffect, Toleration};
use herd_core::targeting::fix::Fix;

fn form(state: &State) -> &TargetForm {
    match &state.ui.mode {
        Mode::TargetForm(form) => form,
        other => panic!("not the targeting editor: {other:?}"),
    }
}

/// n3 tainted `dedicated=infra:NoSchedule`; logger (running on n1 only) is shown, the cursor
/// on n3.
fn logger_on_tainted_n3() -> State {
    let mut state = listed(false);
    let mut n3 = state.fleet.node("n3").expect("n3").clone();
    n3.taints
        .push(Taint::new("dedicated", "infra", TaintEffect::NoSchedule));
    feed(
        &mut state,
        Feed::Event(FleetEvent::Upsert(Record::Node(n3))),
    );
    derive(&mut state);
    update(
        &mut state,
        Action::Show(View::DaemonSet {
            uid: Arc::from("uid-logger"),
        }),
    );
    for _ in 0..3 {
        if selected_coverage_node(&state).as_deref() == Some("n3") {
            break;
        }
        update(&mut state, Action::Move(Motion::Down));
    }
    assert_eq!(selected_coverage_node(&state).as_deref(), Some("n3"));
    state
}

#[test]
fn a_fix_for_a_tainted_node_previews_the_toleration_and_asks_for_the_name() {
    let mut state = logger_on_tainted_n3();
    update(&mut state, Action::OpenFixes);
    let Mode::Fixes { fixes, node, .. } = &state.ui.mode else {
        panic!("the fixes: {:?}", state.ui.mode);
    };
    assert_eq!(node.as_deref(), Some("n3"));
    let tolerate = Toleration::equal("dedicated", "infra", Some(TaintEffect::NoSchedule));
    assert_eq!(fixes, &[Fix::Tolerate(tolerate.clone())]);
    update(&mut state, Action::InputSubmit);
    let f = form(&state);
    assert_eq!(
        f.note.as_deref(),
        Some("fix: tolerate dedicated=infra:NoSchedule")
    );
    assert_eq!(f.tolerations, "dedicated=infra:NoSchedule");
    let p = f.preview.clone().expect("a preview");
    // n2 misses its pod already (the DaemonSet should run there); n3 is gained.
    assert_eq!(p.gains.iter().map(|g| &*g.node).collect::<Vec<_>>(), ["n3"]);
    assert_eq!(p.changes, ["tolerations + dedicated=infra:NoSchedule"]);
    assert!(update(&mut state, Action::InputSubmit).is_empty());
    let Mode::TypeName { write, .. } = &state.ui.mode else {
        panic!("asks for the name: {:?}", state.ui.mode);
    };
    let Write::Retarget {
        name,
        base,
        wanted,
        summary,
        ..
    } = write
    else {
        panic!("a targeting write: {write:?}");
    };
    assert_eq!(&**name, "logger");
    assert_eq!(*base, PlacementSpec::default());
    assert_eq!(wanted.tolerations, [tolerate]);
    assert!(
        summary.starts_with("tolerations + dedicated=infra:NoSchedule (+1 node(s) gain a pod"),
        "{summary}"
    );
    type_in(&mut state, "logger");
    let effects = update(&mut state, Action::InputSubmit);
    assert!(
        matches!(&effects[..], [Effect::Write(Write::Retarget { .. })]),
        "{effects:?}"
    );
}

#[test]
fn the_editor_refuses_what_the_api_server_would_and_keeps_the_edit() {
    let mut state = logger_on_tainted_n3();
    update(&mut state, Action::OpenTarget);
    assert_eq!(form(&state).values(), ["", "", ""]);
    type_in(&mut state, "tier=");
    assert!(
        form(&state).preview.is_ok(),
        "an empty value is a valid label value"
    );
    type_in(&mut state, "-bad");
    let problems = form(&state).preview.clone().expect_err("invalid");
    assert!(
        problems[0].starts_with("spec.template.spec.nodeSelector[tier]: label value"),
        "{problems:?}"
    );
    assert!(update(&mut state, Action::InputSubmit).is_empty());
    assert!(matches!(state.ui.mode, Mode::TargetForm(_)), "kept open");
    assert!(
        flash_text(&state)
            .1
            .starts_with("cannot apply: spec.template.spec.nodeSelector[tier]")
    );
    update(&mut state, Action::NextField);
    type_in(&mut state, "zone In [a");
    let problems = form(&state).preview.clone().expect_err("unclosed");
    assert!(
        problems.iter().any(|p| p.starts_with("node affinity:")),
        "{problems:?}"
    );
    // Nothing changed is nothing to apply.
    update(&mut state, Action::Cancel);
    update(&mut state, Action::OpenTarget);
    assert!(update(&mut state, Action::InputSubmit).is_empty());
    assert_eq!(
        flash_text(&state),
        (Level::Warn, "nothing changed: nothing to apply".into())
    );
}

#[test]
fn a_conflict_reopens_the_edit_carried_over_onto_their_change() {
    let mut state = listed(false);
    let base = PlacementSpec::default();
    let mut wanted = base.clone();
    wanted.tolerations.push(Toleration::exists("gpu", None));
    let mut current = base.clone();
    current.node_selector.insert("tier".into(), "logs".into());
    update(
        &mut state,
        Action::TargetConflict {
            namespace: Arc::from("kube-system"),
            name: Arc::from("logger"),
            theirs: vec!["nodeSelector + tier=logs".into()],
            current: current.clone(),
            base,
            wanted,
        },
    );
    let f = form(&state);
    assert_eq!(f.base, current, "the new base is what is there now");
    assert_eq!(f.values(), ["tier=logs", "", "gpu"]);
    let note = f.note.clone().expect("a note");
    assert!(
        note.contains("changed meanwhile by someone else (nodeSelector + tier=logs)"),
        "{note}"
    );
    assert_eq!(flash_text(&state).0, Level::Warn);
}

#[test]
fn readonly_opens_neither() {
    let mut state = listed(true);
    assert!(update(&mut state, Action::OpenTarget).is_empty());
    assert_eq!(state.ui.mode, Mode::Normal);
    update(&mut state, Action::OpenFixes);
    assert_eq!(state.ui.mode, Mode::Normal);
    assert_eq!(flash_text(&state).0, Level::Error);
}

/// `:nodes` with n2 and n3 marked (space marks and moves down).
fn nodes_n2_n3_marked(readonly: bool) -> State {
    let mut state = listed(readonly);
    update(&mut state, Action::Show(View::Nodes));
    update(&mut state, Action::Move(Motion::Down));
    update(&mut state, Action::ToggleMark);
    update(&mut state, Action::ToggleMark);
    let marked: Vec<&str> = state.ui.marked.iter().map(|n| &**n).collect();
    assert_eq!(marked, ["n2", "n3"]);
    state
}

#[test]
fn a_taint_typed_for_marked_nodes_previews_the_daemonsets_it_evicts_then_asks() {
    let mut state = nodes_n2_n3_marked(false);
    update(&mut state, Action::OpenNodeEdit);
    type_in(&mut state, "taint dedicated=infra:NoExecut");
    let Mode::NodeEdit(form) = &state.ui.mode else {
        panic!("the node edit: {:?}", state.ui.mode);
    };
    assert_eq!(
        form.nodes.iter().map(|n| &**n).collect::<Vec<_>>(),
        ["n2", "n3"]
    );
    let problems = form.preview.clone().expect_err("not an effect yet");
    assert!(problems[0].contains("node edit") && problems[0].contains("NoExecut"));
    // Enter on an edit that does not read keeps the form and says why.
    update(&mut state, Action::InputSubmit);
    assert!(matches!(state.ui.mode, Mode::NodeEdit(_)));
    type_in(&mut state, "e");
    let Mode::NodeEdit(form) = &state.ui.mode else {
        panic!("the node edit: {:?}", state.ui.mode);
    };
    let (_, deltas) = form.preview.clone().expect("a preview");
    // agent and web run on every node and tolerate nothing: both lose n2 and n3; logger,
    // owed a pod there it does not have, leaves them too (no longer missing).
    let moved: Vec<(&str, Vec<&str>, Vec<&str>)> = deltas
        .iter()
        .map(|d| {
            (
                d.daemon_set.rsplit('/').next().unwrap_or(""),
                d.gains.iter().map(|g| &*g.node).collect(),
                d.losses.iter().map(|g| &*g.node).collect(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        [
            ("web", vec![], vec!["n2", "n3"]),
            ("agent", vec![], vec!["n2", "n3"]),
            ("logger", vec![], vec!["n2", "n3"])
        ]
    );
    let logger = &deltas[2].losses[0].reason;
    assert!(logger.contains("no longer counted as missing"), "{logger}");
    update(&mut state, Action::InputSubmit);
    let Mode::Confirm(Write::EditNodes {
        nodes,
        edit,
        summary,
    }) = &state.ui.mode
    else {
        panic!("asks first: {:?}", state.ui.mode);
    };
    assert_eq!(nodes.iter().map(|n| &**n).collect::<Vec<_>>(), ["n2", "n3"]);
    assert_eq!(edit.to_string(), "taint dedicated=infra:NoExecute");
    assert!(summary.contains("agent loses 2") && summary.contains("web loses 2"));
    assert!(state.ui.marked.is_empty(), "the marks are used up");
}

#[test]
fn marks_cordon_together_and_esc_clears_them() {
    let mut state = nodes_n2_n3_marked(false);
    let action = update(
        &mut state,
        Action::EditMarked(herd_core::targeting::nodes::NodeEdit::Cordon(true)),
    );
    assert!(action.is_empty());
    let Mode::Confirm(Write::EditNodes { nodes, .. }) = &state.ui.mode else {
        panic!("asks first: {:?}", state.ui.mode);
    };
    assert_eq!(nodes.len(), 2);
    let mut state = nodes_n2_n3_marked(false);
    update(&mut state, Action::Back);
    assert!(state.ui.marked.is_empty());
    assert_eq!(
        state.ui.page().view,
        View::Nodes,
        "esc took the marks, not the view"
    );
    // Read-only: the form never opens.
    let mut state = nodes_n2_n3_marked(true);
    update(&mut state, Action::OpenNodeEdit);
    assert_eq!(state.ui.mode, Mode::Normal);
    assert!(flash_text(&state).1.contains("read-only"));
}

#[test]
fn an_open_node_edit_previews_the_fleet_as_it_changes_under_it() {
    let mut state = nodes_n2_n3_marked(false);
    update(&mut state, Action::OpenNodeEdit);
    type_in(&mut state, "taint maint=true:NoExecute");
    let agent_losses = |state: &State| -> Vec<String> {
        let Mode::NodeEdit(form) = &state.ui.mode else {
            panic!("the node edit: {:?}", state.ui.mode);
        };
        let (_, deltas) = form.preview.clone().expect("a preview");
        deltas
            .iter()
            .find(|d| d.daemon_set.ends_with("/agent"))
            .map(|d| d.losses.iter().map(|l| l.node.to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(agent_losses(&state), ["n2", "n3"]);
    // Someone taints n2 NoExecute meanwhile: agent's pod there goes anyway, so the edit no
    // longer takes it; the preview says so without a key being pressed.
    let mut n2 = state.fleet.node("n2").expect("n2").clone();
    n2.taints
        .push(Taint::new("dedicated", "infra", TaintEffect::NoExecute));
    feed(
        &mut state,
        Feed::Event(FleetEvent::Upsert(Record::Node(n2))),
    );
    derive(&mut state);
    assert_eq!(agent_losses(&state), ["n3"]);
}
