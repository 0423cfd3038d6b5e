//! Staging from the keyboard: an edit that gives csi-rbdplugin the 34 nodes outside its
//! storage pool is staged from the editor, the DaemonSet page says how far it is, and
//! `:stage rollback` puts the nodeSelector back and lifts every hold; each step audited.

use super::{assert_audited_by_tui, herd_on_the_demo, quit_and_check_restored};
use crate::tmux::require_tmux;

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn a_targeting_edit_staged_from_the_editor_shows_its_progress_and_rolls_back() {
    require_tmux();
    let state = tempfile::tempdir().expect("state dir");
    let pane = herd_on_the_demo(state.path(), &[]);
    pane.type_text("/csi");
    pane.press("Enter");
    pane.press("Enter");
    pane.wait_for("csi-rbdplugin's DaemonSet view", |s| {
        s.contains("storage/csi-rbdplugin") && s.contains("rollout 6/6")
    });
    pane.type_text("T");
    pane.wait_for("the editor", |s| {
        s.contains("node targeting of storage/csi-rbdplugin")
    });
    for _ in 0.."node-role.herd.dev/storage=true".len() {
        pane.press("BSpace");
    }
    pane.wait_for("the preview: every other node gains it", |s| {
        s.contains("+34 node(s) gain a pod, −0 lose one, 6 keep it")
    });
    pane.press("Enter");
    pane.wait_for("staging offered", |s| {
        s.contains("stage the targeting edit of storage/csi-rbdplugin?")
            && s.contains("esc back to the editor")
    });
    pane.press("Enter");
    pane.wait_for("the name asked for", |s| {
        s.contains("type csi-rbdplugin to go on")
    });
    pane.type_text("csi-rbdplugin");
    pane.press("Enter");
    // The edit's template change first replaces the 6 running pods one at a time, on the
    // demo's real-time clock, and a batch goes out only once they are all Available.
    let rollout = std::time::Duration::from_secs(120);
    let screen = pane.wait_for_within(rollout, "the staging under way, a batch out", |s| {
        s.contains("▶ staged targeting edit: Progressing")
            && s.contains("affinity stage.herd.dev/storage.csi-rbdplugin DoesNotExist")
            && !s.contains("· 0 of 9 batch(es) released")
    });
    assert!(screen.contains("node selector: none"), "{screen}");

    pane.type_text(":stage rollback");
    pane.press("Enter");
    pane.wait_for("the rollback asks for the name", |s| {
        s.contains("roll back the staged edit of storage/csi-rbdplugin")
    });
    pane.type_text("csi-rbdplugin");
    pane.press("Enter");
    pane.wait_for("the nodeSelector back, the banner gone", |s| {
        s.contains("node selector: node-role.herd.dev/storage=true")
            && s.contains("affinity none")
            && !s.contains("staged targeting edit")
    });
    // This herd carried the staging until then: it says how it ended, and quits unasked.
    pane.wait_for("the staging ended", |s| {
        s.contains("staging of storage/csi-rbdplugin: RolledBack")
    });
    assert_audited_by_tui(
        state.path(),
        &[
            "StageStarted",
            "Retargeted",
            "StageReleased",
            "StageRolledBack",
        ],
    );
    quit_and_check_restored(&pane);
}
