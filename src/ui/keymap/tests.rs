//! The key table: unambiguous in every view, documented, write-free under `--readonly`, and
//! the prompt and confirmation modes taking the keys they should.

use std::collections::HashSet;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::*;
use herd_app::action::{Action, Write};
use herd_app::state::Mode;
use herd_app::update::{derive, update};
use herd_app::view::YamlTarget;
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Relist};
use herd_core::model::testkit::{self, t};

/// Every view, with a DaemonSet and a node that exist in `fleet_state`.
fn views() -> Vec<View> {
    let uid: Arc<str> = Arc::from("uid-agent");
    vec![
        View::Fleet,
        View::DaemonSet {
            uid: Arc::clone(&uid),
        },
        View::Nodes,
        View::Node {
            name: Arc::from("n1"),
        },
        View::Hogs,
        View::Events {
            uid: Arc::clone(&uid),
        },
        View::History { uid },
        View::Yaml {
            target: YamlTarget::Node {
                name: Arc::from("n1"),
            },
        },
    ]
}

/// One node running one DaemonSet's pod, analysed, showing `view`.
fn fleet_state(readonly: bool, view: View) -> State {
    let mut state = State::new(Default::default(), readonly, t(60));
    let agent = testkit::ds("agent");
    let pod = testkit::pod(&agent, "n1", "agent-n1");
    let events = [
        FleetEvent::Relisted(Relist::Nodes(vec![testkit::node("n1")])),
        FleetEvent::Relisted(Relist::DaemonSets(vec![agent])),
        FleetEvent::Relisted(Relist::Pods(vec![pod])),
    ];
    for event in events {
        let feed = Feed::Event(event);
        update(&mut state, Action::Feed { epoch: 0, feed });
    }
    derive(&mut state);
    if view != View::Fleet {
        state.ui.stack.push(herd_app::view::Page::new(view));
        herd_app::rows::refresh(&mut state);
    }
    state
}

/// Does nothing but, at most, say on the flash line that the key does nothing here.
fn inert(action: Option<Action>) -> bool {
    matches!(action, None | Some(Action::Unbound(_)))
}

