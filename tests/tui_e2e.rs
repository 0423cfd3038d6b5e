//! The real `herd` binary in a real pseudo-terminal (tmux) on its in-process demo simulator:
//! keys typed as a user types them, the screen read back, and the terminal checked after exit.
//! Skipped with a notice when tmux is not on PATH.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "tui_e2e/tmux.rs"]
mod tmux;

#[path = "tui_e2e/pods.rs"]
mod pods;

#[path = "tui_e2e/staging.rs"]
mod staging;

use tmux::{Pane, assert_restored, herd, require_tmux};

const DAEMON_SETS: [&str; 9] = [
    "cilium",
    "csi-rbdplugin",
    "falco",
    "fluent-bit",
    "kube-proxy",
    "node-exporter",
    "node-problem-detector",
    "nvidia-device-plugin",
    "otel-agent",
];

/// Rows of the fleet table that name a DaemonSet, in screen order.
fn listed(screen: &str) -> Vec<&'static str> {
    screen
        .lines()
        .filter_map(|line| {
            let mut cells = line.trim_start_matches('│').split_whitespace();
            let _namespace = cells.next()?;
            let name = cells.next()?;
            DAEMON_SETS.iter().find(|ds| **ds == name).copied()
        })
        .collect()
}

fn all_listed(screen: &str) -> bool {
    listed(screen).len() == DAEMON_SETS.len()
}

/// Every DaemonSet on screen and every feed listed (DaemonSets can arrive before the nodes and
/// pods that give them their figures).
fn synced(screen: &str) -> bool {
    all_listed(screen) && screen.contains("● live")
}

/// The coverage map's cells (status glyphs between its title and its legend) and the node
/// count its title claims.
fn map_cells(screen: &str) -> (usize, usize) {
    let mut lines = screen
        .lines()
        .skip_while(|l| !l.contains("coverage map · "));
    let title = lines.next().unwrap_or_default();
    let claimed = title
        .split(" · ")
        .find_map(|part| {
            let part = part.strip_suffix(" by pool").unwrap_or(part);
            part.strip_suffix(" nodes")?.trim().parse().ok()
        })
        .unwrap_or(0);
    let cells = lines
        // Cell lines start with their pool's name; the legend line follows them.
        .take_while(|l| !l.contains(" healthy "))
        .flat_map(|l| l.chars())
        .filter(|c| "✗○⊗◌↯↻●·".contains(*c))
        .count();
    (claimed, cells)
}

/// Presses `q` and checks the way out: exit status 0, the normal screen back with the
/// script's output on it and not herd's frame, the cursor shown, the tty in cooked mode.
/// `herd --sim` in a fresh pane, its state (the audit log) under `state`, with `env` before it
/// (`NAME=value`, `-u NAME`), once every demo DaemonSet is listed and the feeds are live.
fn herd_on_the_demo(state: &std::path::Path, env: &[&str]) -> Pane {
    let xdg = format!("XDG_STATE_HOME={}", state.display());
    let herd = herd();
    let herd = herd.to_str().expect("utf-8 path");
    let args: Vec<&str> = env
        .iter()
        .copied()
        .chain([xdg.as_str(), herd, "--sim"])
        .collect();
    let pane = Pane::run(std::path::Path::new("env"), &args);
    pane.wait_for("every demo DaemonSet listed, all feeds live", synced);
    pane
}

/// The audit log a `herd_on_the_demo` wrote.
fn audit_log(state: &std::path::Path) -> String {
    std::fs::read_to_string(state.join("herd").join("audit.jsonl")).expect("the audit log")
}

/// Each of `reasons` is in the audit log, written by the TUI.
fn assert_audited_by_tui(state: &std::path::Path, reasons: &[&str]) {
    let audit = audit_log(state);
    for reason in reasons {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(reason) && l.contains("\"herd tui\"")),
            "{reason} in:\n{audit}"
        );
    }
}

fn quit_and_check_restored(pane: &Pane) {
    assert_eq!(
        pane.format("#{alternate_on}"),
        "1",
        "herd runs on the alternate screen"
    );
    pane.type_text("q");
    let status = pane.wait_for_exit();
    let screen = pane.transcript();
    assert_eq!(status, 0, "herd exited with {status}:\n{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !screen.contains(" herd  ctx"),
        "herd's header is still on the screen after exit:\n{screen}"
    );
    assert_restored(&screen);
}

