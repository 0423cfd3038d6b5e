//! Frame benchmark of the TUI (docs/BENCHMARKS.md): the budget-shaped fleet (5,000 nodes,
//! 30 DaemonSets, ~150,000 pods) loaded into a `State` through `update`, each main screen drawn
//! into a 250×60 TestBackend, and the event-to-screen path (one pod update, derive, draw).
//!
//! Run with `cargo bench --bench tui_frame` (add `-- --frames 500 --events 50`, or `--only map`
//! to time one screen). On a machine busy with other work, p99 measures the scheduler more than
//! the frame: run the built bench under `chrt -f 10` (as root) so other processes cannot
//! preempt it.
// Benchmark code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use herd::runtime;
use herd::ui::theme::Theme;
use herd_app::action::ClusterInfo;
use herd_app::derived::Derived;
use herd_app::state::Themes;
use herd_app::view::View;
use herd_app::{Action, State, rows, update};
use herd_core::analysis::{coverage, hogs};
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Record, Relist};
use herd_core::model::pod::Pod;
use herd_core::model::synthetic::{self, Shape};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const WIDTH: u16 = 250;
const HEIGHT: u16 = 60;
/// Metrics polls loaded, so the Hogs sparklines have history to draw.
const METRICS_POLLS: i64 = 12;

struct Args {
    frames: usize,
    events: usize,
    /// Time only the screens whose name contains this (for profiling one screen).
    only: String,
}

fn parse_args() -> Args {
    let mut args = Args {
        frames: 500,
        events: 50,
        only: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let number = |v: Option<String>| v.and_then(|v| v.parse::<usize>().ok()).unwrap_or(1);
        match a.as_str() {
            "--frames" => args.frames = number(it.next()),
            "--events" => args.events = number(it.next()),
            "--only" => args.only = it.next().unwrap_or_default(),
            _ => {} // cargo bench passes `--bench`; ignore what we do not know.
        }
    }
    args
}

/// p50, p99 and max of `samples`, in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).copied().map_or(0.0, ms)
    };
    (at(0.50), at(0.99), samples.last().copied().map_or(0.0, ms))
}

fn feed(state: &mut State, event: FleetEvent) {
    update(
        state,
        Action::Feed {
            epoch: 0,
            feed: Feed::Event(event),
        },
    );
}

/// The synthetic fleet fed through `update` as the watches would (one re-list per kind, then
/// metrics polls), derived once. Returns the state and one daemon pod to update later.
fn loaded_state(epoch: Timestamp) -> (State, Pod) {
    let records = synthetic::fleet(Shape::default(), epoch);
    let now = epoch + SignedDuration::from_secs(3600);
    let mut state = State::new(Themes::default(), false, now);
    state.ui.width = WIDTH;
    state.ui.height = HEIGHT;
    let info = ClusterInfo {
        context: "bench".into(),
        cluster: "synthetic".into(),
        user: "admin".into(),
        server_version: Some("v1.32.0".into()),
        contexts: vec!["bench".into()],
    };
    update(
        &mut state,
        Action::Connected {
            epoch: 0,
            info: Ok(info),
        },
    );
    let (mut nodes, mut dss, mut pods, mut revs) = (vec![], vec![], vec![], vec![]);
    for r in &records {
        match r.clone() {
            Record::Node(n) => nodes.push(n),
            Record::DaemonSet(d) => dss.push(d),
            Record::Pod(p) => pods.push(p),
            Record::Revision(r) => revs.push(r),
        }
    }
    let sample = pods.iter().find(|p| p.owner_uid.is_some()).cloned();
    let sample = sample.unwrap_or_else(|| Pod::new("kube-system", "none", "none"));
    feed(&mut state, FleetEvent::Relisted(Relist::Nodes(nodes)));
    feed(&mut state, FleetEvent::Relisted(Relist::DaemonSets(dss)));
    feed(&mut state, FleetEvent::Relisted(Relist::Revisions(revs)));
    feed(&mut state, FleetEvent::Relisted(Relist::Pods(pods)));
    for k in 0..METRICS_POLLS {
        let at = now - SignedDuration::from_secs(15 * (METRICS_POLLS - k));
        let poll = synthetic::metrics(&state.fleet, at);
        feed(&mut state, FleetEvent::Metrics(poll));
    }
    update::derive(&mut state);
    (state, sample)
}