fn press(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn char_key(c: char) -> KeyEvent {
    press(KeyCode::Char(c))
}

#[test]
fn no_two_bindings_share_a_key_in_a_scope_or_in_a_view() {
    let mut groups: Vec<(String, Vec<&Binding>)> = [
        Scope::Global,
        Scope::DaemonSets,
        Scope::DaemonSet,
        Scope::Nodes,
        Scope::NodeList,
        Scope::History,
    ]
    .iter()
    .map(|s| {
        (
            format!("{s:?}"),
            BINDINGS.iter().filter(|b| b.scope == *s).collect(),
        )
    })
    .collect();
    groups.extend(views().into_iter().map(|v| {
        let live = scopes(&v);
        (
            format!("{v:?}"),
            BINDINGS
                .iter()
                .filter(|b| live.contains(&b.scope))
                .collect(),
        )
    }));
    for (name, bindings) in groups {
        let mut seen = HashSet::new();
        for b in bindings {
            for k in b.keys {
                assert!(
                    seen.insert((k.code, k.mods)),
                    "{name}: {:?} is bound twice",
                    k.code
                );
            }
        }
    }
}

#[test]
fn every_binding_has_keys_a_label_and_help() {
    for b in BINDINGS {
        assert!(!b.keys.is_empty(), "{} has no keys", b.label);
        assert!(
            !b.label.trim().is_empty(),
            "a binding for {:?} has no label",
            b.keys[0].code
        );
        assert!(!b.help.trim().is_empty(), "{} has no help text", b.label);
    }
}

#[test]
fn read_only_binds_nothing_that_writes_in_any_view() {
    let writes: Vec<&Binding> = BINDINGS.iter().filter(|b| b.writes).collect();
    assert!(writes.len() >= 3, "restart, cordon and uncordon are writes");
    for view in views() {
        let state = fleet_state(true, view.clone());
        assert!(
            active(&state).all(|b| !b.writes),
            "{view:?} has a write bound"
        );
        for b in &writes {
            for k in b.keys {
                let action = action_for(KeyEvent::new(k.code, k.mods), &state);
                assert!(
                    !matches!(action, Some(Action::Request(_))),
                    "{} on {view:?} asks for a write under --readonly",
                    b.label
                );
            }
        }
    }
}

#[test]
fn the_write_keys_do_ask_when_writes_are_allowed() {
    let state = fleet_state(false, View::Fleet);
    let action = action_for(char_key('r'), &state);
    let restart = Write::Restart {
        namespace: Arc::from(testkit::NS),
        name: Arc::from("agent"),
    };
    assert!(
        matches!(&action, Some(Action::Request(w)) if *w == restart),
        "{action:?}"
    );

    let state = fleet_state(
        false,
        View::Node {
            name: Arc::from("n1"),
        },
    );
    let action = action_for(char_key('c'), &state);
    let cordon = Write::Cordon {
        node: Arc::from("n1"),
        cordon: true,
    };
    assert!(
        matches!(&action, Some(Action::Request(w)) if *w == cordon),
        "{action:?}"
    );

    // `u` on the history screen: back to the revision under the cursor (the second line).
    let mut state = fleet_state(
        false,
        View::History {
            uid: Arc::from("uid-agent"),
        },
    );
    let lines = [
        "# revisions",
        "REVISION 2    agent-b",
        "REVISION 1    agent-a",
    ];
    update(
        &mut state,
        Action::Loaded {
            view: View::History {
                uid: Arc::from("uid-agent"),
            },
            result: Ok(lines.map(String::from).to_vec()),
        },
    );
    for _ in 0..2 {
        update(&mut state, Action::Move(herd_app::view::Motion::Down));
    }
    let action = action_for(char_key('u'), &state);
    let undo = Write::UndoTo {
        namespace: Arc::from(testkit::NS),
        name: Arc::from("agent"),
        revision: 1,
    };
    assert!(
        matches!(&action, Some(Action::Request(w)) if *w == undo),
        "{action:?}"
    );

    let state = fleet_state(true, View::Fleet);
    assert!(
        inert(action_for(char_key('r'), &state)),
        "r is simply unbound read-only"
    );
}

#[test]
fn typing_in_a_prompt_is_input_whatever_the_key_means_elsewhere() {
    let mut state = fleet_state(false, View::Fleet);
    for mode in [
        Mode::Filter {
            input: String::new(),
            before: String::new(),
            fallback: String::new(),
        },
        Mode::Command {
            input: String::new(),
        },
    ] {
        state.ui.mode = mode;
        for c in ['q', '?', 'j', 'r', 'G', ':', '/', ' '] {
            let action = action_for(char_key(c), &state);
            assert!(
                matches!(action, Some(Action::Input(x)) if x == c),
                "{c:?}: {action:?}"
            );
        }
        assert!(matches!(
            action_for(press(KeyCode::Enter), &state),
            Some(Action::InputSubmit)
        ));
        assert!(matches!(
            action_for(press(KeyCode::Esc), &state),
            Some(Action::Cancel)
        ));
        let back = action_for(press(KeyCode::Backspace), &state);
        assert!(matches!(back, Some(Action::InputBackspace)));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(action_for(ctrl_c, &state), Some(Action::Quit)));
    }
}

#[test]
fn a_confirmation_takes_y_and_everything_else_declines_or_is_ignored() {
    let mut state = fleet_state(false, View::Fleet);
    state.ui.mode = Mode::Confirm(Write::Cordon {
        node: Arc::from("n1"),
        cordon: true,
    });
    for c in ['y', 'Y'] {
        assert!(
            matches!(action_for(char_key(c), &state), Some(Action::Confirm)),
            "{c}"
        );
    }
    for key in [
        char_key('n'),
        char_key('N'),
        press(KeyCode::Esc),
        press(KeyCode::Enter),
    ] {
        assert!(
            matches!(action_for(key, &state), Some(Action::Cancel)),
            "{key:?}"
        );
    }
    assert!(inert(action_for(char_key('r'), &state)));
    assert!(
        inert(action_for(char_key('q'), &state)),
        "q does not quit past a question"
    );
}

