//! The one `select!` loop: terminal input, feed actions, a 1 s tick and the coalesced
//! re-derive go in as Actions; `update` runs; Effects go out; a frame is drawn only when
//! something changed.

mod connection;
mod effects;
pub mod headless;

use std::time::Duration;

use crossterm::event::{Event, EventStream, MouseButton, MouseEventKind};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::action::Action;
use crate::app::state::State;
use crate::app::update::{self, update};
use crate::app::view::Motion;
use crate::cluster::connect::ConnectOptions;
use crate::tui::Tui;
use crate::ui::{self, keymap, theme::Theme};

pub use self::connection::Connection;

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
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    // A kubeconfig that cannot be read, or lacks the context, is for the user to fix: say so on
    // the plain terminal and exit non-zero, rather than open a screen that can only show it.
    // (A cluster that does not answer is different: the TUI opens and shows it as stale.)
    crate::cluster::session::open(&options.connect).await?;
    let mut tui = Tui::enter(options.mouse)?;
    let result = run_loop(&mut tui, options).await;
    drop(tui);
    result
}

pub(crate) fn initial_state(options: &Options, width: u16, height: u16) -> State {
    let theme = if options.monochrome {
        options.theme.monochrome()
    } else {
        options.theme.clone()
    };
    let mut state = State::new(theme, options.readonly, Timestamp::now());
    state.theme_is_monochrome = options.monochrome;
    state.ui.width = width;
    state.ui.height = height;
    let ns = options.namespace.as_deref().map(std::sync::Arc::from);
    state.session.watch_namespace = ns.clone();
    state.ui.namespace = ns;
    state
}

async fn run_loop(tui: &mut Tui, options: Options) -> anyhow::Result<()> {
    let size = tui.terminal.size()?;
    let mut state = initial_state(&options, size.width, size.height);
    let (tx, mut rx) = mpsc::channel::<Action>(4096);
    let mut connection = Connection::new(options.connect.clone(), options.metrics_every);
    connection.open(&tx, 0, None, state.session.watch_namespace.clone());
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut derive_at: Option<Instant> = None;
    loop {
        if state.stale_derived && derive_at.is_none() {
            derive_at = Some(Instant::now() + DERIVE_DELAY);
        }
        // While analysis is pending, the frame waits for it rather than drawing old figures.
        if state.dirty && !state.stale_derived {
            tui.terminal.draw(|frame| ui::render(&state, frame))?;
            state.dirty = false;
        }
        let action = tokio::select! {
            Some(action) = rx.recv() => Some(action),
            Some(event) = input.next() => from_terminal(event?, &state),
            _ = tick.tick() => Some(Action::Tick(Timestamp::now())),
            _ = tokio::time::sleep_until(derive_at.unwrap_or_else(Instant::now)), if derive_at.is_some() => {
                derive_at = None;
                state.now = Timestamp::now();
                update::derive(&mut state);
                None
            }
        };
        if let Some(action) = action {
            step(&mut state, action, &mut connection, &tx, &options);
        }
        let mut drained = 0;
        while drained < DRAIN_LIMIT
            && let Ok(action) = rx.try_recv()
        {
            step(&mut state, action, &mut connection, &tx, &options);
            drained += 1;
        }
        if state.quit {
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

fn step(
    state: &mut State,
    action: Action,
    connection: &mut Connection,
    tx: &mpsc::Sender<Action>,
    options: &Options,
) {
    for effect in update(state, action) {
        effects::run(effect, state, connection, tx, options);
    }
}
