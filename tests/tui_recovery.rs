//! The TUI through the API server's faults, as the user sees it: dropped watches, a 410 (the
//! watch history compacted away), a burst of 500s and the API server killed. While data is
//! stale the header says so and names every feed it concerns, metrics included; afterwards
//! every screen equals what a freshly connected TUI shows.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::server::{DEADLINE, TestSim, eventually};
use common::tui::{frame, sim_now, state_frame, synced, synced_with};
use herd::runtime::Options;
use herd::runtime::headless::Headless;
use herd::ui::theme::Theme;
use herd_app::action::Action;
use herd_app::state::{FeedState, State};
use herd_app::view::View;
use herd_cluster::connect::ConnectOptions;
use herd_core::model::feed::FeedKind;
use herd_sim::api::counters::EntryReport;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Big enough that every node of the demo fits in the node tables.
const WIDTH: u16 = 160;
const HEIGHT: u16 = 60;

/// The demo with its clock stopped. `bookmarks` off: a watch's resourceVersion then moves only
/// with events of its own kind, so compaction after a node write leaves the others behind.
async fn frozen_demo(bookmarks: bool) -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
        if !bookmarks {
            o.bookmark_interval = Duration::from_secs(24 * 3600);
        }
    })
    .await
}

/// The frame with the header's "last event Ns ago" blanked: it is the one part that depends
/// on when events came rather than on what the cluster holds.
fn normalised(frame: &str) -> String {
    frame
        .lines()
        .map(|line| match line.find("(last event ") {
            Some(at) => {
                let end = line[at..].find(')').map_or(line.len(), |e| at + e + 1);
                format!("{}(last event …){}", &line[..at], &line[end..])
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The table row about `name` (a node or DaemonSet), or "".
fn row(frame: &str, name: &str) -> String {
    let (first, other) = (format!("│{name} "), format!(" {name} "));
    frame
        .lines()
        .find(|l| l.contains(&first) || l.contains(&other))
        .unwrap_or_default()
        .to_string()
}

/// Drives `tui` until `done` holds; returns the frame then, or fails showing it.
async fn until(
    tui: &mut Headless,
    sim: &TestSim,
    what: &str,
    done: impl Fn(&State) -> bool,
) -> String {
    let reached = tui.run_until(what, DEADLINE, sim_now(sim), done).await;
    let screen = frame(tui);
    if let Err(e) = reached {
        panic!("{e}\n{screen}");
    }
    screen
}

/// The watch feed the header reports stale, if any, and its reason.
fn stale_watch(state: &State) -> Option<(&'static str, String)> {
    state.session.feeds.iter().find_map(|f| match &f.state {
        FeedState::Stale { reason, .. } if f.kind.is_watch() => {
            Some((f.kind.name(), reason.clone()))
        }
        _ => None,
    })
}

/// Whether every feed, metrics included, is live (`live`) or stale (`!live`).
fn all_feeds(state: &State, live: bool) -> bool {
    state.session.feeds.len() == FeedKind::ALL.len()
        && state.session.feeds.iter().all(|f| match f.state {
            FeedState::Live => live,
            FeedState::Stale { .. } => !live,
            FeedState::Syncing => false,
        })
}

fn all_watches_live(state: &State) -> bool {
    state
        .session
        .feeds
        .iter()
        .filter(|f| f.kind.is_watch())
        .all(|f| f.state == FeedState::Live)
}

/// The header's health line (the second row).
fn health(frame: &str) -> String {
    frame.lines().nth(1).unwrap_or_default().to_string()
}

/// The screens compared with a fresh TUI: the fleet, the nodes, falco with its per-node
/// table, and one node's view of every DaemonSet.
fn views(sim: &TestSim) -> Vec<View> {
    let falco = common::objects::world_ds(sim, "falco", "falco");
    let uid = falco.metadata.uid.expect("falco has a uid");
    vec![
        View::Fleet,
        View::Nodes,
        View::DaemonSet { uid: uid.into() },
        View::Node {
            name: "general-05".into(),
        },
    ]
}

/// Every view rendered, normalised; the TUI is left on the fleet.
fn screens(tui: &mut Headless, views: &[View]) -> Vec<String> {
    let shown = views
        .iter()
        .map(|view| {
            tui.send(Action::Show(view.clone()));
            normalised(&frame(tui))
        })
        .collect();
    tui.send(Action::Show(View::Fleet));
    shown
}

/// Until the simulator's controllers have reacted to every write (its clock is stopped, so
/// the world then holds still).
async fn settled(sim: &TestSim) {
    eventually("the simulated world to settle", || async {
        (!sim.handle.world.lock().store.has_unseen()).then_some(())
    })
    .await;
}

/// Drives `tui` until each view equals that of a TUI freshly connected to the settled
/// simulator, then checks all of them again with nothing left to apply.
async fn converges_to_a_fresh_list(sim: &TestSim, tui: &mut Headless) {
    settled(sim).await;
    let views = views(sim);
    let mut fresh = synced(sim, WIDTH, HEIGHT).await;
    let want = screens(&mut fresh, &views);
    for (view, want) in views.iter().zip(&want) {
        tui.send(Action::Show(view.clone()));
        let reached = tui
            .run_until(
                &format!("{view:?} as a fresh list shows it"),
                DEADLINE,
                sim_now(sim),
                |s| normalised(&state_frame(s)) == *want,
            )
            .await;
        if let Err(e) = reached {
            panic!("{e}\nwant:\n{want}\ngot:\n{}", frame(tui));
        }
    }
    assert_eq!(screens(tui, &views), want);
}

/// `kubectl cordon`, through the API as a user would.
async fn cordon(sim: &TestSim, node: &str) {
    Api::<Node>::all(sim.client().await)
        .patch(
            node,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"unschedulable": true}})),
        )
        .await
        .expect("cordon");
}

