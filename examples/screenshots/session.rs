//! A demo simulator served on loopback and a headless herd TUI connected to it through the
//! kubeconfig it wrote, driven by key presses through the keymap as a user would drive it.

use std::time::Duration;

use anyhow::{Context, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use herd::runtime::Options;
use herd::runtime::headless::Headless;
use herd::ui::keymap;
use herd::ui::theme::Theme;
use herd_app::action::Action;
use herd_app::state::State;
use herd_cluster::connect::ConnectOptions;
use herd_sim::server::{self, ServerOptions, SimHandle};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use tempfile::TempDir;
use tokio::time::Instant;

/// How long any one wait may take before the run gives up with what it was waiting for.
pub const DEADLINE: Duration = Duration::from_secs(90);
/// Simulated seconds per real second: metrics samples differ from poll to poll, so the
/// sparklines have shape after a few seconds, while the demo's state stays what it was built as.
const SPEED: f64 = 20.0;
/// How often the runtime ticks (ages, flash expiry).
const TICK: Duration = Duration::from_secs(1);
/// Upper bound on `j` presses while looking for a row, well above any demo list.
const MAX_MOVES: usize = 200;

pub struct Session {
    pub tui: Headless,
    pub sim: SimHandle,
    _dir: TempDir,
}

impl Session {
    /// Starts the `demo` simulator and connects a `width`×`height` TUI to it, synced.
    pub async fn start(width: u16, height: u16) -> anyhow::Result<Self> {
        // Owner-only whatever the umask, as the simulator's kubeconfig needs.
        let dir = herd_sim::private_file::fresh_private_dir("herd-screenshots-")
            .context("creating a temporary directory")?;
        let kubeconfig = dir.path().join("kubeconfig");
        let sim = server::start(ServerOptions {
            scenario: "demo".into(),
            kubeconfig: Some(kubeconfig.clone()),
            speed: SPEED,
            ..ServerOptions::default()
        })
        .await
        .context("starting the demo simulator")?;
        let options = Options {
            connect: ConnectOptions {
                kubeconfig: Some(kubeconfig.clone()),
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
        };
        let mut session = Session {
            tui: Headless::connect(options, width, height),
            sim,
            _dir: dir,
        };
        let now = session.clock();
        session.tui.synced(DEADLINE, now).await?;
        Ok(session)
    }

    /// The simulator's clock, so ages on screen agree with the cluster's timestamps.
    fn clock(&self) -> impl Fn() -> Timestamp + use<> {
        let world = self.sim.world.clone();
        move || world.lock().now()
    }

    /// Pumps feeds until `done` holds (re-deriving first), or fails after [`DEADLINE`].
    pub async fn wait(&mut self, what: &str, done: impl Fn(&State) -> bool) -> anyhow::Result<()> {
        let now = self.clock();
        self.tui.run_until(what, DEADLINE, now, done).await?;
        Ok(())
    }

    /// Lets the runtime tick, with feeds flowing, until the flash line has expired and the
    /// footer shows the key hints again, as it does a few seconds after any notice.
    pub async fn quiet(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + DEADLINE;
        let now = self.clock();
        loop {
            self.tui.send(Action::Tick(now()));
            if self.tui.state.ui.flash.is_none() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("the flash line did not clear within {DEADLINE:?}");
            }
            // Nothing is awaited but the tick: this only runs the feeds for one tick's time.
            let _ = self
                .tui
                .run_until("a tick", TICK / 4, &now, |_| false)
                .await;
        }
    }

    /// Presses each key in turn; a key that means nothing where it is pressed is an error,
    /// since the screenshot would silently show the wrong screen.
    pub async fn press(&mut self, keys: &[KeyEvent]) -> anyhow::Result<()> {
        for &key in keys {
            let Some(action) = keymap::action_for(key, &self.tui.state) else {
                bail!(
                    "{key:?} does nothing on the {} screen",
                    self.tui.state.ui.page().view.title()
                );
            };
            self.tui.send(action);
            // Re-derive before the next key reads the state, as the runtime does between frames.
            self.wait("the screen to update", |_| true).await?;
        }
        Ok(())
    }

    /// Types `text` one character at a time (a `/` filter or a `:` command).
    pub async fn type_text(&mut self, text: &str) -> anyhow::Result<()> {
        let keys: Vec<KeyEvent> = text.chars().map(|c| key(KeyCode::Char(c))).collect();
        self.press(&keys).await
    }

    /// Goes to the top of the list and presses `j` until `wanted` holds for the selection.
    pub async fn select(
        &mut self,
        what: &str,
        wanted: impl Fn(&State) -> bool,
    ) -> anyhow::Result<()> {
        self.press(&[key(KeyCode::Char('g'))]).await?;
        for _ in 0..MAX_MOVES {
            if wanted(&self.tui.state) {
                return Ok(());
            }
            let before = self.tui.state.ui.page().cursor;
            self.press(&[key(KeyCode::Char('j'))]).await?;
            if self.tui.state.ui.page().cursor == before {
                break;
            }
        }
        bail!("no row for {what} on the {} screen", self.view_title())
    }

    fn view_title(&self) -> &'static str {
        self.tui.state.ui.page().view.title()
    }

    /// The frame the TUI draws now, through the same `render` the terminal gets.
    pub fn frame(&self) -> anyhow::Result<Buffer> {
        let (state, theme) = (&self.tui.state, &self.tui.theme);
        let mut terminal = Terminal::new(TestBackend::new(state.ui.width, state.ui.height))
            .context("creating the test terminal")?;
        terminal
            .draw(|f| herd::ui::render(state, theme, f))
            .context("drawing a frame")?;
        Ok(terminal.backend().buffer().clone())
    }

    pub async fn stop(self) {
        // The TUI first: alive, its watches would reconnect as the server drops them, and the
        // server's graceful shutdown would wait for them to time out.
        let Session { tui, sim, _dir } = self;
        drop(tui);
        sim.shutdown().await;
    }
}

/// A key press without modifiers.
pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}
