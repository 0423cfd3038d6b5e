//! One connection to a cluster for the TUI: the client for a context, what the header shows
//! about it (cluster, user, server version, the other contexts), and its feeds.

use std::path::PathBuf;
use std::time::Duration;

use kube::Client;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::connect::{self, ConnectError, ConnectOptions, Loaded};
use super::metrics::spawn_metrics;
use super::watch::{Feed, Scope, spawn_watches};
use herd_core::model::usage::UsageFocus;

/// Who herd talks to, as the header shows it. Never holds a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub context: String,
    pub cluster: String,
    pub user: String,
    pub contexts: Vec<String>,
}

/// Loads the kubeconfig the way kubectl does and builds the client for `context` (or the
/// current one), with the identity the header shows.
pub async fn open(options: &ConnectOptions) -> Result<(Client, Identity), ConnectError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let loaded = connect::load(
        options.kubeconfig.as_deref(),
        std::env::var_os("KUBECONFIG"),
        home,
    )?;
    let identity = identity(&loaded, options.context.as_deref())?;
    let client = connect::client_for(loaded, Some(&identity.context), options.compression).await?;
    Ok((client, identity))
}

fn identity(loaded: &Loaded, requested: Option<&str>) -> Result<Identity, ConnectError> {
    let context = connect::select_context(loaded, requested)?;
    let named = loaded
        .kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref());
    Ok(Identity {
        cluster: named.map(|c| c.cluster.clone()).unwrap_or_default(),
        user: named.and_then(|c| c.user.clone()).unwrap_or_default(),
        contexts: loaded
            .kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        context,
    })
}

/// `v1.31.0`-style server version, or the reason it could not be read.
pub async fn server_version(client: &Client) -> Result<String, String> {
    client
        .apiserver_version()
        .await
        .map(|v| v.git_version)
        .map_err(|e| e.to_string())
}

/// The running feeds of one connection; dropping it stops them.
pub struct Feeds {
    tasks: Vec<JoinHandle<()>>,
}

impl Feeds {
    pub fn start(
        client: &Client,
        scope: &Scope,
        metrics_every: Duration,
        focus: watch::Receiver<UsageFocus>,
        tx: &mpsc::Sender<Feed>,
    ) -> Self {
        let (mut tasks, pods_listed) = spawn_watches(client, scope, tx);
        tasks.push(spawn_metrics(
            client,
            scope,
            metrics_every,
            tx,
            pods_listed,
            focus,
        ));
        Feeds { tasks }
    }
}

impl Drop for Feeds {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