/// The help box's lines, once it is drawn down to its bottom border (a screen read can catch
/// a frame half written).
fn help_box(screen: &str) -> Option<Vec<String>> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let top = lines
        .iter()
        .position(|l| String::from_iter(l.iter()).contains("┌ help (esc closes)"))?;
    let column = lines[top].iter().position(|c| *c == '┌')?;
    let bottom = (top + 1..lines.len()).find(|&i| lines[i].get(column) == Some(&'└'))?;
    Some(
        lines[top + 1..bottom]
            .iter()
            .map(|l| String::from_iter(l.iter().skip(column + 1)))
            .collect(),
    )
}

fn help_lists(screen: &str, text: &str) -> bool {
    help_box(screen).is_some_and(|lines| lines.iter().any(|l| l.contains(text)))
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn a_user_navigates_maps_filters_switches_theme_and_quits_to_a_restored_terminal() {
    require_tmux();
    // Every wait below checks the whole of what the step should show, so a half-drawn frame
    // is waited past, never asserted on.
    let pane = Pane::run(&herd(), &["--sim"]);
    let screen = pane.wait_for("every demo DaemonSet listed, all feeds live", |s| {
        synced(s) && s.contains("ctx herd-sim")
    });

    // Down past falco and back up one: the cursor starts on the first row.
    let falco = listed(&screen)
        .iter()
        .position(|ds| *ds == "falco")
        .expect("falco row");
    pane.type_text(&"j".repeat(falco + 1));
    pane.type_text("k");
    pane.press("Enter");
    pane.wait_for("falco's DaemonSet view", |s| {
        s.contains("falco/falco") && s.contains("rollout 33/33")
    });

    pane.type_text("m");
    pane.wait_for(
        "falco's coverage map: a cell per node, and the legend",
        |s| {
            let (claimed, cells) = map_cells(s);
            s.contains("1 cell = 1 node")
                && ["● healthy", "↯ node-down", "⊗ taint-blocked"]
                    .iter()
                    .all(|legend| s.contains(legend))
                && claimed > 0
                && cells == claimed
        },
    );

    pane.press("Escape");
    pane.wait_for("the fleet again", |s| {
        all_listed(s) && !s.contains("falco/falco")
    });

    pane.type_text("/fluent");
    pane.press("Enter");
    // The prompt (its `▏` cursor) gone: `enter` was handled, not just the typing.
    pane.wait_for("only fluent-bit listed under the filter", |s| {
        s.contains("</fluent>") && !s.contains('▏') && listed(s) == ["fluent-bit"]
    });
    pane.press("Escape");
    pane.wait_for("the filter cleared", |s| {
        all_listed(s) && !s.contains("</fluent>")
    });

    pane.type_text(":nodes");
    pane.press("Enter");
    pane.wait_for("the nodes view", |s| {
        s.contains("nodes[")
            && s.contains("POOL")
            && s.contains("general-01")
            && s.contains("gpu-01")
    });

    let dark = pane.styled_screen();
    pane.type_text(":theme light");
    pane.press("Enter");
    // The notice, not the command line being typed; the header is drawn before the footer.
    pane.wait_for("the theme notice", |s| s.contains("• theme light"));
    let light = pane.styled_screen();
    let first = |s: &str| s.lines().next().unwrap_or_default().to_string();
    assert_ne!(
        first(&dark),
        first(&light),
        "the header kept its dark-theme colours"
    );

    pane.type_text(":ds");
    pane.press("Enter");
    pane.wait_for("the fleet", all_listed);
    pane.type_text("?");
    pane.wait_for("the help, with quit and restart", |s| {
        help_lists(s, "q ctrl-c  quit") && help_lists(s, "restart: the DaemonSet")
    });
    pane.press("Escape");
    pane.wait_for("the help closed", |s| !s.contains("help (esc closes)"));

    // A write asks first, and `esc` declines.
    pane.type_text("r");
    pane.wait_for("the restart confirmation", |s| {
        s.contains("change the cluster?")
    });
    pane.press("Escape");
    pane.wait_for("the confirmation gone", |s| {
        !s.contains("change the cluster?")
    });

    quit_and_check_restored(&pane);
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn read_only_shows_the_badge_and_r_asks_nothing() {
    require_tmux();
    let pane = Pane::run(&herd(), &["--sim", "--readonly"]);
    pane.wait_for(
        "every demo DaemonSet listed, all feeds live, the badge",
        |s| synced(s) && s.contains("READ-ONLY"),
    );
    pane.type_text("r");
    // Keys are handled in order: once the help is up, `r` has been handled. (Had `r` opened
    // a confirmation, it would take the `?` and the help would never come.)
    pane.type_text("?");
    let screen = pane.wait_for("the help, down to its DaemonSet keys", |s| {
        help_lists(s, "history: revisions and their diff")
    });
    assert!(!screen.contains("change the cluster?"), "{screen}");
    assert!(
        !help_lists(&screen, "restart: the DaemonSet"),
        "the help offers a write:\n{screen}"
    );
    pane.press("Escape");
    pane.wait_for("the help closed", |s| !s.contains("help (esc closes)"));
    quit_and_check_restored(&pane);
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn a_missing_kubeconfig_is_a_one_line_error_and_the_terminal_stays_usable() {
    require_tmux();
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-kubeconfig");
    let missing = missing.to_str().expect("UTF-8 path");
    let pane = Pane::run(&herd(), &["--kubeconfig", missing]);
    let status = pane.wait_for_exit();
    let screen = pane.transcript();
    assert_ne!(status, 0, "herd exited 0 without a cluster:\n{screen}");
    let said: Vec<&str> = screen
        .lines()
        .take_while(|l| !l.starts_with("EXIT="))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(said.len(), 1, "want one line of error:\n{screen}");
    assert!(
        said[0].contains(missing),
        "the error does not name the file:\n{screen}"
    );
    assert_restored(&screen);
}

/// The `herd-sim-*` directories in `dir`.
fn sim_dirs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("read TMPDIR")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("herd-sim-"))
        })
        .collect()
}

