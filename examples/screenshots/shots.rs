//! The screenshots themselves: which keys lead to each screen, what to wait for before the
//! frame is worth taking, and the palette of the terminal it is shown in.

use std::path::{Path, PathBuf};

use anyhow::Context;
use crossterm::event::KeyCode;
use herd_app::selection;
use herd_app::state::State;
use herd_app::view::{Fetched, View};

use crate::raster::{self, Palette};
use crate::session::{Session, key};

/// The demo DaemonSets the screens are about: the security agent that forgot the GPU
/// toleration, the crash-looping release stuck mid-rollout, and the memory hog.
const FALCO: &str = "falco";
const BROKEN: &str = "node-problem-detector";
const STORAGE: &str = "csi-rbdplugin";
const HOG: (&str, &str) = ("observability", "otel-agent");
/// Metrics samples each hog pod needs before its sparklines have shape (a full history).
const SAMPLES: usize = herd_core::model::usage::USAGE_HISTORY;

/// Takes every screenshot into `dir`, returning the files written in order.
pub async fn take_all(session: &mut Session, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut shots = Shots {
        session,
        dir,
        written: Vec::new(),
    };
    shots.wait_for_samples().await?;
    shots.fleet().await?;
    shots.daemon_set().await?;
    shots.nodes().await?;
    shots.hogs().await?;
    shots.rollout_dialog().await?;
    shots.targeting_editor().await?;
    shots.node_edit().await?;
    shots.stage_choice().await?;
    shots.fetched().await?;
    shots.themes().await?;
    Ok(shots.written)
}

struct Shots<'a> {
    session: &'a mut Session,
    dir: &'a Path,
    written: Vec<PathBuf>,
}

