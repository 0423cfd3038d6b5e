//! The `:` command line, k9s style: `:ds`, `:nodes`, `:hogs`, `:ctx NAME`, `:ns [NAME]`,
//! `:theme NAME`, `:events`, `:history`, `:yaml`, `:stage resume|rollback`, `:q`.

use std::sync::Arc;

use crate::action::{Action, StageWord, Write};
use crate::effect::Effect;
use crate::state::{Level, State};
use crate::update::{clear_problem, flash, update};
use crate::view::View;

/// What a command line asks for, or why it cannot be run.
pub fn parse_command(line: &str, state: &State) -> Result<Action, String> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let arg = words.next();
    let needs_ds = || {
        crate::selection::selected_daemon_set(state)
            .ok_or_else(|| format!(":{verb} needs a DaemonSet selected"))
    };
    match (verb, arg) {
        ("ds" | "daemonset" | "daemonsets" | "dset", None) => Ok(Action::Show(View::Fleet)),
        ("no" | "node" | "nodes", None) => Ok(Action::Show(View::Nodes)),
        ("hogs" | "top", None) => Ok(Action::Show(View::Hogs)),
        ("ctx" | "context", Some(name)) => Ok(Action::SwitchContext(name.to_string())),
        ("ctx" | "context", None) => Err(format!(
            "contexts: {} (current: {})",
            state.session.info.contexts.join(", "),
            state.session.info.context
        )),
        ("ns" | "namespace", Some("all" | "-A" | "*")) => Ok(Action::AllNamespaces),
        ("ns" | "namespace", Some(ns)) => Ok(Action::Namespace(Arc::from(ns))),
        ("ns" | "namespace", None) => Ok(Action::PickNamespace),
        ("events" | "ev", None) => needs_ds().map(|uid| Action::Show(View::Events { uid })),
        ("history" | "hist", None) => needs_ds().map(|uid| Action::Show(View::History { uid })),
        ("yaml", None) => crate::selection::yaml_target(state)
            .map(|target| Action::Show(View::Yaml { target }))
            .ok_or_else(|| ":yaml needs something selected".to_string()),
        ("stage", Some(word @ ("resume" | "rollback"))) => {
            let uid = needs_ds()?;
            let ds = state
                .fleet
                .daemon_set(&uid)
                .ok_or_else(|| ":stage needs a DaemonSet selected".to_string())?;
            let word = if word == "resume" {
                StageWord::Resume
            } else {
                StageWord::Rollback
            };
            Ok(Action::Request(Write::Stage {
                namespace: Arc::clone(&ds.namespace),
                name: Arc::clone(&ds.name),
                word,
            }))
        }
        ("stage", _) => Err(
            ":stage resume or :stage rollback (the selected DaemonSet's staged targeting edit)"
                .into(),
        ),
        ("help", None) => Ok(Action::ToggleHelp),
        ("theme", None) => Err(format!(
            "themes: {} (or a user theme name, or a .toml path); current: {}",
            state.theme.builtin.join(", "),
            state.theme.current
        )),
        ("q" | "q!" | "quit", None) => Ok(Action::Quit),
        ("", _) => Err("empty command; try :ds, :nodes, :hogs, :ctx NAME, :ns NAME".into()),
        _ => Err(format!(
            "unknown command :{}; try :ds, :nodes, :hogs, :events, :history, :yaml, :ctx NAME, \
             :ns NAME, :theme NAME, :stage resume|rollback, :q",
            line.trim()
        )),
    }
}

pub fn run(state: &mut State, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    if let (Some("theme"), Some(name)) = (words.next(), words.next()) {
        return vec![Effect::LoadTheme(name.to_string())];
    }
    match parse_command(line, state) {
        // The command ran: an old warning no longer speaks for what is on screen. If the
        // action itself fails (`:ns nope`, `:ctx nope`), it flashes its own.
        Ok(action) => {
            clear_problem(state);
            update(state, action)
        }
        Err(message) => {
            flash(state, Level::Warn, message);
            Vec::new()
        }
    }
}
