//! Carries out Effects: reconnects, on-demand fetches, theme loads and confirmed writes. Slow
//! work runs in its own task and comes back as an Action; nothing here blocks the loop.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::app::action::{Action, Write};
use crate::app::effect::Effect;
use crate::app::runtime::{Connection, Options};
use crate::app::state::State;
use crate::app::view::{View, YamlTarget};
use crate::cluster::fetch;
use crate::ui::theme::Theme;

pub fn run(
    effect: Effect,
    state: &State,
    connection: &mut Connection,
    tx: &mpsc::Sender<Action>,
    options: &Options,
) {
    match effect {
        Effect::Connect { context, namespace } => {
            connection.open(tx, state.session.epoch, context, namespace)
        }
        Effect::Load(view) => load(state, view, connection, tx),
        Effect::LoadTheme(name) => {
            let result = Theme::load(&name).map_err(|e| e.to_string());
            let _ = tx.try_send(Action::ThemeLoaded(result));
        }
        Effect::Write(write) => {
            if options.readonly {
                return; // --readonly is absolute, whatever asked
            }
            write_out(write, connection, tx);
        }
        Effect::Quit => {}
    }
}

fn load(state: &State, view: View, connection: &Connection, tx: &mpsc::Sender<Action>) {
    let tx = tx.clone();
    let Some(client) = connection.client() else {
        let _ = tx.try_send(Action::Loaded {
            view,
            result: Err("not connected yet".into()),
        });
        return;
    };
    let ds = |uid: &Arc<str>| {
        state
            .fleet
            .daemon_set(uid)
            .map(|d| (d.namespace.to_string(), d.name.to_string(), uid.to_string()))
    };
    let job = match &view {
        View::Events { uid } | View::History { uid } => ds(uid).map(|(ns, name, uid)| {
            let is_events = matches!(view, View::Events { .. });
            Job::Ds {
                is_events,
                ns,
                name,
                uid,
            }
        }),
        View::Yaml { target } => Some(Job::Yaml(target.clone())),
        _ => None,
    };
    let Some(job) = job else {
        let _ = tx.try_send(Action::Loaded {
            view,
            result: Err("that DaemonSet is gone".into()),
        });
        return;
    };
    tokio::spawn(async move {
        let result = match job {
            Job::Ds {
                is_events: true,
                ns,
                name,
                uid,
            } => fetch::events(&client, &ns, &name, &uid).await,
            Job::Ds { ns, name, uid, .. } => fetch::history(&client, &ns, &name, &uid).await,
            Job::Yaml(YamlTarget::DaemonSet { namespace, name }) => {
                fetch::yaml_of(&client, "DaemonSet", Some(&namespace), &name).await
            }
            Job::Yaml(YamlTarget::Pod { namespace, name }) => {
                fetch::yaml_of(&client, "Pod", Some(&namespace), &name).await
            }
            Job::Yaml(YamlTarget::Node { name }) => {
                fetch::yaml_of(&client, "Node", None, &name).await
            }
        };
        let _ = tx.send(Action::Loaded { view, result }).await;
    });
}

enum Job {
    Ds {
        is_events: bool,
        ns: String,
        name: String,
        uid: String,
    },
    Yaml(YamlTarget),
}

fn write_out(write: Write, connection: &Connection, tx: &mpsc::Sender<Action>) {
    let tx = tx.clone();
    let what = write.describe();
    let Some(client) = connection.client() else {
        let _ = tx.try_send(Action::WriteDone {
            what,
            result: Err("not connected".into()),
        });
        return;
    };
    tokio::spawn(async move {
        let result = match &write {
            Write::Restart { namespace, name } => {
                fetch::restart(&client, namespace, name, Timestamp::now()).await
            }
            Write::Cordon { node, cordon } => fetch::cordon(&client, node, *cordon).await,
        };
        let _ = tx.send(Action::WriteDone { what, result }).await;
    });
}
