//! Carries out Effects: reconnects, on-demand fetches, theme loads and confirmed writes. Slow
//! work runs in its own task and comes back as an `Outcome` on the outcome channel; nothing
//! here blocks the loop.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::{Outcome, rollouts, targets};
use crate::runtime::{Connection, Options};
use herd_app::action::{Action, Write};
use herd_app::effect::Effect;
use herd_app::state::State;
use herd_app::view::{View, YamlTarget};
use herd_cluster::fetch;

/// What carrying out an effect may touch.
pub struct Context<'a> {
    pub state: &'a State,
    pub connection: &'a mut Connection,
    /// Where a new connection's watches send their events.
    pub feeds: &'a mpsc::Sender<Action>,
    /// Where effects report back.
    pub outcomes: &'a mpsc::UnboundedSender<Outcome>,
    pub options: &'a Options,
}

pub fn run(effect: Effect, cx: Context) {
    match effect {
        Effect::Connect { context, namespace } => {
            cx.connection
                .open(cx.feeds, cx.state.session.epoch, context, namespace)
        }
        Effect::Load(view) => load(cx.state, view, cx.connection, cx.outcomes),
        Effect::ReadOtherPods { nodes } => {
            read_other_pods(cx.state, nodes, cx.connection, cx.outcomes)
        }
        Effect::FocusUsage(focus) => cx.connection.focus_usage(focus),
        Effect::LoadTheme(name) => {
            let outcomes = cx.outcomes.clone();
            // Reading a user theme file is IO: off the loop, like every other effect.
            tokio::task::spawn_blocking(move || {
                let result = crate::theme_files::load_theme(&name).map_err(|e| e.to_string());
                report(&outcomes, Outcome::Theme(result));
            });
        }
        Effect::Write(write) => {
            if cx.options.readonly {
                return; // --readonly is absolute, whatever asked
            }
            write_out(write, cx.connection, cx.outcomes);
        }
        Effect::EditTargeting {
            uid,
            daemon_set,
            base,
        } => {
            if cx.options.readonly {
                return;
            }
            let request = super::driver::EditRequest {
                uid,
                daemon_set,
                base,
            };
            report(cx.outcomes, Outcome::Editor(request));
        }
        Effect::SaveLog { target, lines } => super::logs::save(target, lines, cx.outcomes),
        Effect::Quit => {}
    }
}

/// Sends an outcome back to the loop. The channel is unbounded, so this fails only when the
/// loop has ended, and then nobody is left to tell.
pub(super) fn report(outcomes: &mpsc::UnboundedSender<Outcome>, outcome: Outcome) {
    if outcomes.send(outcome).is_err() {
        // The runtime has shut down; the result has no reader.
    }
}

/// Lists each node's pods the watch does not carry, a few at a time, each answer a feed event
/// of this connection.
fn read_other_pods(
    state: &State,
    nodes: Vec<Arc<str>>,
    connection: &Connection,
    outcomes: &mpsc::UnboundedSender<Outcome>,
) {
    /// Node reads at once: an editor's preview may ask for a few hundred.
    const AT_ONCE: usize = 8;
    let Some(client) = connection.client() else {
        return; // asked again once connected, while the screen still needs it
    };
    let (epoch, now, tx) = (state.session.epoch, state.now, outcomes.clone());
    tokio::spawn(async move {
        use futures::StreamExt;
        let reads = futures::stream::iter(nodes).map(|node| {
            let client = client.clone();
            async move { (fetch::other_pods(&client, &node, now).await, node) }
        });
        let mut answers = reads.buffer_unordered(AT_ONCE);
        while let Some((answer, node)) = answers.next().await {
            let action = match answer {
                Ok(others) => Action::Feed {
                    epoch,
                    feed: herd_core::model::feed::Feed::Event(
                        herd_core::model::fleet::FleetEvent::OtherPods(others),
                    ),
                },
                Err(e) => Action::OtherPodsUnread {
                    node,
                    error: e.to_string(),
                },
            };
            report(&tx, Outcome::Action(action));
        }
    });
}

