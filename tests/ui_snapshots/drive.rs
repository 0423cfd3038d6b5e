//! Drives the headless TUI the way a user does: key presses go through the real key table
//! (`keymap::action_for`), fetched views are waited for, frames are read back as text.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use herd::runtime::Options;
use herd::runtime::headless::Headless;
use herd::ui::keymap::action_for;
use herd_app::view::{Fetched, View};

use crate::common::server::{DEADLINE, TestSim};
use crate::common::tui::{self, frozen_demo, sim_now, synced_with};

/// The frozen demo cluster and a TUI synced to it.
pub struct Screen {
    pub sim: TestSim,
    pub tui: Headless,
}

impl Screen {
    /// A `width`×`height` TUI on the frozen demo, with `edit` applied to its options. Metrics
    /// are polled once: every poll adds a sample to the sparklines, so more would make the
    /// hogs screen depend on how long the test ran.
    pub async fn open(width: u16, height: u16, edit: impl FnOnce(&mut Options)) -> Screen {
        let sim = frozen_demo().await;
        let mut options = tui::options(&sim);
        options.metrics_every = Duration::from_secs(24 * 3600);
        edit(&mut options);
        let tui = synced_with(&sim, options, width, height).await;
        let mut screen = Screen { sim, tui };
        screen.expire_flash();
        screen
    }

    /// Lets the flash line's time pass so the footer shows the key hints, then sets the clock
    /// back to the simulator's so ages stay as they were.
    pub fn expire_flash(&mut self) {
        if let Some(until) = self.tui.state.ui.flash.as_ref().map(|f| f.until) {
            self.tui.send(herd_app::Action::Tick(until));
        }
        self.tui.send(herd_app::Action::Tick(sim_now(&self.sim)()));
    }

    pub async fn demo() -> Screen {
        Screen::open(120, 36, |_| {}).await
    }

    /// The frame on screen now, as text.
    pub fn text(&self) -> String {
        tui::frame(&self.tui)
    }

    /// The line of the screen that contains `needle`.
    pub fn line_with(&self, needle: &str) -> String {
        let text = self.text();
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
            .to_string()
    }

    /// What `event` means here, per the key table; `None` when it is unbound.
    pub fn action(&self, event: KeyEvent) -> Option<herd_app::Action> {
        action_for(event, &self.tui.state)
    }

    /// Presses a key that must be bound here.
    pub fn press(&mut self, event: KeyEvent) {
        let action = self.action(event).unwrap_or_else(|| {
            panic!(
                "{event:?} does nothing on {:?}",
                self.tui.state.ui.page().view
            )
        });
        self.tui.send(action);
    }

    /// Presses a character key (uppercase with shift, as terminals send it).
    pub fn key(&mut self, c: char) {
        self.press(char_key(c));
    }

    pub fn special(&mut self, code: KeyCode) {
        self.press(KeyEvent::new(code, KeyModifiers::NONE));
    }

    /// Types each character of `text`, as into a prompt.
    pub fn type_text(&mut self, text: &str) {
        text.chars().for_each(|c| self.key(c));
    }

    /// `:command⏎`.
    pub fn command(&mut self, line: &str) {
        self.key(':');
        self.type_text(line);
        self.special(KeyCode::Enter);
    }

    /// Presses `j` until the selected row is the one `name_of` calls `name`.
    fn select(&mut self, name: &str, name_of: impl Fn(&Headless, usize) -> Option<String>) {
        for _ in 0..=self.tui.state.ui.page().rows.len() {
            let page = self.tui.state.ui.page();
            if page
                .selected()
                .and_then(|i| name_of(&self.tui, i))
                .as_deref()
                == Some(name)
            {
                return;
            }
            self.key('j');
        }
        panic!("no row {name} on:\n{}", self.text());
    }

    /// On the fleet screen: moves the cursor to DaemonSet `name`.
    pub fn select_daemon_set(&mut self, name: &str) {
        self.select(name, |t, i| {
            t.state
                .derived
                .fleet_rows
                .get(i)
                .map(|r| r.name.to_string())
        });
    }

    /// On the nodes screen: moves the cursor to node `name`.
    pub fn select_node(&mut self, name: &str) {
        self.select(name, |t, i| {
            t.state.fleet.nodes().nth(i).map(|n| n.name.to_string())
        });
    }

    /// Opens DaemonSet `name` from the fleet screen.
    pub fn open_daemon_set(&mut self, name: &str) {
        self.select_daemon_set(name);
        self.special(KeyCode::Enter);
        assert!(
            matches!(self.tui.state.ui.page().view, View::DaemonSet { .. }),
            "enter on {name} opens its DaemonSet view"
        );
    }

    /// Opens node `name` from the nodes screen, once its other pods (read when the page
    /// opens: only daemon pods are watched) are in.
    pub async fn open_node(&mut self, name: &str) {
        self.command("nodes");
        self.select_node(name);
        self.special(KeyCode::Enter);
        let now = sim_now(&self.sim);
        self.tui
            .run_until("the node's other pods to be read", DEADLINE, now, |s| {
                s.fleet.others_on(name).is_some()
            })
            .await
            .expect("the node's pods are read");
    }

    /// Waits until the fetched view on top has its content, and returns its lines.
    pub async fn fetched(&mut self) -> Vec<String> {
        let now = sim_now(&self.sim);
        self.tui
            .run_until("the fetched view to load", DEADLINE, now, |s| {
                s.ui.page().fetched != Fetched::Loading
            })
            .await
            .expect("the fetch answers");
        match &self.tui.state.ui.page().fetched {
            Fetched::Lines(lines) => lines.clone(),
            other => panic!("the fetch failed: {other:?}"),
        }
    }
}

impl Screen {
    /// Waits until the fetched view on top has failed, and returns what it says.
    pub async fn fetch_failed(&mut self) -> String {
        let now = sim_now(&self.sim);
        self.tui
            .run_until("the fetched view to fail", DEADLINE, now, |s| {
                s.ui.page().fetched != Fetched::Loading
            })
            .await
            .expect("the fetch answers");
        match &self.tui.state.ui.page().fetched {
            Fetched::Failed(why) => why.clone(),
            other => panic!("the fetch did not fail: {other:?}"),
        }
    }

    /// Stops the kubelet of `node`, as `kubectl annotate node N sim.herd.dev/kubelet=stopped`.
    pub fn stop_kubelet(&self, node: &str) {
        let mut world = self.sim.handle.world.lock();
        let mut n = world
            .store
            .get::<k8s_openapi::api::core::v1::Node>("", node)
            .map(|n| n.as_ref().clone())
            .expect("the node");
        n.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert("sim.herd.dev/kubelet".into(), "stopped".into());
        world.store.update(n).expect("annotated");
    }
}

pub fn char_key(c: char) -> KeyEvent {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), mods)
}
