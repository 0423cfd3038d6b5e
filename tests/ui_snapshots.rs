//! Every screen of the TUI on the frozen demo cluster, driven by keys through the real key table
//! and rendered into ratatui's TestBackend at a fixed size; each also checks in code the facts
//! a user would look for, so a failure says what broke, not only that pixels moved.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "ui_snapshots/drive.rs"]
mod drive;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use ratatui::style::{Color, Modifier};

use common::tui::buffer;
use drive::{Screen, char_key};

#[tokio::test]
async fn fleet() {
    let mut s = Screen::demo().await;
    let falco = s.line_with("falco ");
    assert!(
        falco.contains("33/39") && falco.contains("6!"),
        "falco misses the GPU pool: {falco}"
    );
    let npd = s.line_with("node-problem-detector");
    assert!(
        npd.contains("⚠ 1/39 crash-loops on general-01"),
        "the crash-looping rollout is stalled, and says why: {npd}"
    );
    // The NotReady node is DOWN on every DaemonSet that runs there, a failure on none.
    let cilium = s.line_with("cilium");
    assert!(
        cilium.contains("1!") && cilium.contains("✓ complete"),
        "{cilium}"
    );
    assert!(
        s.line_with("<?>").contains("<r> restart"),
        "hints come from the key table"
    );
    assert_snapshot!("fleet_120x36", s.text());
    // Problems first: the release failure, then the gap, then the rest.
    s.key('S');
    let names: Vec<String> = s
        .text()
        .lines()
        .filter_map(|l| l.split('│').nth(1))
        .filter_map(|c| c.split_whitespace().nth(1).map(str::to_string))
        .collect();
    let at = |n: &str| {
        names
            .iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("{n} in {names:?}"))
    };
    assert!(
        at("node-problem-detector") < at("falco") && at("falco") < at("cilium"),
        "status sort by severity: {names:?}"
    );
}

#[tokio::test]
async fn fleet_at_80x24_keeps_the_columns_that_matter() {
    let s = Screen::open(80, 24, |_| {}).await;
    let header = s.line_with("NAME");
    for column in ["NAME", "COVERAGE", "GAPS", "FAIL", "DOWN", "ROLLOUT"] {
        assert!(
            header.contains(column),
            "{column} kept at 80 columns: {header}"
        );
    }
    assert!(
        !header.contains("IMAGES"),
        "images go first when narrow: {header}"
    );
    assert!(s.line_with("falco ").contains("33/39"));
    let header = s.line_with(" herd ");
    assert!(
        header.contains("ctx herd-sim") && header.contains("ns all"),
        "{header}"
    );
    assert_snapshot!("fleet_80x24", s.text());
}

#[tokio::test]
async fn daemonset_falco_per_node_table() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("falco");
    assert!(
        s.line_with("┌ nodes").contains("6 taint-blocked"),
        "the GPU nodes are kept off by the taint alone"
    );
    assert!(
        s.line_with("general-07").contains("node-down"),
        "the NotReady node is the node's fault"
    );
    assert!(s.line_with("general-03").contains("cordoned"));
    assert_snapshot!("daemonset_falco", s.text());
}

#[tokio::test]
async fn daemonset_node_problem_detector_crash_looping_rollout() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("node-problem-detector");
    assert!(
        s.line_with("rollout 1/39")
            .contains("stalled: new revision crash-loops on general-01"),
        "{}",
        s.text()
    );
    let first = s.line_with("│general-01");
    assert!(
        first.contains("release-failing") && first.contains("crash loop"),
        "{first}"
    );
    assert!(
        s.line_with("general-02").contains("old revision"),
        "old pods keep running"
    );
    assert_snapshot!("daemonset_node_problem_detector", s.text());
}

#[tokio::test]
async fn coverage_map_of_falco() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("falco");
    s.key('m');
    assert!(s.line_with("coverage map").contains("40 nodes"));
    assert!(
        s.line_with("gpu 6").contains("⊗ ⊗ ⊗ ⊗ ⊗ ⊗"),
        "the GPU pool is taint-blocked"
    );
    let legend = s.line_with("● healthy 33");
    let counts = legend.contains("↯ node-down 1") && legend.contains("⊗ taint-blocked 6");
    assert!(counts, "{legend}");
    assert_snapshot!("coverage_map_falco", s.text());
}

