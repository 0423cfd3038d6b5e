//! The runtime without a terminal: connect, pump feed actions through `update` until the
//! state satisfies a condition. Screenshots, snapshot tests, recovery tests and benchmarks use
//! it, so they exercise the same connection, feeds and `update` as the TUI.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::app::action::Action;
use crate::app::runtime::{Connection, Options, initial_state};
use crate::app::state::State;
use crate::app::update::{self, update};

/// A state fed by a live connection, driven by the caller.
pub struct Headless {
    pub state: State,
    connection: Connection,
    tx: mpsc::Sender<Action>,
    rx: mpsc::Receiver<Action>,
    options: Options,
}

#[derive(Debug, thiserror::Error)]
#[error("gave up after {waited:?} waiting for {what}; feeds: {feeds}")]
pub struct Timeout {
    pub waited: Duration,
    pub what: String,
    pub feeds: String,
}

impl Headless {
    /// Connects as the TUI would, with a `width`×`height` screen.
    pub fn connect(options: Options, width: u16, height: u16) -> Self {
        let state = initial_state(&options, width, height);
        let (tx, rx) = mpsc::channel(4096);
        let mut connection = Connection::new(options.connect.clone(), options.metrics_every);
        connection.open(&tx, 0, None, state.session.watch_namespace.clone());
        Headless {
            state,
            connection,
            tx,
            rx,
            options,
        }
    }

    /// Applies an action as if the user or a feed sent it, running its effects.
    pub fn send(&mut self, action: Action) {
        for effect in update(&mut self.state, action) {
            super::effects::run(
                effect,
                &self.state,
                &mut self.connection,
                &self.tx,
                &self.options,
            );
        }
    }

    /// Pumps queued actions (and re-derives) until `done` holds or `limit` passes. The clock
    /// is the caller's: `now` is what the state's `now` is set to before each derive.
    pub async fn run_until(
        &mut self,
        what: &str,
        limit: Duration,
        now: impl Fn() -> Timestamp,
        done: impl Fn(&State) -> bool,
    ) -> Result<(), Timeout> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.state.stale_derived {
                self.state.now = now();
                update::derive(&mut self.state);
            }
            if done(&self.state) {
                return Ok(());
            }
            let next = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            match next {
                Ok(Some(action)) => self.send(action),
                Ok(None) | Err(_) => {
                    return Err(Timeout {
                        waited: limit,
                        what: what.to_string(),
                        feeds: format!("{:?}", self.state.session.feeds),
                    });
                }
            }
        }
    }

    /// Until every watch has listed once and metrics have answered (or said they cannot).
    pub async fn synced(
        &mut self,
        limit: Duration,
        now: impl Fn() -> Timestamp,
    ) -> Result<(), Timeout> {
        self.run_until("the first complete list", limit, now, |s| {
            s.session.synced()
                && s.session.connected.is_some()
                && !matches!(
                    s.fleet.metrics(),
                    crate::model::usage::MetricsState::Unknown
                )
                && s.held_metrics.is_none()
        })
        .await
    }
}