/// Draws `state` `frames` times, each a full repaint (the previous buffer cleared untimed).
fn time_frames(
    state: &State,
    terminal: &mut Terminal<TestBackend>,
    frames: usize,
) -> Vec<Duration> {
    let theme = Theme::default();
    (0..frames)
        .map(|_| {
            let _ = terminal.clear();
            let started = Instant::now();
            let _ = terminal.draw(|f| herd::ui::render(state, &theme, f));
            started.elapsed()
        })
        .collect()
}

/// The screens a user moves between, as the actions that open them.
fn screens(state: &State) -> Vec<(&'static str, Vec<Action>)> {
    let uid = |name: &str| {
        state
            .fleet
            .daemon_set_named("kube-system", name)
            .map(|d| d.uid.clone())
            .unwrap_or_default()
    };
    // daemon-28 forgot the GPU toleration: its table and map show gaps as well as Ready nodes.
    let ds = View::DaemonSet {
        uid: uid("daemon-28"),
    };
    let node = state
        .fleet
        .nodes()
        .next()
        .map(|n| n.name.clone())
        .unwrap_or_default();
    vec![
        ("Fleet", vec![Action::Show(View::Fleet)]),
        (
            "DaemonSet detail (node table)",
            vec![Action::Show(ds.clone())],
        ),
        (
            "DaemonSet coverage map",
            vec![Action::Show(ds), Action::ToggleCoverageMap],
        ),
        ("Nodes", vec![Action::Show(View::Nodes)]),
        ("Node", vec![Action::Show(View::Node { name: node })]),
        ("Hogs", vec![Action::Show(View::Hogs)]),
    ]
}

/// Each event through `update`, then derive, then a full frame (terminal cleared first); each
/// part timed: apply, derive, draw, total. The runtime adds its coalescing delay between the
/// event and derive.
fn time_to_screen(
    state: &mut State,
    terminal: &mut Terminal<TestBackend>,
    mut next_event: impl FnMut(&State) -> FleetEvent,
    events: usize,
) -> [Vec<Duration>; 4] {
    let theme = Theme::default();
    let mut parts: [Vec<Duration>; 4] = Default::default();
    for _ in 0..events {
        let event = next_event(state);
        let _ = terminal.clear();
        let t0 = Instant::now();
        feed(state, event);
        let t1 = Instant::now();
        update::derive(state);
        let t2 = Instant::now();
        let _ = terminal.draw(|f| herd::ui::render(state, &theme, f));
        let t3 = Instant::now();
        for (part, d) in parts.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2, t3 - t0]) {
            part.push(d);
        }
    }
    parts
}

/// One pod's readiness flipping: derive redoes only that pod's DaemonSet.
fn pod_flips(pod: &Pod) -> impl FnMut(&State) -> FleetEvent {
    let mut pod = pod.clone();
    move |_| {
        pod.ready = !pod.ready;
        FleetEvent::Upsert(Record::Pod(pod.clone()))
    }
}

/// Metrics polls 10 s apart: every pod's usage moves (hogs in full, coverage not at all).
fn metrics_polls(epoch: Timestamp) -> impl FnMut(&State) -> FleetEvent {
    let mut at = epoch + SignedDuration::from_secs(3600);
    move |state| {
        at += SignedDuration::from_secs(10);
        FleetEvent::Metrics(synthetic::metrics(&state.fleet, at))
    }
}