#[tokio::test]
async fn nodes() {
    let mut s = Screen::demo().await;
    s.command("nodes");
    assert!(s.line_with("general-07").contains("✗ NotReady"));
    assert!(
        s.line_with("general-03").contains("SchedulingDi"),
        "cordoned"
    );
    // RUN / MISS / FAIL / DOWN: the NotReady node still runs its daemons, misses none, and
    // every DaemonSet there is down with it.
    let row = s.line_with("general-07");
    let counts: Vec<&str> = row.split_whitespace().skip(4).take(4).collect();
    assert_eq!(counts[1..], ["0", "0", "7!"], "{row}");
    assert_ne!(counts[0], "0", "{row}");
    assert_snapshot!("nodes", s.text());
}

#[tokio::test]
async fn node_not_ready() {
    let mut s = Screen::demo().await;
    s.open_node("general-07").await;
    assert!(
        s.line_with("ready False")
            .contains("node.kubernetes.io/not-ready")
    );
    assert!(
        s.line_with("cilium").contains("node NotReady"),
        "{}",
        s.text()
    );
    assert_snapshot!("node_general_07_not_ready", s.text());
}

#[tokio::test]
async fn node_gpu_where_falco_is_kept_off_by_the_taint() {
    let mut s = Screen::demo().await;
    s.open_node("gpu-01").await;
    let falco = s.line_with("falco ");
    assert!(
        falco.contains("untolerated taint nvidia.com/gpu"),
        "{falco}"
    );
    assert!(s.line_with("nvidia-device-plugin").contains("healthy"));
    assert_snapshot!("node_gpu_01", s.text());
}

#[tokio::test]
async fn hogs() {
    let mut s = Screen::demo().await;
    s.command("hogs");
    let otel = s.line_with("observability/otel-agent");
    assert!(
        otel.contains("▲40") && otel.contains("▲mem 14× req"),
        "every otel-agent pod is a hog, its memory far above its request: {otel}"
    );
    assert!(
        otel.contains("no cpu limit") && otel.contains("34.2Gi/2.5Gi"),
        "{otel}"
    );
    assert!(
        s.line_with("kube-system/cilium").contains("cores"),
        "Σ CPU says its unit"
    );
    assert!(s.line_with("daemon pods[").contains("[285]"));
    let text = s.text();
    let pods: Vec<&str> = text.lines().filter(|l| l.contains("otel-agent-")).collect();
    assert!(!pods.is_empty());
    for pod in pods {
        assert!(
            pod.contains("% of limit") && pod.contains("× req") && !pod.contains("no cpu"),
            "the memory limit presses, the request is far below, and the missing cpu limit \
             is said once on the DaemonSet's row: {pod}"
        );
    }
    assert_snapshot!("hogs", s.text());
}

#[tokio::test]
async fn help_overlay() {
    let mut s = Screen::demo().await;
    s.key('?');
    assert!(
        s.text()
            .contains("restart: the DaemonSet, as rollout restart (asks first)")
    );
    assert!(s.line_with("help (esc closes)").contains('┌'));
    assert_snapshot!("help_fleet", s.text());
    s.special(KeyCode::Esc);
    assert!(!s.text().contains("help (esc closes)"));
}

#[tokio::test]
async fn help_at_80x24_still_lists_every_key() {
    let mut s = Screen::open(80, 24, |_| {}).await;
    s.open_daemon_set("falco");
    s.key('?');
    let text = s.text();
    for b in herd::ui::keymap::active(&s.tui.state) {
        assert!(
            text.contains(b.label),
            "{} missing from the help:\n{text}",
            b.label
        );
    }
    assert!(
        text.contains("m  map") && text.contains("r  restart"),
        "{text}"
    );
    assert_snapshot!("help_daemonset_80x24", text);
}

#[tokio::test]
async fn command_line_while_typing() {
    let mut s = Screen::demo().await;
    s.key(':');
    s.type_text("nod");
    assert!(
        s.line_with(":nod").starts_with(":nod▏"),
        "the prompt shows what is typed"
    );
    assert_snapshot!("command_typing", s.text());
}

