//! The live connection: builds the client for a context, reports who it talks to, and forwards
//! its feeds as Actions tagged with the connection's epoch. Opening a new one drops the old
//! one's feeds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use herd_app::action::{Action, ClusterInfo};
use herd_cluster::connect::ConnectOptions;
use herd_cluster::session::{self, Feeds};
use herd_cluster::watch::{Feed, PodScope, Scope};
use herd_core::model::usage::UsageFocus;

pub struct Connection {
    options: ConnectOptions,
    metrics_every: Duration,
    pods: PodScope,
    task: Option<JoinHandle<()>>,
    client: Arc<Mutex<Option<Client>>>,
    /// What the screen shows, for the metrics poll of each connection opened.
    focus: watch::Sender<UsageFocus>,
}

impl Connection {
    pub fn new(options: ConnectOptions, metrics_every: Duration, pods: PodScope) -> Self {
        Connection {
            options,
            metrics_every,
            pods,
            task: None,
            client: Arc::new(Mutex::new(None)),
            focus: watch::Sender::new(UsageFocus::default()),
        }
    }

    /// The usage the screen now shows: the metrics poll reads it between fleet-wide polls.
    pub fn focus_usage(&self, focus: UsageFocus) {
        self.focus.send_if_modified(|current| {
            let changed = *current != focus;
            *current = focus;
            changed
        });
    }

    /// The current client, once connected.
    pub fn client(&self) -> Option<Client> {
        self.client.lock().ok().and_then(|c| c.clone())
    }

    /// (Re)connects; `context` None keeps the one given at start.
    pub fn open(
        &mut self,
        tx: &mpsc::Sender<Action>,
        epoch: u64,
        context: Option<String>,
        namespace: Option<Arc<str>>,
    ) {
        if let Some(task) = self.task.take() {
            task.abort(); // drops the old Feeds, which aborts its watches
        }
        if let Ok(mut client) = self.client.lock() {
            *client = None;
        }
        if context.is_some() {
            self.options.context = context;
        }
        let options = self.options.clone();
        let scope = Scope {
            namespace: namespace.map(|ns| ns.to_string()),
            daemon_set_labels: None,
            pods: self.pods,
        };
        let slot = Arc::clone(&self.client);
        let every = self.metrics_every;
        let focus = self.focus.subscribe();
        let tx = tx.clone();
        self.task = Some(tokio::spawn(async move {
            let (client, identity) = match session::open(&options).await {
                Ok(ok) => ok,
                Err(e) => {
                    let _ = tx
                        .send(Action::Connected {
                            epoch,
                            info: Err(e.to_string()),
                        })
                        .await;
                    return;
                }
            };
            if let Ok(mut c) = slot.lock() {
                *c = Some(client.clone());
            }
            let (feed_tx, mut feed_rx) = mpsc::channel::<Feed>(1024);
            let _feeds = Feeds::start(&client, &scope, every, focus, &feed_tx);
            let info = ClusterInfo {
                context: identity.context,
                cluster: identity.cluster,
                user: identity.user,
                server_version: session::server_version(&client).await.ok(),
                contexts: identity.contexts,
            };
            if tx
                .send(Action::Connected {
                    epoch,
                    info: Ok(info),
                })
                .await
                .is_err()
            {
                return;
            }
            while let Some(feed) = feed_rx.recv().await {
                if tx.send(Action::Feed { epoch, feed }).await.is_err() {
                    return;
                }
            }
        }));
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