/// Where `derive` spends its time: the two analysis passes, the TUI's own rows on top of them,
/// and the top view's filter and sort.
fn derive_parts(state: &mut State, runs: usize) {
    let fleet = &state.fleet;
    let (now, thresholds) = (state.now, &state.thresholds);
    let parts: [(&str, &dyn Fn()); 3] = [
        ("coverage::analyze", &|| drop(coverage::analyze(fleet, now))),
        ("hogs::analyze", &|| drop(hogs::analyze(fleet, thresholds))),
        ("Derived::compute (both + TUI rows)", &|| {
            drop(Derived::compute(fleet, thresholds, now))
        }),
    ];
    for (name, part) in parts {
        let mut samples: Vec<Duration> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                part();
                started.elapsed()
            })
            .collect();
        let (p50, p99, max) = percentiles(&mut samples);
        println!("| derive part: {name} | {p50:.2} | {p99:.2} | {max:.2} |");
    }
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            rows::refresh(state);
            started.elapsed()
        })
        .collect();
    let (p50, p99, max) = percentiles(&mut samples);
    println!("| derive part: rows::refresh (top view) | {p50:.2} | {p99:.2} | {max:.2} |");
}

fn main() -> anyhow::Result<()> {
    let args = parse_args();
    let epoch: Timestamp = "2025-01-01T00:00:00Z".parse()?;
    let started = Instant::now();
    let (mut state, pod) = loaded_state(epoch);
    println!(
        "herd TUI frame benchmark: {} nodes, {} DaemonSets, {} pods, {WIDTH}x{HEIGHT}; \
         loaded and derived in {:.1} s",
        state.fleet.nodes().len(),
        state.fleet.daemon_set_count(),
        state.fleet.pod_count(),
        started.elapsed().as_secs_f64()
    );
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;

    println!(
        "\n| screen ({} full frames) | p50 ms | p99 ms | max ms | ≤ 4 ms p99 |",
        args.frames
    );
    println!("|---|---|---|---|---|");
    for (name, actions) in screens(&state) {
        if !name.contains(args.only.as_str()) {
            continue;
        }
        for action in actions {
            update(&mut state, action);
        }
        let (p50, p99, max) = percentiles(&mut time_frames(&state, &mut terminal, args.frames));
        let verdict = if p99 <= 4.0 { "pass" } else { "MISS" };
        println!("| {name} | {p50:.2} | {p99:.2} | {max:.2} | {verdict} |");
    }

    println!(
        "\n| event to screen ({} pod updates) | p50 ms | p99 ms | max ms |",
        args.events
    );
    println!("|---|---|---|---|");
    let uid = pod.owner_uid.clone().unwrap_or_default();
    for (screen, view) in [
        ("Fleet", View::Fleet),
        ("DaemonSet detail", View::DaemonSet { uid }),
    ] {
        update(&mut state, Action::Show(view));
        let parts = time_to_screen(&mut state, &mut terminal, pod_flips(&pod), args.events);
        let names = ["apply event (update)", "derive", "draw", "compute total"];
        for (name, mut samples) in names.into_iter().zip(parts) {
            let (p50, p99, max) = percentiles(&mut samples);
            println!("| {screen}: {name} | {p50:.2} | {p99:.2} | {max:.2} |");
            if name == "compute total" {
                let delay = runtime::DERIVE_DELAY.as_secs_f64() * 1000.0;
                let (p50, p99) = (p50 + delay, p99 + delay);
                let verdict = if p99 <= 100.0 { "pass" } else { "MISS" };
                println!(
                    "| {screen}: event to screen (+{delay} ms coalescing) | {p50:.2} | \
                     {p99:.2} | ≤ 100 ms: {verdict} |"
                );
            }
        }
    }
    let polls = time_to_screen(&mut state, &mut terminal, metrics_polls(epoch), 10);
    let names = ["apply", "derive", "draw", "total"];
    for (name, mut samples) in names.into_iter().zip(polls) {
        let (p50, p99, max) = percentiles(&mut samples);
        println!("| metrics poll (every pod): {name} | {p50:.2} | {p99:.2} | {max:.2} |");
    }
    println!(
        "\n| full pass, for comparison ({} runs) | p50 ms | p99 ms | max ms |",
        args.events
    );
    println!("|---|---|---|---|");
    derive_parts(&mut state, args.events);
    Ok(())
}
