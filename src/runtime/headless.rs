//! The runtime without a terminal: connect, pump feed actions through `update` until the
//! state satisfies a condition. Screenshots, snapshot tests, recovery tests and benchmarks use
//! it, so they exercise the same connection, feeds and `update` as the TUI.

use std::time::Duration;

use jiff::Timestamp;

use crate::runtime::{Driver, Options};
use herd_app::action::Action;
use herd_app::state::State;
use herd_app::update;

/// A state fed by a live connection, driven by the caller. It reads as its `Driver`
/// (`tui.state`, `tui.theme`).
pub struct Headless {
    driver: Driver,
}

impl std::ops::Deref for Headless {
    type Target = Driver;

    fn deref(&self) -> &Driver {
        &self.driver
    }
}

impl std::ops::DerefMut for Headless {
    fn deref_mut(&mut self) -> &mut Driver {
        &mut self.driver
    }
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
        Headless {
            driver: Driver::connect(options, width, height),
        }
    }

    /// Applies an action as if the user or a feed sent it, running its effects.
    pub fn send(&mut self, action: Action) {
        self.driver.send(action);
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
            let driver = &mut self.driver;
            if driver.state.stale_derived {
                driver.state.now = now();
                update::derive(&mut driver.state);
            }
            if done(&driver.state) {
                return Ok(());
            }
            // Outcomes first, as the TUI loop takes them: they answer the user.
            let next = tokio::time::timeout_at(deadline, async {
                tokio::select! {
                    biased;
                    Some(outcome) = driver.outcomes.recv() => Some(Next::Outcome(outcome)),
                    Some(action) = driver.feeds.recv() => Some(Next::Feed(action)),
                    else => None,
                }
            })
            .await;
            match next {
                Ok(Some(Next::Outcome(outcome))) => driver.apply(outcome),
                Ok(Some(Next::Feed(action))) => driver.send(action),
                Ok(None) | Err(_) => {
                    return Err(Timeout {
                        waited: limit,
                        what: what.to_string(),
                        feeds: format!("{:?}", driver.state.session.feeds),
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
                    herd_core::model::usage::MetricsState::Unknown
                )
                && s.held_metrics.is_none()
        })
        .await
    }
}

enum Next {
    Outcome(super::Outcome),
    Feed(Action),
}