/// The herd process whose environment holds `entry` (its own TMPDIR), found in /proc.
fn herd_pid_with(entry: &str) -> String {
    let herd = herd();
    let found = std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .find(|e| {
            let exe = std::fs::read_link(e.path().join("exe")).ok();
            let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
            exe.as_deref() == Some(herd.as_path())
                && environ.split(|b| *b == 0).any(|v| v == entry.as_bytes())
        });
    found
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .expect("the herd process")
}

/// Ends herd with SIGTERM, as a closed session or `kill` would: it exits as `q` does.
fn terminate_and_check_restored(pane: &Pane, env_entry: &str) {
    let pid = herd_pid_with(env_entry);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "kill -TERM {pid}");
    let status = pane.wait_for_exit();
    let screen = pane.transcript();
    assert_eq!(status, 0, "herd exited with {status} on SIGTERM:\n{screen}");
    assert_restored(&screen);
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn each_sim_run_gets_a_fresh_private_kubeconfig_directory_removed_at_exit() {
    use std::os::unix::fs::MetadataExt;
    require_tmux();
    // herd's own temp directory, so its directory is the only one there.
    let tmp = tempfile::tempdir().expect("temp dir");
    let me = std::fs::metadata(tmp.path()).expect("metadata").uid();
    let tmpdir = format!("TMPDIR={}", tmp.path().to_str().expect("UTF-8 path"));
    let mut seen = Vec::new();
    for run in 0..2 {
        assert!(
            std::fs::read_dir(tmp.path())
                .expect("read TMPDIR")
                .next()
                .is_none(),
            "run {run}: TMPDIR is not empty before herd starts"
        );
        let pane = Pane::run(
            std::path::Path::new("env"),
            &[&tmpdir, path_of(&herd()), "--sim"],
        );
        pane.wait_for("the demo fleet", |s| {
            synced(s) && s.contains("ctx herd-sim")
        });
        let dirs = sim_dirs(tmp.path());
        assert_eq!(
            dirs.len(),
            1,
            "run {run}: want one herd-sim-* directory: {dirs:?}"
        );
        let dir = dirs[0].clone();
        let meta = std::fs::symlink_metadata(&dir).expect("metadata");
        assert!(meta.is_dir(), "{}", dir.display());
        assert_eq!(meta.mode() & 0o7777, 0o700, "{}", dir.display());
        assert_eq!(meta.uid(), me, "{}", dir.display());
        let kubeconfig = std::fs::metadata(dir.join("kubeconfig")).expect("its kubeconfig");
        assert_eq!(kubeconfig.mode() & 0o7777, 0o600);
        assert!(!seen.contains(&dir), "run {run} reused {}", dir.display());
        seen.push(dir.clone());

        // The first run ends with `q`, the second with SIGTERM: both clean up.
        if run == 0 {
            quit_and_check_restored(&pane);
        } else {
            terminate_and_check_restored(&pane, &tmpdir);
        }
        assert!(
            !dir.exists(),
            "run {run}: {} left after exit",
            dir.display()
        );
    }
}