#[test]
fn help_closes_on_its_own_keys_and_swallows_the_rest() {
    let mut state = fleet_state(false, View::Fleet);
    state.ui.mode = Mode::Help;
    for key in [char_key('?'), char_key('q'), press(KeyCode::Esc)] {
        assert!(
            matches!(action_for(key, &state), Some(Action::ToggleHelp)),
            "{key:?}"
        );
    }
    assert!(inert(action_for(char_key('j'), &state)));
}

#[test]
fn shifted_letters_work_with_or_without_the_shift_flag_and_releases_do_nothing() {
    let state = fleet_state(false, View::Fleet);
    let plain = action_for(char_key('G'), &state);
    let shifted = action_for(
        KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
        &state,
    );
    assert!(
        matches!(plain, Some(Action::Move(Motion::Bottom))),
        "{plain:?}"
    );
    assert!(
        matches!(shifted, Some(Action::Move(Motion::Bottom))),
        "{shifted:?}"
    );
    let mut release = char_key('q');
    release.kind = KeyEventKind::Release;
    assert!(action_for(release, &state).is_none());
}

#[test]
fn view_keys_apply_only_where_they_mean_something() {
    let fleet = fleet_state(false, View::Fleet);
    assert!(
        inert(action_for(char_key('m'), &fleet)),
        "no coverage map on the fleet"
    );
    assert!(
        inert(action_for(char_key('c'), &fleet)),
        "no node to cordon on the fleet"
    );
    let ds = fleet_state(false, views()[1].clone());
    assert!(matches!(
        action_for(char_key('m'), &ds),
        Some(Action::ToggleCoverageMap)
    ));
    // `e`: the events of the object in focus — the row's pod here, the DaemonSet on the
    // fleet, the node on the nodes list.
    let events = action_for(char_key('e'), &ds);
    assert!(
        matches!(
            &events,
            Some(Action::Show(View::ObjectEvents {
                target: YamlTarget::Pod { name, .. }
            })) if &**name == "agent-n1"
        ),
        "{events:?}"
    );
    assert!(matches!(
        action_for(char_key('e'), &fleet),
        Some(Action::Show(View::Events { .. }))
    ));
    let nodes = fleet_state(false, View::Nodes);
    assert!(matches!(
        action_for(char_key('e'), &nodes),
        Some(Action::Show(View::ObjectEvents {
            target: YamlTarget::Node { .. }
        }))
    ));
    // `l` and `p` on a pod's row: its log, or its previous run's.
    assert!(matches!(
        action_for(char_key('l'), &ds),
        Some(Action::OpenLogs)
    ));
    assert!(matches!(
        action_for(char_key('p'), &ds),
        Some(Action::OpenPreviousLogs)
    ));
    // `d` describes the same object `e` shows the events of.
    assert!(matches!(
        action_for(char_key('d'), &ds),
        Some(Action::Show(View::Describe {
            target: YamlTarget::Pod { .. }
        }))
    ));
    assert!(matches!(
        action_for(char_key('d'), &nodes),
        Some(Action::Show(View::Describe {
            target: YamlTarget::Node { .. }
        }))
    ));
    assert!(matches!(
        action_for(char_key('d'), &fleet),
        Some(Action::Show(View::Describe {
            target: YamlTarget::DaemonSet { .. }
        }))
    ));
}

#[test]
fn bang_opens_the_last_error_in_every_view_and_its_own_keys_close_it() {
    for view in views() {
        let state = fleet_state(false, view.clone());
        assert!(
            matches!(
                action_for(char_key('!'), &state),
                Some(Action::ToggleLastError)
            ),
            "! on {view:?}"
        );
    }
    let mut state = fleet_state(false, View::Fleet);
    state.ui.mode = Mode::LastError;
    for key in [char_key('!'), char_key('q'), press(KeyCode::Esc)] {
        assert!(
            matches!(action_for(key, &state), Some(Action::ToggleLastError)),
            "{key:?}"
        );
    }
    assert!(
        inert(action_for(char_key('r'), &state)),
        "nothing else acts"
    );
}

