//! Starts the simulator: builds the scenario, listens on 127.0.0.1, writes the kubeconfig, and
//! runs the world clock and the API server until shut down.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::admission::Admit;
use super::api::auth::{ADMIN_USER, READ_ONLY_USER, TokenError, Tokens};
use super::api::counters::Counters;
use super::api::faults::{FaultSettings, Faults};
use super::api::tls::{ServerTls, TlsError, TlsListener};
use super::api::{ApiState, SimNow, router};
use super::private_file::{Destination, PrivateFileError};
use super::scenario::{self, ScenarioError, ScenarioOptions};
use super::{SharedWorld, World};

/// The kubeconfig names: cluster and admin context, and the read-only context.
pub const CONTEXT: &str = "herd-sim";
pub const READ_ONLY_CONTEXT: &str = "herd-sim-readonly";

/// Namespaces the real API server creates for itself at start-up.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub scenario: String,
    pub seed: u64,
    pub nodes: Option<usize>,
    pub daemonsets: Option<usize>,
    /// Application pods per node (`--app-pods-per-node`).
    pub app_pods_per_node: usize,
    /// 0 picks a free port.
    pub port: u16,
    /// Where to write the kubeconfig; `None` writes none (in-process users read the handle).
    pub kubeconfig: Option<PathBuf>,
    /// Simulated seconds per real second; 0 stops the clock (writes are still reacted to).
    pub speed: f64,
    pub faults: FaultSettings,
    /// Real time between world steps.
    pub tick: Duration,
    pub bookmark_interval: Duration,
    /// When the scenario's fleet is built; `None` builds it an hour before the wall clock.
    /// Tests pin it so usage, which is a function of simulated time, is the same every run.
    pub start: Option<Timestamp>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            scenario: "demo".into(),
            seed: 42,
            nodes: None,
            daemonsets: None,
            app_pods_per_node: 0,
            port: 0,
            kubeconfig: None,
            speed: 1.0,
            faults: FaultSettings::default(),
            tick: Duration::from_millis(50),
            bookmark_interval: Duration::from_secs(15),
            start: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Tokens(#[from] TokenError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error(transparent)]
    Kubeconfig(#[from] PrivateFileError),
    #[error(
        "refusing to overwrite {path}: it exists and is not a herd sim kubeconfig (remove it or choose another --kubeconfig)"
    )]
    NotOurs { path: PathBuf },
    #[error("speed {0} is not a number of simulated seconds per second (0 or more)")]
    Speed(f64),
}

/// A running simulator. Dropping it leaves the server running until the runtime ends; call
/// [`SimHandle::shutdown`] to stop it.
#[derive(Debug)]
pub struct SimHandle {
    pub addr: SocketAddr,
    pub tokens: Tokens,
    /// PEM of the CA clients must trust (the kubeconfig carries it).
    pub ca_pem: String,
    pub kubeconfig: Option<PathBuf>,
    pub world: SharedWorld,
    pub faults: Arc<Faults>,
    pub counters: Arc<Counters>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The kubeconfig document (admin context current, read-only context alongside).
    pub fn kubeconfig_document(&self) -> Value {
        kubeconfig_document(&self.url(), &self.ca_pem, &self.tokens)
    }

    /// Stops the clock, ends open watches and waits for the server to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.faults.drop_watches();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// How long the scenario's fleet has been running when the server opens: the world is built
/// this far in the past, so building it (which advances the simulated clock while pods settle)
/// never leaves timestamps in the future, where kubectl would print ages as `<invalid>`.
const SETTLED_HISTORY: SignedDuration = SignedDuration::from_hours(1);

/// Runs a freshly built world forward to the wall clock, in small steps so the kubelets and
/// controllers see time pass as they would have.
fn catch_up_to_wall_clock(world: &mut World) {
    let tick = SignedDuration::from_secs(5);
    let real = Timestamp::now();
    while world.now() < real {
        let remaining = real.duration_since(world.now());
        world.advance(remaining.min(tick));
    }
}

/// Builds the world and starts serving it.
pub async fn start(options: ServerOptions) -> Result<SimHandle, ServerError> {
    if !(options.speed.is_finite() && options.speed >= 0.0) {
        return Err(ServerError::Speed(options.speed));
    }
    let mut world = scenario::build(&ScenarioOptions {
        name: options.scenario.clone(),
        seed: options.seed,
        nodes: options.nodes,
        daemonsets: options.daemonsets,
        app_pods_per_node: options.app_pods_per_node,
        start: options
            .start
            .unwrap_or_else(|| Timestamp::now() - SETTLED_HISTORY),
    })?;
    ensure_system_namespaces(&mut world);
    if options.speed > 0.0 {
        catch_up_to_wall_clock(&mut world);
    }
    let sim_now = Arc::new(SimNow::new(world.now()));
    let world = SharedWorld::new(world);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|source| ServerError::Bind {
            port: options.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        port: options.port,
        source,
    })?;
    let tokens = Tokens::generate()?;
    let tls = ServerTls::generate()?;
    if let Some(path) = &options.kubeconfig {
        write_kubeconfig(
            path,
            &kubeconfig_document(&format!("https://{addr}"), &tls.ca_pem, &tokens),
        )?;
    }
    let listener =
        TlsListener::new(listener, tls.config.clone()).map_err(|source| ServerError::Bind {
            port: options.port,
            source,
        })?;
    let faults = Arc::new(Faults::new(options.faults));
    let counters = Arc::new(Counters::default());
    let state = Arc::new(ApiState {
        world: world.clone(),
        tokens: tokens.clone(),
        faults: faults.clone(),
        counters: counters.clone(),
        sim_now: sim_now.clone(),
        bookmark_interval: options.bookmark_interval,
        server_address: addr.to_string(),
    });
    let (stop, stopped) = watch::channel(false);
    let clock = tokio::spawn(run_clock(
        world.clone(),
        sim_now,
        options.speed,
        options.tick,
        stopped.clone(),
    ));
    let server = tokio::spawn(async move {
        let mut stopped = stopped;
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        // Serving only ends on shutdown or when the listener fails; neither needs reporting.
        let _ = axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown)
            .await;
    });
    Ok(SimHandle {
        addr,
        tokens,
        ca_pem: tls.ca_pem,
        kubeconfig: options.kubeconfig,
        world,
        faults,
        counters,
        stop,
        tasks: vec![clock, server],
    })
}