#[tokio::test]
async fn text_filter_on_a_daemonset_shows_the_gpu_pool() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("falco");
    s.key('/');
    s.type_text("gpu");
    s.special(KeyCode::Enter);
    assert!(s.line_with("┌ nodes").contains("[6]"), "{}", s.text());
    assert!(s.line_with("┌ nodes").contains("</gpu>"));
    let gpu = s.line_with("gpu-01");
    let why = gpu.contains("taint-blocked") && gpu.contains("untolerated taint nvidia.com/gpu");
    assert!(why, "{gpu}");
    assert_snapshot!("filter_text_falco_gpu", s.text());
}

#[tokio::test]
async fn label_selector_filter_on_the_fleet() {
    let mut s = Screen::demo().await;
    s.key('/');
    s.type_text("-l app.kubernetes.io/name in (falco,fluent-bit)");
    s.special(KeyCode::Enter);
    let title = s.line_with("daemonsets(all)");
    assert!(title.contains("[2]"), "{title}");
    assert!(s.text().contains("fluent-bit") && !s.text().contains("cilium"));
    assert_snapshot!("filter_label_selector", s.text());
}

#[tokio::test]
async fn restart_asks_first() {
    let mut s = Screen::demo().await;
    s.select_daemon_set("falco");
    s.key('r');
    let dialog = s.text();
    let asks = dialog.contains("restart DaemonSet falco/falco (kubectl -n falco rollout restart");
    assert!(
        asks,
        "names the DaemonSet and the kubectl equivalent: {dialog}"
    );
    assert!(s.line_with("change the cluster?").contains('▲'));
    assert_snapshot!("confirm_restart_falco", s.text());
    s.key('n');
    assert!(!s.text().contains("change the cluster?"), "n declines");
}

#[tokio::test]
async fn read_only_session() {
    let mut s = Screen::open(120, 36, |o| o.readonly = true).await;
    assert!(s.line_with("herd").contains("READ-ONLY"));
    s.select_daemon_set("falco");
    // r is not bound: pressing it only says why on the flash line.
    match s.action(char_key('r')) {
        Some(herd_app::action::Action::Unbound(hint)) => assert!(
            hint.starts_with("r restart: read-only session, herd changes nothing"),
            "{hint}"
        ),
        other => panic!("r is not bound read-only: {other:?}"),
    }
    assert!(!s.line_with("<?>").contains("<r>"), "no write hint");
    assert_snapshot!("readonly_fleet", s.text());
    s.key('?');
    let help = s.text();
    assert!(
        !help.contains("restart: the DaemonSet"),
        "help lists no writes"
    );
    assert!(help.contains("read-only: keys that change the cluster are not bound"));
    assert_snapshot!("readonly_help", help);
}

#[tokio::test]
async fn monochrome_keeps_meaning_in_glyphs_and_modifiers() {
    let mut s = Screen::open(120, 36, |o| o.monochrome = true).await;
    s.open_daemon_set("node-problem-detector");
    let frame = buffer(&s.tui);
    let coloured = frame
        .content
        .iter()
        .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
        .count();
    assert_eq!(coloured, 0, "no colour at all under --no-color");
    let row = |needle: &str| {
        let text = s.text();
        let y = text.lines().position(|l| l.contains(needle)).expect(needle);
        let width = usize::from(frame.area.width);
        frame.content[y * width..(y + 1) * width].to_vec()
    };
    let selected = row("│general-01");
    assert!(
        selected[5].modifier.contains(Modifier::REVERSED),
        "the cursor row is reversed"
    );
    let failing = row("│general-01");
    assert!(
        failing.iter().any(|c| c.symbol() == "✗"),
        "failing is a glyph, not a colour"
    );
    assert_snapshot!("monochrome_daemonset_node_problem_detector", s.text());
}

#[tokio::test]
async fn events_of_node_problem_detector() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("node-problem-detector");
    // `e` on a row: the events of its pod (the crash loop on general-01, sorted first).
    s.key('e');
    let lines = s.fetched().await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("BackOff") && l.contains("Back-off restarting failed container")),
        "{lines:?}"
    );
    s.special(KeyCode::Esc);
    // `:events`: the DaemonSet's own.
    s.type_text(":events");
    s.special(KeyCode::Enter);
    let lines = s.fetched().await;
    assert!(
        lines.iter().any(|l| l.contains("SuccessfulCreate")),
        "{lines:?}"
    );
    assert!(
        s.line_with("<daemonsets>")
            .contains("<node-problem-detector> <events")
    );
    assert_snapshot!("events_node_problem_detector", s.text());
    s.special(KeyCode::Esc);
    assert!(
        s.line_with("rollout 1/39").contains("stalled"),
        "esc goes back to the DaemonSet"
    );
}