impl Shots<'_> {
    async fn wait_for_samples(&mut self) -> anyhow::Result<()> {
        self.session
            .wait("metrics history for the hog's sparklines", hog_has_history)
            .await
    }

    async fn shoot(&mut self, name: &str, palette: &Palette) -> anyhow::Result<()> {
        self.session.quiet().await?;
        let path = self.dir.join(format!("{name}.png"));
        let buffer = self.session.frame()?;
        raster::buffer_to_png(&buffer, palette, &path)?;
        self.written.push(path);
        Ok(())
    }

    /// Back to the fleet screen with no filter, as `esc` pressed until nothing is left to leave.
    async fn home(&mut self) -> anyhow::Result<()> {
        // Each view takes at most two: one to clear its filter, one to leave it.
        for _ in 0..2 * self.session.tui.state.ui.stack.len() {
            if self.session.tui.state.ui.stack.len() == 1 {
                break;
            }
            self.session.press(&[key(KeyCode::Esc)]).await?;
        }
        if self.session.tui.state.ui.stack.len() > 1 {
            anyhow::bail!("esc did not lead back to the fleet screen");
        }
        self.session.press(&[key(KeyCode::Char('g'))]).await
    }

    async fn command(&mut self, command: &str) -> anyhow::Result<()> {
        self.session.type_text(&format!(":{command}")).await?;
        self.session.press(&[key(KeyCode::Enter)]).await
    }

    async fn select_daemon_set(&mut self, name: &str) -> anyhow::Result<()> {
        self.session
            .select(name, |s| selected_daemon_set_is(s, name))
            .await
    }

    async fn fleet(&mut self) -> anyhow::Result<()> {
        self.shoot("fleet", &Palette::dark()).await?;
        self.press_key(KeyCode::Char('?')).await?;
        self.shoot("help", &Palette::dark()).await?;
        self.press_key(KeyCode::Char('?')).await
    }

    /// falco's nodes problems-first (the ⊗ taint-blocked GPU nodes on top), a GPU node's
    /// reasons, and falco's coverage map by pool.
    async fn daemon_set(&mut self) -> anyhow::Result<()> {
        self.select_daemon_set(FALCO).await?;
        self.press_key(KeyCode::Enter).await?;
        self.shoot("daemonset-falco", &Palette::dark()).await?;
        self.session
            .select("a GPU node", |s| {
                selected_ds_node(s).is_some_and(|n| n.starts_with("gpu-"))
            })
            .await?;
        self.press_key(KeyCode::Enter).await?;
        self.session
            .select(FALCO, |s| selected_daemon_set_is(s, FALCO))
            .await?;
        // The node's other pods are read as the page opens.
        self.session
            .wait("the node's other pods", |s| match &s.ui.page().view {
                View::Node { name } => s.fleet.others_on(name).is_some(),
                _ => false,
            })
            .await?;
        self.shoot("node-gpu", &Palette::dark()).await?;
        self.press_key(KeyCode::Esc).await?;
        self.press_key(KeyCode::Char('m')).await?;
        self.shoot("coverage-map", &Palette::dark()).await?;
        self.home().await
    }

    async fn nodes(&mut self) -> anyhow::Result<()> {
        self.command("nodes").await?;
        self.shoot("nodes", &Palette::dark()).await?;
        self.home().await
    }

    /// The managed-rollout dialog on fluent-bit: a new image, two canaries, a pause after
    /// them, and the plan it would follow. Nothing is started (esc).
    async fn rollout_dialog(&mut self) -> anyhow::Result<()> {
        self.select_daemon_set("fluent-bit").await?;
        self.press_key(KeyCode::Enter).await?;
        self.press_key(KeyCode::Char('R')).await?;
        for _ in 0.."3.2.4".len() {
            self.press_key(KeyCode::Backspace).await?;
        }
        self.session.type_text("3.3").await?;
        self.press_key(KeyCode::Tab).await?;
        for _ in 0.."10%".len() {
            self.press_key(KeyCode::Backspace).await?;
        }
        self.session.type_text("25%").await?;
        self.press_key(KeyCode::Tab).await?;
        self.session.type_text("2").await?;
        self.press_key(KeyCode::Tab).await?;
        self.session.type_text("canary,50%").await?;
        self.shoot("rollout-dialog", &Palette::dark()).await?;
        self.press_key(KeyCode::Esc).await?;
        self.home().await
    }

    /// The quick fix on falco's first GPU node, opened in the targeting editor.
    async fn targeting_editor(&mut self) -> anyhow::Result<()> {
        self.select_daemon_set(FALCO).await?;
        self.press_key(KeyCode::Enter).await?;
        self.session
            .select("a GPU node", |s| {
                selected_ds_node(s).is_some_and(|n| n.starts_with("gpu-"))
            })
            .await?;
        self.press_key(KeyCode::Char('f')).await?;
        self.press_key(KeyCode::Enter).await?;
        self.shoot("targeting-editor", &Palette::dark()).await?;
        self.press_key(KeyCode::Esc).await?;
        self.home().await
    }

    /// Two GPU nodes marked on the nodes screen, and their taint taken off in the node edit:
    /// falco gains both. Nothing is applied (esc).
    async fn node_edit(&mut self) -> anyhow::Result<()> {
        self.command("nodes").await?;
        self.session.type_text("/gpu-0").await?;
        self.press_key(KeyCode::Enter).await?;
        self.press_key(KeyCode::Char(' ')).await?;
        self.press_key(KeyCode::Char(' ')).await?;
        self.press_key(KeyCode::Char('t')).await?;
        self.session.type_text("untaint nv").await?;
        self.press_key(KeyCode::Right).await?;
        self.shoot("node-edit", &Palette::dark()).await?;
        self.press_key(KeyCode::Esc).await?;
        self.press_key(KeyCode::Esc).await?;
        self.home().await
    }

    /// csi-rbdplugin's storage-only nodeSelector cleared: 34 nodes gain it, and herd offers to
    /// stage the edit. Nothing is applied (esc twice).
    async fn stage_choice(&mut self) -> anyhow::Result<()> {
        self.select_daemon_set(STORAGE).await?;
        self.press_key(KeyCode::Enter).await?;
        self.press_key(KeyCode::Char('T')).await?;
        for _ in 0.."node-role.herd.dev/storage=true".len() {
            self.press_key(KeyCode::Backspace).await?;
        }
        self.press_key(KeyCode::Enter).await?;
        self.shoot("stage-choice", &Palette::dark()).await?;
        self.press_key(KeyCode::Esc).await?;
        self.press_key(KeyCode::Esc).await?;
        self.home().await
    }

    async fn hogs(&mut self) -> anyhow::Result<()> {
        self.command("hogs").await?;
        self.shoot("hogs", &Palette::dark()).await?;
        self.home().await
    }

    /// The broken release's history (two revisions, so there is a diff) and its events.
    async fn fetched(&mut self) -> anyhow::Result<()> {
        self.select_daemon_set(BROKEN).await?;
        self.press_key(KeyCode::Char('H')).await?;
        self.session.wait("the revision history", loaded).await?;
        check_loaded(&self.session.tui.state)?;
        self.shoot("history", &Palette::dark()).await?;
        self.home().await?;
        self.select_daemon_set(BROKEN).await?;
        self.press_key(KeyCode::Char('e')).await?;
        self.session.wait("the events", loaded).await?;
        check_loaded(&self.session.tui.state)?;
        // Events list oldest first, as kubectl does: the rollout's are at the bottom.
        self.press_key(KeyCode::Char('G')).await?;
        self.shoot("events", &Palette::dark()).await?;
        self.home().await
    }

    async fn themes(&mut self) -> anyhow::Result<()> {
        for (theme, name, palette) in [
            ("light", "light-theme", Palette::light()),
            ("colour-blind", "colour-blind", Palette::dark()),
        ] {
            self.command(&format!("theme {theme}")).await?;
            self.session
                .wait(&format!("the {theme} theme"), |s| s.theme.current == theme)
                .await?;
            self.shoot(name, &palette).await?;
        }
        self.command("theme default").await
    }

    async fn press_key(&mut self, code: KeyCode) -> anyhow::Result<()> {
        self.session.press(&[key(code)]).await
    }
}