/// Deletes the first (by name) pod of falco.
async fn delete_a_falco_pod(sim: &TestSim) -> String {
    let name = {
        let world = sim.handle.world.lock();
        let mut names: Vec<String> = world
            .store
            .table::<Pod>()
            .values()
            .filter(|p| p.metadata.namespace.as_deref() == Some("falco"))
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        names.sort();
        names.first().cloned().expect("a falco pod")
    };
    Api::<Pod>::namespaced(sim.client().await, "falco")
        .delete(&name, &DeleteParams::default())
        .await
        .expect("delete pod");
    name
}

/// How many requests of `verb` the simulator has served per watched resource (nodes, pods,
/// DaemonSets, revisions).
fn served(sim: &TestSim, verb: &str) -> Vec<u64> {
    count(sim, verb, |e| e.requests)
}

/// How many of those it failed.
fn served_errors(sim: &TestSim, verb: &str) -> Vec<u64> {
    count(sim, verb, |e| e.errors)
}

fn count(sim: &TestSim, verb: &str, what: impl Fn(&EntryReport) -> u64) -> Vec<u64> {
    let report = sim.handle.counters.report();
    [
        "nodes",
        "pods",
        "daemonsets.apps",
        "controllerrevisions.apps",
    ]
    .iter()
    .map(|resource| {
        report
            .by_verb_and_resource
            .iter()
            .filter(|e| e.verb == verb && e.resource == *resource)
            .map(&what)
            .sum()
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_dropped_watches_a_change_reaches_the_screen_without_a_relist() {
    let sim = frozen_demo(true).await;
    let mut tui = synced(&sim, WIDTH, HEIGHT).await;
    let lists = served(&sim, "list");
    let watches = served(&sim, "watch");
    let report = sim.faults(json!({"dropWatches": true})).await;
    assert_eq!(report["watchDrops"], 1, "{report}");
    // The change is made once every watch is open again, so only a resumed watch can bring it.
    eventually("every watch re-opened after the drop", || async {
        let again = served(&sim, "watch")
            .iter()
            .zip(&watches)
            .all(|(n, was)| n > was);
        (again && sim.handle.counters.report().open_watches == 4).then_some(())
    })
    .await;
    cordon(&sim, "general-05").await;
    tui.send(Action::Show(View::Nodes));
    let screen = until(&mut tui, &sim, "general-05 shown cordoned", |s| {
        row(&state_frame(s), "general-05").contains("SchedulingDi")
    })
    .await;
    assert!(health(&screen).contains("● live"), "{screen}");
    assert_eq!(
        served(&sim, "list"),
        lists,
        "a dropped watch resumes; it needs no re-list"
    );
    converges_to_a_fresh_list(&sim, &mut tui).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_410_the_feeds_say_stale_while_they_relist_then_equal_a_fresh_list() {
    let sim = frozen_demo(false).await;
    let mut tui = synced(&sim, WIDTH, HEIGHT).await;
    let lists = served(&sim, "list");
    // A node write, then the history forgotten: the watches of other kinds were last told of
    // an older version, so they cannot resume (410 Gone) and must list again.
    cordon(&sim, "general-05").await;
    let report = sim
        .faults(json!({"compact": true, "dropWatches": true}))
        .await;
    assert_eq!(report["compactions"], 1, "{report}");
    // And a change while they do.
    delete_a_falco_pod(&sim).await;

    let expired = until(&mut tui, &sim, "a watch feed reported stale", |s| {
        stale_watch(s).is_some()
    })
    .await;
    let (feed, reason) = stale_watch(&tui.state).expect("a stale feed");
    assert!(reason.contains("too old resource version"), "{expired}");
    assert!(
        health(&expired).contains(&format!("✗ STALE {feed} for ")),
        "{expired}"
    );

    let relisting = until(&mut tui, &sim, "a feed shown re-listing", |s| {
        stale_watch(s).is_some_and(|(_, reason)| reason.starts_with("re-listing"))
    })
    .await;
    assert!(
        health(&relisting).contains(": re-listing after: "),
        "{relisting}"
    );

    let live = until(&mut tui, &sim, "every watch live again", all_watches_live).await;
    assert!(health(&live).contains("● live"), "{live}");
    // Pods, DaemonSets and revisions listed again (nodes may have resumed: they had seen the
    // last write before the history went).
    let again = served(&sim, "list");
    assert!(
        again[1..].iter().zip(&lists[1..]).all(|(n, was)| n > was),
        "{again:?}"
    );
    converges_to_a_fresh_list(&sim, &mut tui).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_burst_of_500s_the_header_says_stale_then_live_with_what_changed_meanwhile() {
    let sim = frozen_demo(true).await;
    // Metrics polled once an hour: only the watches' news of the server gone, and back, can
    // have them polled (and named stale, then live) within the test.
    let options = Options {
        metrics_every: Duration::from_secs(3600),
        ..common::tui::options(&sim)
    };
    let mut tui = synced_with(&sim, options, WIDTH, HEIGHT).await;
    tui.send(Action::Show(View::Nodes));
    // Connections drop and every request fails, as while an API server restarts.
    sim.faults(json!({"failRate": 1.0, "failCode": 500, "dropWatches": true}))
        .await;
    let first = until(&mut tui, &sim, "a watch feed reported stale", |s| {
        stale_watch(s).is_some()
    })
    .await;
    let (feed, reason) = stale_watch(&tui.state).expect("a stale feed");
    assert!(reason.contains("injected fault"), "{first}");
    assert!(
        health(&first).contains(&format!("✗ STALE {feed} for ")),
        "{first}"
    );
    // Metrics come through the same server: polled at once, they fail too, and say so.
    until(&mut tui, &sim, "every feed stale, metrics included", |s| {
        all_feeds(s, false)
    })
    .await;

    // Every watch is down now: a change no client can be told of (the API refuses everyone;
    // the world's own controllers still work).
    sim.handle
        .world
        .lock()
        .store
        .modify::<Node>("", "general-05", |n| {
            n.spec.get_or_insert_default().unschedulable = Some(true);
        })
        .expect("cordon in the world");
    settled(&sim).await;
    // The outage held until each watch has failed three times: kube's backoff is then past
    // the probe period, the case where a feed could be called live before it watches again.
    eventually("every watch to have failed three times", || async {
        let failed = served_errors(&sim, "watch");
        failed.iter().all(|n| *n >= 3).then_some(())
    })
    .await;
    let screen = frame(&tui);
    assert!(health(&screen).contains("✗ STALE"), "{screen}");
    assert!(
        !row(&screen, "general-05").contains("SchedulingDi"),
        "{screen}"
    );

    sim.faults(json!({"failRate": 0.0})).await;
    let live = until(&mut tui, &sim, "every watch live again", all_watches_live).await;
    assert!(health(&live).contains("● live"), "{live}");
    // Live means watching again, with what it missed: the nodes feed is called live once the
    // resumed watch has replayed the cordon (the probe alone would wait a further 2 s).
    assert!(row(&live, "general-05").contains("SchedulingDi"), "{live}");
    let all = until(&mut tui, &sim, "every feed live again", |s| {
        all_feeds(s, true)
    })
    .await;
    assert!(health(&all).ends_with("metrics: ok"), "{all}");
    converges_to_a_fresh_list(&sim, &mut tui).await;
}

/// `herd sim` in a process of its own, so the test can kill it as `kill -9` does: no goodbye
/// to its clients, its port closed. Killed when dropped, if the test has not.
struct SimProcess {
    child: Child,
    kubeconfig: PathBuf,
    /// Its output, kept open so a late line can never fail to write.
    _stdout: Lines<BufReader<ChildStdout>>,
    _dir: TempDir,
}

impl SimProcess {
    /// The demo with its clock stopped, once it says where it wrote the kubeconfig.
    async fn start() -> Self {
        let dir = herd_sim::private_file::fresh_private_dir("herd-test-").expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut child = Command::new(env!("CARGO_BIN_EXE_herd"))
            .args(["sim", "--scenario", "demo", "--speed", "0", "--kubeconfig"])
            .arg(&kubeconfig)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("herd sim runs");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(stdout).lines();
        let serving = tokio::time::timeout(DEADLINE, async {
            while let Some(line) = lines.next_line().await.expect("herd sim's output") {
                if line.starts_with("kubeconfig: ") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(serving, Ok(true), "herd sim did not start serving");
        SimProcess {
            child,
            kubeconfig,
            _stdout: lines,
            _dir: dir,
        }
    }

    /// SIGKILL, and the process reaped.
    async fn kill(&mut self) {
        self.child.kill().await.expect("kill herd sim");
    }
}

/// The API server dies under a running TUI. Every feed is named stale from the moment it
/// fails, the metrics too, though their next poll is an hour away: a watch that loses the
/// server has the metrics looked at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_api_server_dies_every_feed_is_named_stale_metrics_included() {
    let mut sim = SimProcess::start().await;
    let options = Options {
        connect: ConnectOptions {
            kubeconfig: Some(sim.kubeconfig.clone()),
            context: None,
            compression: herd_cluster::connect::Compression::Auto,
        },
        namespace: None,
        readonly: false,
        theme: Theme::default(),
        monochrome: false,
        metrics_every: Duration::from_secs(3600),
        mouse: false,
        pods: herd_cluster::watch::PodScope::Daemon,
    };
    // Wide enough for every feed's name, age and reason.
    let mut tui = Headless::connect(options, 400, 40);
    let reached = tui
        .run_until("every feed live", DEADLINE, Timestamp::now, |s| {
            all_feeds(s, true)
        })
        .await;
    let screen = frame(&tui);
    if let Err(e) = reached {
        panic!("{e}\n{screen}");
    }
    assert!(
        health(&screen).ends_with("● live (last event 0s ago)  metrics: ok"),
        "{screen}"
    );

    sim.kill().await;
    let reached = tui
        .run_until("every feed stale", DEADLINE, Timestamp::now, |s| {
            all_feeds(s, false)
        })
        .await;
    let screen = frame(&tui);
    if let Err(e) = reached {
        panic!("{e}\n{screen}");
    }
    let line = health(&screen);
    let (watches, metrics) = line
        .split_once("▲ ")
        .unwrap_or_else(|| panic!("the metrics are named apart: {line}"));
    let watches = watches
        .split_once("✗ STALE ")
        .unwrap_or_else(|| panic!("the watches are named stale: {line}"))
        .1;
    for kind in FeedKind::WATCHES {
        assert!(watches.contains(kind.name()), "{kind} not named: {line}");
    }
    assert!(
        metrics.starts_with("metrics, node metrics stale for ")
            || (metrics.starts_with("metrics stale for ")
                && metrics.contains("node metrics stale for ")),
        "{line}"
    );
    assert!(!line.contains("metrics: ok"), "{line}");
    assert!(!line.contains("● live"), "{line}");
}
