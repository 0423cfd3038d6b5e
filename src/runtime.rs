//! The one `select!` loop: terminal input, feed actions, effect outcomes, a 1 s tick and the
//! coalesced re-derive go in as Actions; `update` runs; Effects go out; a frame is drawn only
//! when something changed.

mod connection;
mod driver;
mod editor;
mod effects;
pub mod headless;
mod logs;
mod rollouts;
mod signals;
mod targets;

use std::time::Duration;

use crossterm::event::{Event, EventStream, MouseButton, MouseEventKind};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::time::Instant;

use crate::tui::Tui;
use crate::ui::{self, keymap, theme::Theme};
use herd_app::action::Action;
use herd_app::state::{State, Themes};
use herd_app::update;
use herd_app::view::Motion;
use herd_cluster::connect::ConnectOptions;

pub use self::connection::Connection;
pub use self::driver::{Driver, Outcome};

/// How long fleet changes are gathered before analysis runs again: a burst of watch events
/// costs one pass, and event-to-screen stays well under 100 ms.
pub const DERIVE_DELAY: Duration = Duration::from_millis(40);
/// Actions handled between two frames at most, so input stays responsive during a flood.
const DRAIN_LIMIT: usize = 20_000;

#[derive(Debug, Clone)]
pub struct Options {
    pub connect: ConnectOptions,
    /// `-n`: watch only this namespace.
    pub namespace: Option<String>,
    pub readonly: bool,
    pub theme: Theme,
    /// NO_COLOR / --no-color / TERM=dumb.
    pub monochrome: bool,
    pub metrics_every: Duration,
    /// Mouse capture: wheel scrolls, click selects, a second click opens.
    pub mouse: bool,
    /// Which pods to watch: the DaemonSets' only (the default), or every pod (`--all-pods`).
    pub pods: herd_cluster::watch::PodScope,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    // A kubeconfig that cannot be read, or lacks the context, is for the user to fix: say so on
    // the plain terminal and exit non-zero, rather than open a screen that can only show it.
    // (A cluster that does not answer is different: the TUI opens and shows it as stale.)
    herd_cluster::session::open(&options.connect).await?;
    let mut tui = Tui::enter(options.mouse)?;
    let result = run_loop(&mut tui, options).await;
    drop(tui);
    result
}

pub(crate) fn initial_state(options: &Options, width: u16, height: u16) -> State {
    let themes = Themes {
        current: options.theme.name().to_string(),
        builtin: Theme::BUILTIN.iter().map(|name| name.to_string()).collect(),
    };
    let mut state = State::new(themes, options.readonly, Timestamp::now());
    state.ui.width = width;
    state.ui.height = height;
    let ns = options.namespace.as_deref().map(std::sync::Arc::from);
    state.session.watch_namespace = ns.clone();
    state.ui.namespace = ns;
    state
}

async fn run_loop(tui: &mut Tui, options: Options) -> anyhow::Result<()> {
    let size = tui.terminal.size()?;
    let mut driver = Driver::connect(options, size.width, size.height);
    let mut signals = signals::Signals::listen()?;
    let mut input = EventStream::new();
    let mut editor: Option<driver::EditRequest> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut derive_at: Option<Instant> = None;
    let mut was_synced = false;
    loop {
        if driver.state.stale_derived && derive_at.is_none() {
            // The moment every watch has first listed is the first complete screen: nothing
            // else is on its way to coalesce with, so it is analysed at once.
            let first_sync = !was_synced && driver.state.session.synced();
            let delay = if first_sync {
                Duration::ZERO
            } else {
                DERIVE_DELAY
            };
            derive_at = Some(Instant::now() + delay);
        }
        was_synced = driver.state.session.synced();
        // While analysis is pending, the frame waits for it rather than drawing old figures.
        if driver.state.dirty && !driver.state.stale_derived {
            tui.terminal
                .draw(|frame| ui::render(&driver.state, &driver.theme, frame))?;
            driver.state.dirty = false;
        }
        tokio::select! {
            Some(outcome) = driver.outcomes.recv() => match outcome {
                Outcome::Editor(request) => editor = Some(request),
                other => driver.apply(other),
            },
            Some(action) = driver.feeds.recv() => driver.send(action),
            Some(event) = input.next() => {
                if let Some(action) = from_terminal(event?, &driver.state) {
                    driver.send(action);
                }
            }
            _ = tick.tick() => driver.send(Action::Tick(Timestamp::now())),
            _ = signals.arrived() => return Ok(()),
            _ = tokio::time::sleep_until(derive_at.unwrap_or_else(Instant::now)), if derive_at.is_some() => {
                derive_at = None;
                driver.state.now = Timestamp::now();
                update::derive(&mut driver.state);
            }
        }
        if let Some(request) = editor.take() {
            // The editor needs the keyboard: the input stream is dropped first (its reader
            // would take the editor's keys), the terminal given back, then taken again.
            drop(input);
            tui.suspend()?;
            let action = tokio::task::spawn_blocking(move || request.run()).await?;
            tui.resume()?;
            input = EventStream::new();
            driver.send(action);
        }
        let mut drained = 0;
        while drained < DRAIN_LIMIT
            && let Ok(action) = driver.feeds.try_recv()
        {
            driver.send(action);
            drained += 1;
        }
        if driver.state.quit {
            return Ok(());
        }
    }
}

fn from_terminal(event: Event, state: &State) -> Option<Action> {
    match event {
        Event::Key(key) => keymap::action_for(key, state),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollDown => Some(Action::Move(Motion::Down)),
            MouseEventKind::ScrollUp => Some(Action::Move(Motion::Up)),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click { row: mouse.row }),
            _ => None,
        },
        _ => None,
    }
}