#[test]
fn the_namespace_list_moves_with_j_and_k_chooses_on_enter_and_leaves_on_esc() {
    let mut state = fleet_state(false, View::Fleet);
    state.ui.mode = Mode::PickNamespace {
        choices: vec![None, Some(Arc::from(testkit::NS))],
        cursor: 0,
    };
    let expect = [
        (char_key('j'), Some(Action::Move(Motion::Down))),
        (press(KeyCode::Down), Some(Action::Move(Motion::Down))),
        (char_key('k'), Some(Action::Move(Motion::Up))),
        (press(KeyCode::Enter), Some(Action::InputSubmit)),
        (press(KeyCode::Esc), Some(Action::Cancel)),
        (char_key('r'), None),
    ];
    for (key, want) in expect {
        let got = action_for(key, &state);
        assert_eq!(format!("{got:?}"), format!("{want:?}"), "{key:?}");
    }
}

#[test]
fn a_k9s_reflex_herd_does_not_bind_says_so_with_the_keys_that_work() {
    let state = fleet_state(false, View::Fleet);
    let hint = |event: KeyEvent| match action_for(event, &state) {
        Some(Action::Unbound(text)) => text,
        other => panic!("a hint for {event:?}, got {other:?}"),
    };
    assert_eq!(
        hint(char_key('l')),
        "l logs: not on this screen · enter open · d describe · e events · y yaml · ? help"
    );
    assert!(hint(char_key('x')).starts_with("x (decode in k9s): not in herd yet"));
    let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert!(
        hint(ctrl_d).starts_with("ctrl-d delete: not on this screen"),
        "{}",
        hint(ctrl_d)
    );
    let ctrl_k = KeyEvent::new(KeyCode::Char('k'), KeyModifiers::CONTROL);
    assert!(hint(ctrl_k).starts_with("ctrl-k (kill in k9s): not in herd yet"));
    assert!(hint(char_key('z')).starts_with("z: not bound here · enter open"));
    // A herd key of another screen, and a write under --readonly, say which they are.
    assert!(hint(char_key('m')).starts_with("m map: not on this screen"));
    let readonly = fleet_state(true, View::Fleet);
    match action_for(char_key('r'), &readonly) {
        Some(Action::Unbound(text)) => {
            assert!(text.starts_with("r restart: read-only session"), "{text}")
        }
        other => panic!("{other:?}"),
    }
    // On the nodes screen the offer is what works there.
    let nodes = fleet_state(false, View::Nodes);
    match action_for(char_key('l'), &nodes) {
        Some(Action::Unbound(text)) => {
            assert!(
                text.ends_with("enter open · d describe · e events · y yaml · ? help"),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
    // Bound keys, and keys that are not letters, are not hints.
    assert!(!matches!(
        action_for(char_key('e'), &state),
        Some(Action::Unbound(_))
    ));
    assert!(action_for(press(KeyCode::F(5)), &state).is_none());
}

#[test]
fn ctrl_d_on_a_pod_row_asks_to_delete_that_pod_and_is_unbound_read_only() {
    let view = View::DaemonSet {
        uid: Arc::from("uid-agent"),
    };
    let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
    let state = fleet_state(false, view.clone());
    match action_for(ctrl_d, &state) {
        Some(Action::Request(write @ Write::DeletePod { .. })) => {
            let Write::DeletePod {
                name, uid, owner, ..
            } = &write
            else {
                unreachable!()
            };
            assert_eq!((&**name, &**uid), ("agent-n1", "uid-agent-n1"));
            assert_eq!(owner.as_deref(), Some("kube-system/agent"));
            assert!(
                write
                    .describe()
                    .contains("DaemonSet kube-system/agent creates a new one on its node"),
                "{}",
                write.describe()
            );
            assert_eq!(write.fleet_wide(), None, "one pod: y/n, not the name");
        }
        other => panic!("{other:?}"),
    }
    let readonly = fleet_state(true, view);
    assert!(inert(action_for(ctrl_d, &readonly)));
}