fn path_of(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn a_canary_rollout_started_from_the_keyboard_pauses_after_its_canary_and_finishes_on_resume() {
    require_tmux();
    // The audit log goes to a directory of the test's, not the tester's home.
    let state = tempfile::tempdir().expect("state dir");
    let pane = herd_on_the_demo(state.path(), &[]);
    pane.type_text("/fluent-bit");
    pane.press("Enter");
    pane.press("Enter");
    pane.wait_for("fluent-bit's DaemonSet view", |s| {
        s.contains("logging/fluent-bit") && s.contains("rollout 40/40")
    });

    pane.type_text("R");
    pane.wait_for("the rollout dialog with its plan", |s| {
        s.contains("managed rollout of logging/fluent-bit") && s.contains("plan: 39 nodes")
    });
    // The image's tag 3.2.4 becomes 3.3; half the nodes at once; two canaries, then a pause.
    for _ in 0.."3.2.4".len() {
        pane.press("BSpace");
    }
    pane.type_text("3.3");
    pane.press("Tab");
    for _ in 0.."10%".len() {
        pane.press("BSpace");
    }
    pane.type_text("50%");
    pane.press("Tab");
    pane.type_text("2");
    pane.press("Tab");
    pane.type_text("canary");
    let screen = pane.wait_for("the plan: the canary alone, then a pause", |s| {
        s.contains("1. 2 node(s): general-01, general-02") && s.contains("pauses after canary")
    });
    assert!(
        screen.contains("nodes down, skipped (and counted in the budget): general-07"),
        "{screen}"
    );
    pane.press("Enter");
    pane.wait_for("the name asked for", |s| {
        s.contains("type fluent-bit to go on")
    });
    pane.type_text("fluent-bit");
    pane.press("Enter");
    pane.wait_for("the canary done and the rollout paused", |s| {
        s.contains("‖ managed rollout to revision 2: Paused after canary")
    });

    pane.type_text("R");
    // Where it stands: the canaries on the new revision, what holds it, and how many nodes
    // took the new template while it was paused (none: nothing was evicted or joined).
    let said = [
        "2/39 nodes on the new revision, Available",
        "held: Paused after canary: resume to go on",
        "‖ 0 node(s) took the new template while paused",
    ];
    // Waits for all of it: tmux may be read while the controls are half drawn.
    let screen = pane.wait_for("the rollout's controls", |s| {
        s.contains("r resume") && said.iter().all(|line| s.contains(line))
    });
    for said in said {
        assert!(screen.contains(said), "{said} in:\n{screen}");
    }
    pane.type_text("r");
    pane.wait_for("resume asks first", |s| s.contains("change the cluster?"));
    pane.type_text("y");
    // This herd now carries the rollout out: quitting asks first, and `n` stays.
    pane.type_text("q");
    pane.wait_for("quitting asks while a rollout is in hand", |s| {
        s.contains("quit with a rollout in hand?")
            && s.contains("This herd carries out the rollout of logging/fluent-bit")
    });
    pane.type_text("n");
    let screen = pane.wait_for("the rollout complete", |s| {
        s.contains("rollout of logging/fluent-bit: Complete")
    });
    assert!(
        !screen.contains("managed rollout to revision"),
        "no banner: {screen}"
    );
    pane.wait_for("the strategy put back", |s| {
        s.contains("strategy RollingUpdate") && s.contains("revision 2")
    });

    assert_audited_by_tui(
        state.path(),
        &[
            "RolloutStarted",
            "RolloutPaused",
            "RolloutResumed",
            "RolloutComplete",
        ],
    );
    quit_and_check_restored(&pane);
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn a_quick_fix_from_a_coverage_row_gives_falco_the_six_gpu_nodes() {
    require_tmux();
    let state = tempfile::tempdir().expect("state dir");
    let pane = herd_on_the_demo(state.path(), &[]);
    pane.type_text("/falco");
    pane.press("Enter");
    pane.press("Enter");
    pane.wait_for("falco's DaemonSet view, the GPU nodes first", |s| {
        s.contains("falco/falco") && s.contains("⊗ 6 taint-blocked") && s.contains("gpu-01")
    });
    // The cursor is on gpu-01, kept off by the GPU taint.
    pane.type_text("f");
    pane.wait_for("the fix the taint suggests", |s| {
        s.contains("fix coverage on gpu-01")
            && s.contains("tolerate nvidia.com/gpu=present:NoSchedule")
    });
    pane.press("Enter");
    // Waits for the preview's last node line: tmux may be read while a frame is half drawn.
    let screen = pane.wait_for("the editor with the toleration and its preview", |s| {
        s.contains("node targeting of falco/falco")
            && s.contains("+6 node(s) gain a pod, −1 lose one, 33 keep it")
            && s.contains("− general-07")
    });
    for gpu in 1..=6 {
        assert!(
            screen.contains(&format!("+ gpu-0{gpu}")),
            "gpu-0{gpu} in:\n{screen}"
        );
    }
    assert!(screen.contains("− general-07"), "{screen}");
    pane.press("Enter");
    pane.wait_for("the name asked for", |s| s.contains("type falco to go on"));
    pane.type_text("falco");
    pane.press("Enter");
    // The controller gives the GPU nodes their pods at once (it rolls the rest one node at a
    // time after): 39 desired, none kept off by the taint.
    pane.wait_for(
        "falco desired on every Ready node, the GPU nodes included",
        |s| s.contains("revision 2") && s.contains("/39") && !s.contains("taint-blocked"),
    );
    let audit = audit_log(state.path());
    assert!(
        audit
            .lines()
            .any(|l| l.contains("Retargeted") && l.contains("\"herd tui\"")),
        "{audit}"
    );
    quit_and_check_restored(&pane);
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn e_edits_the_targeting_as_yaml_in_the_editor_and_reopens_it_with_the_error() {
    require_tmux();
    let state = tempfile::tempdir().expect("state dir");
    // The "editor": the first time it adds a GPU toleration with a misspelt effect; shown the
    // file again with the problem on top, it keeps a copy and corrects the effect.
    let editor = state.path().join("editor.sh");
    let second = state.path().join("second-round.yaml");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\n\
             if grep -q '^# The edit was not used' \"$1\"; then\n\
               cp \"$1\" '{}'\n\
               sed -i 's/effect: NoSchedul$/effect: NoSchedule/' \"$1\"\n\
             else\n\
               printf -- '- key: nvidia.com/gpu\\n  operator: Exists\\n  effect: NoSchedul\\n' >> \"$1\"\n\
             fi\n",
            second.display()
        ),
    )
    .expect("editor script");
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o700);
    std::fs::set_permissions(&editor, executable).expect("chmod the script");
    let editor_var = format!("EDITOR={}", editor.display());
    let pane = herd_on_the_demo(state.path(), &["-u", "KUBE_EDITOR", &editor_var]);
    pane.type_text("/falco");
    pane.press("Enter");
    pane.type_text("E");
    let screen = pane.wait_for("the saved document in the editor's preview", |s| {
        s.contains("from $EDITOR: review the preview")
            && s.contains("+6 node(s) gain a pod, −1 lose one, 33 keep it")
            && s.contains("→ complete")
    });
    assert!(
        screen.contains("nvidia.com/gpu:NoSchedule"),
        "the toleration as saved:\n{screen}"
    );
    let shown = std::fs::read_to_string(&second).expect("the editor saw the file twice");
    assert!(
        shown.contains(
            "#   tolerations[1].effect: unknown effect \"NoSchedul\" (NoSchedule, PreferNoSchedule or NoExecute)"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("key: node-role.kubernetes.io/control-plane"),
        "{shown}"
    );
    pane.press("Enter");
    pane.wait_for("the name asked for", |s| s.contains("type falco to go on"));
    pane.type_text("falco");
    pane.press("Enter");
    pane.press("Enter");
    pane.wait_for(
        "falco desired on every Ready node, the GPU nodes included",
        |s| s.contains("revision 2") && s.contains("/39") && !s.contains("taint-blocked"),
    );
    quit_and_check_restored(&pane);
}

#[test]
#[cfg_attr(herd_no_tmux, ignore = "tmux is not on PATH")]
fn a_noexecute_taint_on_two_marked_nodes_evicts_the_daemons_the_preview_named() {
    require_tmux();
    let state = tempfile::tempdir().expect("state dir");
    let pane = herd_on_the_demo(state.path(), &[]);
    pane.type_text(":nodes");
    pane.press("Enter");
    pane.type_text("/general-0");
    pane.press("Enter");
    pane.type_text("  ");
    pane.wait_for("general-01 and general-02 marked", |s| {
        s.contains("◆ 2 marked") && s.contains("◆ general-01") && s.contains("◆ general-02")
    });
    pane.type_text("t");
    pane.wait_for("the node edit", |s| s.contains("edit 2 marked nodes"));
    pane.type_text("taint maint=true:NoExecute");
    // Waits for both losses: tmux may be read while a frame is half drawn.
    let screen = pane.wait_for("the DaemonSets the taint evicts", |s| {
        s.contains("edit 2 marked nodes")
            && s.contains("kube-system/node-problem-detector")
            && s.matches("− loses 2: general-01, general-02").count() == 2
    });
    assert!(
        screen.contains("− loses 2: general-01, general-02 — untolerated taint"),
        "{screen}"
    );
    assert!(screen.contains("falco/falco"), "{screen}");
    assert!(
        !screen.contains("fluent-bit"),
        "fluent-bit tolerates every taint:\n{screen}"
    );
    pane.press("Enter");
    pane.wait_for("asked first", |s| s.contains("change the cluster?"));
    pane.type_text("y");
    // falco and node-problem-detector leave both nodes: 7 daemons run on each, 5 after.
    pane.wait_for("two daemons gone from each node, counted as gaps", |s| {
        let row = |name: &str| {
            s.lines()
                .find(|l| l.contains(name))
                .unwrap_or("")
                .to_string()
        };
        [row("general-01"), row("general-02")]
            .iter()
            .all(|r| r.contains("general   5    2!"))
    });
    // The cursor moved down with each mark: back up to general-01, and open it.
    pane.type_text("kk");
    pane.press("Enter");
    // Waits for the rows too: tmux may be read while the page is half drawn over the list.
    let screen = pane.wait_for("general-01's page", |s| {
        s.contains("taints: maint=true:NoExecute")
            && ["falco", "node-problem-detector"].iter().all(|evicted| {
                s.lines()
                    .any(|l| l.contains(&format!(" {evicted} ")) && l.contains("taint-blocked"))
            })
    });
    for evicted in ["falco", "node-problem-detector"] {
        let row = screen
            .lines()
            .find(|l| l.contains(&format!(" {evicted} ")))
            .unwrap_or_default();
        assert!(
            row.contains("taint-blocked") && row.contains("untolerated taint maint=true:NoExecute"),
            "{evicted}: {row}\n{screen}"
        );
    }
    let audit = audit_log(state.path());
    assert!(
        audit.lines().any(|l| l.contains("NodesEdited")
            && l.contains("kubectl taint node general-01 general-02 maint=true:NoExecute")),
        "{audit}"
    );
    quit_and_check_restored(&pane);
}