fn load(
    state: &State,
    view: View,
    connection: &Connection,
    outcomes: &mpsc::UnboundedSender<Outcome>,
) {
    let tx = outcomes.clone();
    let Some(client) = connection.client() else {
        let result = Err("not connected yet".into());
        report(&tx, Outcome::Action(Action::Loaded { view, result }));
        return;
    };
    // Event ages count from the screen's own clock, as every other age on it does.
    let now = state.now;
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
        View::Logs { target } => Some(Job::Logs(target.clone())),
        View::ObjectEvents { target } => Some(Job::Events(target.clone())),
        View::Describe { target } => Some(Job::Describe(target.clone())),
        _ => None,
    };
    let Some(job) = job else {
        let result = Err("that DaemonSet is gone".into());
        report(&tx, Outcome::Action(Action::Loaded { view, result }));
        return;
    };
    tokio::spawn(async move {
        let result = match job {
            Job::Ds {
                is_events: true,
                ns,
                name,
                uid,
            } => fetch::events(&client, &ns, &name, &uid, now).await,
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
            Job::Events(YamlTarget::Pod { namespace, name }) => {
                fetch::object_events(&client, "Pod", Some(&namespace), &name, now).await
            }
            Job::Events(YamlTarget::Node { name }) => {
                fetch::object_events(&client, "Node", None, &name, now).await
            }
            Job::Events(YamlTarget::DaemonSet { namespace, name }) => {
                fetch::object_events(&client, "DaemonSet", Some(&namespace), &name, now).await
            }
            Job::Describe(target) => {
                let (kind, ns, name) = match &target {
                    YamlTarget::Pod { namespace, name } => ("Pod", Some(&**namespace), name),
                    YamlTarget::DaemonSet { namespace, name } => {
                        ("DaemonSet", Some(&**namespace), name)
                    }
                    YamlTarget::Node { name } => ("Node", None, name),
                };
                fetch::describe::describe(&client, kind, ns, name, now).await
            }
            Job::Logs(t) => {
                fetch::logs(&client, &t.namespace, &t.pod, &t.container, t.previous).await
            }
        };
        report(&tx, Outcome::Action(Action::Loaded { view, result }));
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
    Logs(herd_app::view::LogTarget),
    Events(YamlTarget),
    Describe(YamlTarget),
}

fn write_out(write: Write, connection: &Connection, outcomes: &mpsc::UnboundedSender<Outcome>) {
    let tx = outcomes.clone();
    let what = write.describe();
    let Some(client) = connection.client() else {
        if let Some(daemon_set) = write.carried() {
            let settled = Action::CarryEnded { daemon_set };
            report(&tx, Outcome::Action(settled));
        }
        let result = Err("not connected".into());
        report(&tx, Outcome::Action(Action::WriteDone { what, result }));
        return;
    };
    tokio::spawn(async move {
        let result = match &write {
            Write::Restart { namespace, name } => {
                fetch::restart(&client, namespace, name, Timestamp::now()).await
            }
            Write::Cordon { node, cordon } => fetch::cordon(&client, node, *cordon).await,
            Write::DeletePod { .. } => targets::delete_pod(&client, &write).await,
            Write::SetImage {
                namespace,
                name,
                container,
                image,
            } => fetch::set_image(&client, namespace, name, container, image).await,
            Write::Retarget { .. } | Write::EditNodes { .. } | Write::Stage { .. } => {
                targets::write(&client, &write, &tx).await
            }
            Write::StartRollout {
                namespace, name, ..
            }
            | Write::Rollout {
                namespace, name, ..
            }
            | Write::UndoTo {
                namespace, name, ..
            } => match rollouts::write(&client, &write).await {
                Ok(carry_on) => {
                    if carry_on {
                        rollouts::carry_on(
                            client.clone(),
                            Arc::clone(namespace),
                            Arc::clone(name),
                            tx.clone(),
                        );
                    }
                    Ok(())
                }
                Err(e) => {
                    // Nothing to carry out after all (`update` counted it as carried).
                    if let Some(daemon_set) = write.carried() {
                        let settled = Action::CarryEnded { daemon_set };
                        report(&tx, Outcome::Action(settled));
                    }
                    Err(e)
                }
            },
        };
        report(&tx, Outcome::Action(Action::WriteDone { what, result }));
    });
}