#[tokio::test]
async fn history_of_node_problem_detector_with_its_diff() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("node-problem-detector");
    s.key('H');
    let lines = s.fetched().await;
    let added = lines
        .iter()
        .any(|l| l.starts_with('+') && l.contains("v0.8.21-crashloop"));
    let removed = lines
        .iter()
        .any(|l| l.starts_with('-') && l.contains("v0.8.20"));
    assert!(
        added && removed,
        "the diff shows the image change: {lines:#?}"
    );
    assert_snapshot!("history_node_problem_detector", s.text());
}

#[tokio::test]
async fn yaml_of_falco() {
    let mut s = Screen::demo().await;
    s.select_daemon_set("falco");
    s.key('y');
    let lines = s.fetched().await;
    assert!(lines.iter().any(|l| l == "kind: DaemonSet"), "{lines:#?}");
    assert!(lines.iter().any(|l| l.trim() == "name: falco"));
    assert_snapshot!("yaml_falco", s.text());
}

#[tokio::test]
async fn a_text_line_too_long_for_the_screen_ends_in_an_ellipsis() {
    let mut s = Screen::open(80, 24, |_| {}).await;
    s.open_daemon_set("node-problem-detector");
    s.type_text(":events");
    s.special(KeyCode::Enter);
    let lines = s.fetched().await;
    let long = lines
        .iter()
        .find(|l| l.contains("Created pod: node-problem-detector-") && l.chars().count() > 78)
        .unwrap_or_else(|| panic!("a long event line in {lines:#?}"));
    let shown = s.line_with(&long[..40]);
    assert!(shown.ends_with("…│"), "{shown}");
}

#[tokio::test]
async fn a_selector_that_does_not_parse_keeps_the_rows_and_says_why() {
    let mut s = Screen::demo().await;
    let all = s.line_with("daemonsets(all)");
    s.key('/');
    s.type_text("app in (a");
    let prompt = s.line_with("/app in (a");
    assert!(
        prompt.contains(r#"▲ invalid label selector "app in (a": missing closing ")""#),
        "{prompt}"
    );
    assert_eq!(
        s.line_with("daemonsets(all)"),
        all,
        "the rows stay on the last good filter"
    );
    assert_snapshot!("filter_selector_does_not_parse", s.text());
}

#[tokio::test]
async fn bare_ns_lists_the_namespaces_to_pick_from() {
    let mut s = Screen::demo().await;
    s.command("ns");
    let text = s.text();
    assert!(
        text.contains("namespace (enter picks, esc cancels)"),
        "{text}"
    );
    assert!(
        s.line_with("all namespaces").contains('•'),
        "all is in view"
    );
    assert_snapshot!("namespace_pick", text);
    s.key('j');
    let picked = s.tui.state.ui.namespace.clone();
    assert_eq!(picked, None, "j only moves");
    s.special(KeyCode::Enter);
    let ns = s.tui.state.ui.namespace.clone().expect("a namespace");
    assert!(s.line_with(" herd ").contains(&format!("ns {ns}")));
    assert!(!s.text().contains("enter picks"), "the list closed");
}

#[tokio::test]
async fn a_long_refusal_is_cut_with_a_key_that_shows_it_whole() {
    let mut s = Screen::open(80, 24, |_| {}).await;
    let refusal = "daemonsets.apps \"falco\" is forbidden: User \"system:serviceaccount:herd:viewer\" \
                   cannot patch resource \"daemonsets\" in API group \"apps\" in the namespace \"falco\"";
    s.tui.send(herd_app::Action::WriteDone {
        what: "restart DaemonSet falco/falco".into(),
        result: Err(refusal.into()),
    });
    let footer = s.line_with("✗ restart");
    assert!(footer.trim_end().ends_with("… <!> full text"), "{footer}");
    assert_snapshot!("flash_long_error_cut_80x24", s.text());
    s.key('!');
    let text = s.text();
    assert!(
        text.contains("last warning or error (esc closes)"),
        "{text}"
    );
    assert!(
        text.contains("\"falco\"") && text.contains("herd:viewer"),
        "the whole refusal is there:\n{text}"
    );
    assert_snapshot!("last_error_overlay_80x24", text);
    s.special(KeyCode::Esc);
    assert!(!s.text().contains("esc closes"));
}

#[tokio::test]
async fn targeting_editor_and_fixes() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("falco");
    // The first row is gpu-01, kept off by the GPU taint: `f` offers to tolerate it.
    s.key('f');
    let text = s.text();
    assert!(
        text.contains("› tolerate nvidia.com/gpu=present:NoSchedule"),
        "{text}"
    );
    assert_snapshot!("targeting_fixes_120x36", text);
    s.special(KeyCode::Enter);
    let text = s.text();
    assert!(
        text.contains("fix: tolerate nvidia.com/gpu=present:NoSchedule"),
        "{text}"
    );
    assert!(
        text.contains("+6 node(s) gain a pod, −1 lose one, 33 keep it"),
        "{text}"
    );
    assert!(
        s.line_with("+ gpu-01")
            .contains("no longer: untolerated taint"),
        "{text}"
    );
    assert_snapshot!("targeting_editor_120x36", text);
    // A selector typed: completion from the fleet's labels, and the preview follows.
    s.type_text("pool=g");
    let text = s.text();
    assert!(
        text.contains("in the fleet: pool=general (28)  pool=gpu (6)"),
        "{text}"
    );
    s.type_text("pu");
    assert!(
        s.text().contains("+6 node(s) gain a pod, −34 lose one"),
        "{}",
        s.text()
    );
    // An invalid value is named with its rule, and there is no preview to apply.
    s.type_text(" x");
    let text = s.text();
    assert!(
        text.contains("✗ spec.template.spec.nodeSelector[pool]: label value"),
        "{text}"
    );
    s.special(KeyCode::Esc);
    assert!(!s.text().contains("node targeting of"), "closed");
}

