//! A pod from the keyboard: `l` on node-problem-detector's crash-looping pod shows its previous
//! run's last words, `p` the current run, `s` saves a private copy, `d` describes it; `ctrl-d` asks first, says
//! the DaemonSet recreates it, and after `y` a new pod takes its place; audited.

use super::{audit_log, herd_on_the_demo, quit_and_check_restored};
use crate::tmux::require_tmux;

/// The restarts of the pod on general-01's row of a DaemonSet's node table (the column after
/// the revision).
fn restarts_on_general_01(screen: &str) -> Option<u32> {
    let line = screen
        .lines()
        .find(|l| l.starts_with('│') && l.contains("general-01"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let rev = words.iter().position(|w| *w == "new" || *w == "old")?;
    words.get(rev + 1)?.parse().ok()
}

/// The pod the delete question names.
fn asked_about(screen: &str) -> Option<String> {
    let (_, rest) = screen.split_once("delete pod kube-system/")?;
    Some(rest.split(':').next()?.trim().to_string())
}

/// herd on the demo, on node-problem-detector's page with the crash-looping pod on general-01
/// first (the worst verdict on top), under the cursor.
fn on_the_crash_loop(state: &std::path::Path) -> crate::tmux::Pane {
    let pane = herd_on_the_demo(state, &[]);
    pane.type_text("/node-problem");
    pane.press("Enter");
    pane.press("Enter");
    pane.wait_for(
        "node-problem-detector's view, general-01 first, crash-looping",
        |s| {
            s.contains("kube-system/node-problem-detector")
                && s.lines()
                    .find(|l| l.starts_with('│') && l.contains("node-problem-detect"))
                    .is_some_and(|l| l.contains("general-01"))
                && restarts_on_general_01(s).is_some_and(|r| r >= 5)
        },
    );
    pane
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn ctrl_d_deletes_the_pod_of_the_row_after_asking_and_the_daemonset_replaces_it() {
    require_tmux();
    let state = tempfile::tempdir().expect("state dir");
    let pane = on_the_crash_loop(state.path());
    pane.press("C-d");
    let screen = pane.wait_for("the question", |s| {
        asked_about(s).is_some() && s.contains("creates a new one on its node")
    });
    let before = asked_about(&screen).expect("the pod asked about");
    pane.type_text("y");
    // The replacement starts over: its restarts count from nothing.
    pane.wait_for("a new pod on general-01", |s| {
        restarts_on_general_01(s).is_some_and(|r| r < 3)
    });
    let audit = audit_log(state.path());
    assert!(
        audit
            .lines()
            .any(|l| l.contains("PodDeleted") && l.contains(&before)),
        "{audit}"
    );
    quit_and_check_restored(&pane);
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn l_shows_a_crash_loops_last_words_p_the_current_run_and_s_saves_a_private_copy() {
    use std::os::unix::fs::PermissionsExt;
    require_tmux();
    let state = tempfile::tempdir().expect("state dir");
    let pane = on_the_crash_loop(state.path());
    pane.type_text("l");
    let screen = pane.wait_for("the previous run's log, ending in its fatal error", |s| {
        s.contains("previous run") && s.contains("cannot start: required plugin failed to load")
    });
    assert!(
        screen.contains("crash loop: the previous run's log"),
        "{screen}"
    );
    pane.type_text("p");
    pane.wait_for("the current run", |s| {
        s.contains("[node-problem-detector] following")
    });
    pane.type_text("s");
    let saved = state.path().join("herd").join("logs");
    let screen = pane.wait_for("the log saved", |s| s.contains("done: save the log of"));
    let files: Vec<_> = std::fs::read_dir(&saved)
        .unwrap_or_else(|e| panic!("{}: {e}\n{screen}", saved.display()))
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0])
        .expect("saved")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&files[0]).expect("saved");
    assert!(text.contains("Starting node-problem-detector"), "{text}");
    // `d` on the same row: the pod as kubectl describe reads it, the last exit and its code.
    pane.press("Escape");
    pane.type_text("d");
    pane.wait_for("the pod described", |s| {
        s.contains("Last State:   Terminated")
            && s.contains("Exit Code:  1")
            && s.contains("Reason:     CrashLoopBackOff")
    });
    pane.press("Escape");
    quit_and_check_restored(&pane);
}
