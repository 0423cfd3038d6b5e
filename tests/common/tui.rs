//! The TUI against a served simulator, without a terminal: a `Headless` runtime connected
//! through the kubeconfig the simulator wrote, and frames rendered into ratatui's TestBackend.

use std::time::Duration;

use herd::runtime::Driver;
use herd::runtime::Options;
use herd::runtime::headless::Headless;
use herd::ui::theme::Theme;
use herd_app::state::State;
use herd_cluster::connect::ConnectOptions;
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::server::{DEADLINE, TestSim};

/// Options the TUI would get for this simulator's kubeconfig.
pub fn options(sim: &TestSim) -> Options {
    Options {
        connect: ConnectOptions {
            kubeconfig: Some(sim.kubeconfig.clone()),
            context: None,
            compression: herd_cluster::connect::Compression::Auto,
        },
        namespace: None,
        readonly: false,
        theme: Theme::default(),
        monochrome: false,
        metrics_every: Duration::from_secs(1),
        mouse: false,
        pods: herd_cluster::watch::PodScope::Daemon,
    }
}

/// When the frozen demo's fleet is built. Usage is a function of simulated time, so a fixed
/// start gives the same figures (and timestamps in YAML and events) on every run.
pub fn frozen_start() -> Timestamp {
    "2025-06-01T12:00:00Z".parse().expect("timestamp")
}

/// The `demo` scenario with its clock stopped at a fixed time, so ages, usage and states
/// stay put.
pub async fn frozen_demo() -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
        o.start = Some(frozen_start());
    })
    .await
}

/// The simulator's clock, so ages on screen are the same on every run.
pub fn sim_now(sim: &TestSim) -> impl Fn() -> Timestamp + use<> {
    let world = sim.handle.world.clone();
    move || world.lock().now()
}

/// A headless TUI on `sim`, synced: every watch listed and metrics answered.
pub async fn synced(sim: &TestSim, width: u16, height: u16) -> Headless {
    synced_with(sim, options(sim), width, height).await
}

/// `synced` with the caller's options (read-only, monochrome, metrics interval...).
pub async fn synced_with(sim: &TestSim, options: Options, width: u16, height: u16) -> Headless {
    let mut tui = Headless::connect(options, width, height);
    tui.synced(DEADLINE, sim_now(sim))
        .await
        .expect("the TUI syncs with the simulator");
    tui
}

/// One frame of the TUI's state in its theme, cells and styles, as the terminal would receive it.
pub fn buffer(tui: &Driver) -> Buffer {
    buffer_in(&tui.state, &tui.theme)
}

fn buffer_in(state: &State, theme: &Theme) -> Buffer {
    let backend = TestBackend::new(state.ui.width, state.ui.height);
    let mut terminal = Terminal::new(backend).expect("test terminal");
    terminal
        .draw(|f| herd::ui::render(state, theme, f))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// One frame as text, a line per terminal row.
pub fn frame(tui: &Driver) -> String {
    text(&buffer(tui))
}

/// The text of a frame of `state` (the theme only colours it), for conditions on the state.
pub fn state_frame(state: &State) -> String {
    text(&buffer_in(state, &Theme::default()))
}

fn text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width)
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