#[tokio::test]
async fn staging_is_offered_for_an_edit_that_adds_many_nodes() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("csi-rbdplugin");
    s.key('T');
    for _ in 0.."node-role.herd.dev/storage=true".len() {
        s.special(KeyCode::Backspace);
    }
    assert!(s.text().contains("+34 node(s) gain a pod"), "{}", s.text());
    s.special(KeyCode::Enter);
    let text = s.text();
    assert!(
        text.contains("The edit adds the daemon to 34 node(s) at once unless it is staged."),
        "{text}"
    );
    assert!(
        text.contains("released 4 at a time (10%) in the order of"),
        "{text}"
    );
    assert_snapshot!("stage_choice_120x36", text);
    // esc: back to the edit; enter twice: staged, the name asked for.
    s.special(KeyCode::Esc);
    assert!(s.text().contains("node targeting of storage/csi-rbdplugin"));
    s.special(KeyCode::Enter);
    s.special(KeyCode::Enter);
    assert!(
        s.text().contains("stage the node targeting change"),
        "{}",
        s.text()
    );
}

#[tokio::test]
async fn rollout_dialog() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("fluent-bit");
    s.key('R');
    s.special(KeyCode::Tab);
    for _ in 0.."10%".len() {
        s.special(KeyCode::Backspace);
    }
    s.type_text("25%");
    s.special(KeyCode::Tab);
    s.type_text("2");
    s.special(KeyCode::Tab);
    s.type_text("canary,50%");
    let text = s.text();
    // The plan follows the policy typed: two canaries alone, then batches of the budget.
    assert!(
        text.contains("plan: 39 nodes in") && text.contains("up to 10 unavailable at once"),
        "{text}"
    );
    assert!(
        s.line_with("1. 2 node(s)")
            .contains("general-01, general-02"),
        "{text}"
    );
    assert!(text.contains("‖ pauses after canary"), "{text}");
    assert!(text.contains("‖ pauses after 50%"), "{text}");
    assert!(
        s.line_with("nodes down, skipped").contains("general-07"),
        "{text}"
    );
    assert!(
        text.contains("no surge"),
        "the dialog says what OnDelete cannot do"
    );
    assert_snapshot!("rollout_dialog_120x36", text);
    // A budget that cannot be followed says so in place of the plan.
    s.special(KeyCode::Tab);
    s.special(KeyCode::Tab);
    for _ in 0.."25%".len() {
        s.special(KeyCode::Backspace);
    }
    s.type_text("0");
    let text = s.text();
    assert!(
        text.contains("✗ maxUnavailable \"0\": must be at least 1"),
        "{text}"
    );
    assert!(!text.contains("plan: "), "{text}");
    // Enter asks for the name; the key table's esc leaves without a write.
    s.special(KeyCode::Esc);
    assert!(!s.text().contains("managed rollout of"), "closed");
}