/// Steps the world to `start + elapsed × speed` every tick. The step runs on a blocking thread
/// so a long step at 150,000 pods never stalls request handling.
async fn run_clock(
    world: SharedWorld,
    sim_now: Arc<SimNow>,
    speed: f64,
    tick: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let real_start = tokio::time::Instant::now();
    let sim_start = world.lock().now();
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        let elapsed = real_start.elapsed().as_secs_f64() * speed;
        let target = SignedDuration::try_from_secs_f64(elapsed)
            .ok()
            .and_then(|d| sim_start.checked_add(d).ok())
            .unwrap_or(sim_start);
        let shared = world.clone();
        let stepped = tokio::task::spawn_blocking(move || {
            let mut w = shared.lock();
            w.step(target);
            w.now()
        });
        match stepped.await {
            Ok(now) => sim_now.set(now),
            // A panicking step is a bug in a component; keep serving the world as it is.
            Err(_) => continue,
        }
    }
}

/// Creates default, kube-system, kube-public and kube-node-lease if the scenario did not.
fn ensure_system_namespaces(world: &mut World) {
    let now = world.now();
    for name in SYSTEM_NAMESPACES {
        if world.store.get::<Namespace>("", name).is_some() {
            continue;
        }
        let mut ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        if ns.on_create().is_ok() {
            let _ = world.store.create(ns, now);
        }
    }
}

fn kubeconfig_document(server: &str, ca_pem: &str, tokens: &Tokens) -> Value {
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [
            {"name": ADMIN_USER, "user": {"token": tokens.admin}},
            {"name": READ_ONLY_USER, "user": {"token": tokens.read_only}},
        ],
        "contexts": [
            {"name": CONTEXT, "context": {"cluster": CONTEXT, "user": ADMIN_USER, "namespace": "default"}},
            {"name": READ_ONLY_CONTEXT, "context": {"cluster": CONTEXT, "user": READ_ONLY_USER, "namespace": "default"}},
        ],
        "current-context": CONTEXT,
    })
}

/// Writes the kubeconfig (JSON, which is valid YAML) as a private file: owner-only, into a
/// directory only the user controls, never through a symlink. An existing file is only replaced
/// if it is one of ours, so a mistyped path cannot clobber a real config.
fn write_kubeconfig(path: &Path, document: &Value) -> Result<(), ServerError> {
    let destination = Destination::check(path, "the kubeconfig")?;
    if let Some(existing) = destination.existing()? {
        let ours = serde_json::from_slice::<Value>(&existing).is_ok_and(|v| {
            v["clusters"][0]["name"] == CONTEXT
                && v["clusters"].as_array().is_some_and(|c| c.len() == 1)
        });
        if !ours {
            return Err(ServerError::NotOurs {
                path: path.to_path_buf(),
            });
        }
    }
    let bytes = serde_json::to_vec_pretty(document).unwrap_or_default();
    Ok(destination.write(&bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_is_private_and_never_clobbers_a_foreign_file() {
        let dir = crate::private_file::fresh_private_dir("herd-test-").expect("tempdir");
        let path = dir.path().join("kc");
        let tokens = Tokens::generate().expect("tokens");
        let doc = kubeconfig_document("https://127.0.0.1:1", "pem", &tokens);
        write_kubeconfig(&path, &doc).expect("write");
        write_kubeconfig(&path, &doc).expect("rewrite our own");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let foreign = dir.path().join("config");
        std::fs::write(&foreign, "apiVersion: v1\nclusters: []\n").expect("write");
        assert!(matches!(
            write_kubeconfig(&foreign, &doc),
            Err(ServerError::NotOurs { .. })
        ));
    }
}