fn selected_daemon_set_is(state: &State, name: &str) -> bool {
    selection::selected_daemon_set(state)
        .and_then(|uid| state.fleet.daemon_set(&uid))
        .is_some_and(|ds| &*ds.name == name)
}

/// The node of the selected row on a DaemonSet screen.
fn selected_ds_node(state: &State) -> Option<&str> {
    let page = state.ui.page();
    let View::DaemonSet { uid } = &page.view else {
        return None;
    };
    let row = state.derived.coverage_of(uid)?.rows.get(page.selected()?)?;
    Some(&row.node)
}

fn loaded(state: &State) -> bool {
    !matches!(state.ui.page().fetched, Fetched::Loading)
}

/// Every pod of the hog DaemonSet has a full metrics history.
fn hog_has_history(state: &State) -> bool {
    let fleet = &state.fleet;
    let Some(ds) = fleet.daemon_set_named(HOG.0, HOG.1) else {
        return false;
    };
    let mut pods = fleet
        .pods()
        .filter(|(_, p)| p.owner_uid.as_deref() == Some(&*ds.uid))
        .peekable();
    pods.peek().is_some()
        && pods.all(|(id, _)| fleet.usage_history(id).is_some_and(|h| h.len() >= SAMPLES))
}

/// Where the screenshots go unless told otherwise: the repository's `screenshots/`.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots")
}

/// The fetched view failed to load rather than loaded: worth a clear error, not a picture of it.
fn check_loaded(state: &State) -> anyhow::Result<()> {
    if let Fetched::Failed(message) = &state.ui.page().fetched {
        return Err(anyhow::anyhow!(message.clone()))
            .with_context(|| format!("loading the {} screen", state.ui.page().view.title()));
    }
    Ok(())
}