#[tokio::test]
async fn node_edit_on_marked_nodes() {
    let mut s = Screen::demo().await;
    s.command("nodes");
    s.key('/');
    s.type_text("gpu-0");
    s.special(KeyCode::Enter);
    s.key(' ');
    s.key(' ');
    assert!(
        s.line_with("┌ nodes").contains("◆ 2 marked"),
        "{}",
        s.text()
    );
    assert!(s.line_with("gpu-01").contains("◆ gpu-01"), "{}", s.text());
    s.key('t');
    // → takes the first completion: the verb, then the fleet's taint.
    s.type_text("unt");
    s.special(KeyCode::Right);
    s.type_text("nv");
    assert!(
        s.text()
            .contains("in the fleet: nvidia.com/gpu:NoSchedule (6)"),
        "{}",
        s.text()
    );
    s.special(KeyCode::Right);
    let text = s.text();
    assert!(text.contains("edit 2 marked nodes"), "{text}");
    assert!(
        text.contains("kubectl taint node gpu-01 gpu-02 nvidia.com/gpu:NoSchedule-"),
        "{text}"
    );
    // falco lacks the GPU toleration: taking the taint off gives it both nodes.
    assert!(
        s.line_with("+ gains 2")
            .contains("gpu-01, gpu-02 — no longer: untolerated taint"),
        "{text}"
    );
    assert_snapshot!("node_edit_marked_120x36", text);
    // A taint without its effect is named, with what is expected.
    for _ in 0.."untaint nvidia.com/gpu:NoSchedule".len() {
        s.special(KeyCode::Backspace);
    }
    s.type_text("taint dedicated=infra");
    assert!(
        s.text()
            .contains("✗ node edit: \"taint dedicated=infra\": a taint needs its effect"),
        "{}",
        s.text()
    );
    s.special(KeyCode::Esc);
    s.special(KeyCode::Esc);
    assert!(
        !s.line_with("┌ nodes").contains("marked"),
        "esc cleared the marks"
    );
}

/// `l` on the crash-looping pod: its previous run, which ends in the fatal line, and says so.
#[tokio::test]
async fn logs_of_the_crash_looping_pod_open_on_its_previous_run() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("node-problem-detector");
    s.key('l');
    let lines = s.fetched().await;
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with('F') && l.contains("cannot start")),
        "the previous run ends in its fatal (glog F) line: {lines:#?}"
    );
    assert!(s.text().contains("previous"), "{}", s.text());
    assert_snapshot!("logs_node_problem_detector_previous", s.text());
}

/// `d` on the crash-looping pod: kubectl describe's layout, with the last termination.
#[tokio::test]
async fn describe_of_the_crash_looping_pod() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("node-problem-detector");
    s.key('d');
    let lines = s.fetched().await;
    for want in [
        "Name:",
        "Node:",
        "Last State:",
        "Exit Code:",
        "Tolerations:",
        "Events:",
    ] {
        assert!(lines.iter().any(|l| l.contains(want)), "{want}: {lines:#?}");
    }
    assert_snapshot!("describe_node_problem_detector_pod", s.text());
}

/// `e` on the crash-looping pod: its own events, ages relative, aggregated with their count.
#[tokio::test]
async fn events_of_the_crash_looping_pod() {
    let mut s = Screen::demo().await;
    s.open_daemon_set("node-problem-detector");
    s.key('e');
    let lines = s.fetched().await;
    assert!(lines.iter().any(|l| l.contains("BackOff")), "{lines:#?}");
    assert_snapshot!("events_node_problem_detector_pod", s.text());
}

/// `l` on a pod whose node's kubelet is stopped: the API server's error is the view, not an
/// empty log.
#[tokio::test]
async fn logs_of_a_pod_whose_kubelet_is_stopped_say_why() {
    let mut s = Screen::demo().await;
    s.stop_kubelet("general-01");
    s.open_daemon_set("node-problem-detector");
    s.key('l');
    let why = s.fetch_failed().await;
    assert!(
        why.contains(":10250/containerLogs/kube-system/node-problem-detector-")
            && why.contains("connect: connection refused"),
        "{why}"
    );
    assert!(s.text().contains("connection refused"), "{}", s.text());
}
