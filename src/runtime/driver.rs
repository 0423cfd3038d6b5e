//! The runtime's moving parts around `update`: the state, the theme it is drawn in, the live
//! connection, and the two channels that feed `update`. The TUI loop and the headless runtime
//! both drive one, so tests and benchmarks carry out effects exactly as the TUI does.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Connection, Options, effects, initial_state};
use crate::ui::theme::Theme;
use herd_app::action::Action;
use herd_app::state::State;
use herd_app::update::update;
use herd_core::model::placement::PlacementSpec;

/// Feed events queued at most before the watch tasks wait: a flood applies back-pressure to the
/// watches instead of growing memory without bound.
pub const FEED_CAPACITY: usize = 4096;

/// What an effect's task reports back. Outcomes have their own unbounded channel: there is one
/// per thing the user asked for, and none may be lost when a flood of watch events fills the
/// bounded feed channel.
#[derive(Debug)]
pub enum Outcome {
    Action(Action),
    /// A theme read for `:theme`; the runtime keeps the theme and tells `update` its name.
    Theme(Result<Theme, String>),
    /// `E`: $EDITOR wants the terminal. The TUI loop steps aside for it; without a terminal
    /// (the headless runtime) the editor runs as it is.
    Editor(EditRequest),
}

#[derive(Debug)]
pub struct EditRequest {
    pub uid: Arc<str>,
    pub daemon_set: String,
    pub base: PlacementSpec,
}

impl EditRequest {
    /// Runs the edit (blocking) and says what came of it.
    pub fn run(self) -> Action {
        let result = super::editor::edit_targeting(&self.daemon_set, &self.base);
        Action::TargetEdited {
            uid: self.uid,
            base: self.base,
            result,
        }
    }
}

pub struct Driver {
    pub state: State,
    pub theme: Theme,
    pub feeds: mpsc::Receiver<Action>,
    pub outcomes: mpsc::UnboundedReceiver<Outcome>,
    feed_tx: mpsc::Sender<Action>,
    outcome_tx: mpsc::UnboundedSender<Outcome>,
    connection: Connection,
    options: Options,
}

impl Driver {
    /// Connects as the TUI does, with a `width`×`height` screen.
    pub fn connect(options: Options, width: u16, height: u16) -> Self {
        let state = initial_state(&options, width, height);
        let (feed_tx, feeds) = mpsc::channel(FEED_CAPACITY);
        let (outcome_tx, outcomes) = mpsc::unbounded_channel();
        let mut connection =
            Connection::new(options.connect.clone(), options.metrics_every, options.pods);
        connection.open(&feed_tx, 0, None, state.session.watch_namespace.clone());
        let theme = themed(&options.theme, options.monochrome);
        Driver {
            state,
            theme,
            feeds,
            outcomes,
            feed_tx,
            outcome_tx,
            connection,
            options,
        }
    }

    /// Applies an action as if the user or a feed sent it, and carries out its effects.
    pub fn send(&mut self, action: Action) {
        for effect in update(&mut self.state, action) {
            let context = effects::Context {
                state: &self.state,
                connection: &mut self.connection,
                feeds: &self.feed_tx,
                outcomes: &self.outcome_tx,
                options: &self.options,
            };
            effects::run(effect, context);
        }
    }

    /// Takes in what an effect reported.
    pub fn apply(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Action(action) => self.send(action),
            Outcome::Theme(Ok(theme)) => {
                let name = theme.name().to_string();
                self.theme = themed(&theme, self.options.monochrome);
                self.send(Action::ThemeLoaded(Ok(name)));
            }
            Outcome::Theme(Err(e)) => self.send(Action::ThemeLoaded(Err(e))),
            Outcome::Editor(request) => {
                let outcomes = self.outcome_tx.clone();
                tokio::task::spawn_blocking(move || {
                    effects::report(&outcomes, Outcome::Action(request.run()));
                });
            }
        }
    }

    /// The sending side of the feed channel, as the watch tasks hold it (tests fill it).
    pub fn feed_sender(&self) -> mpsc::Sender<Action> {
        self.feed_tx.clone()
    }
}

/// NO_COLOR / `--no-color` make every theme monochrome, the one at start and any switched to.
fn themed(theme: &Theme, monochrome: bool) -> Theme {
    if monochrome {
        theme.monochrome()
    } else {
        theme.clone()
    }
}
