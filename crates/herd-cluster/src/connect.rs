//! Builds a `kube::Client` from a kubeconfig the way kubectl finds one: `--kubeconfig`, else
//! `KUBECONFIG`, else `~/.kube/config`, with `--context` picking the context.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};

/// Where to look for the kubeconfig and which context to use.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig FILE`: exactly this one file, no merge.
    pub kubeconfig: Option<PathBuf>,
    /// `--context NAME`: instead of the file's current-context.
    pub context: Option<String>,
    /// Whether responses are asked for gzipped.
    pub compression: Compression,
}

/// Whether herd asks the API server for gzipped responses (`Accept-Encoding: gzip`, read as
/// the body streams in). A list of 150,000 pods is a twentieth of its size gzipped, which pays
/// on any network; on loopback the (de)compression is only work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compression {
    /// For servers not on loopback, unless the kubeconfig's cluster says `disable-compression`.
    #[default]
    Auto,
    Always,
    Never,
}

impl Compression {
    /// Whether to ask `host` (the cluster URL's host) for gzip; `kubeconfig_disables` is the
    /// cluster entry's `disable-compression`.
    pub fn wanted(self, host: &str, kubeconfig_disables: bool) -> bool {
        match self {
            Compression::Always => true,
            Compression::Never => false,
            Compression::Auto => !kubeconfig_disables && !is_loopback(host),
        }
    }
}

/// `localhost`, 127.0.0.0/8 or ::1 (bracketed or not).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why no client could be built. Messages name the file or context; never a credential.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("kubeconfig {path}: cannot read it: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("kubeconfig {path}: malformed: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("kubeconfigs {paths} cannot be merged: {reason}")]
    Merge { paths: String, reason: String },
    #[error(
        "no kubeconfig found (looked at {looked}); pass --kubeconfig FILE, or try the bundled \
         simulated cluster: `herd --sim` / `herd sim`"
    )]
    NoKubeconfig { looked: String },
    #[error("unknown context {name:?} in {source_desc}; known contexts: {}", known_list(.known))]
    UnknownContext {
        name: String,
        known: Vec<String>,
        source_desc: String,
    },
    #[error("{source_desc} sets no current-context; pass --context (known: {})", known_list(.known))]
    NoCurrentContext {
        known: Vec<String>,
        source_desc: String,
    },
    #[error("in-cluster service account: {reason}")]
    InCluster { reason: String },
    #[error("context {context:?} in {source_desc}: {reason}")]
    Config {
        context: String,
        source_desc: String,
        reason: String,
    },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    }
}

/// A kubeconfig as loaded, with a description of where it came from for error messages.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub kubeconfig: Kubeconfig,
    /// The file, or the `KUBECONFIG` path list, it was read from.
    pub source_desc: String,
}

/// Loads the kubeconfig per kubectl's rules. `env` is `KUBECONFIG`'s value and `home` the home
/// directory, passed in so tests need not touch the process environment.
pub fn load(
    flag: Option<&Path>,
    env: Option<OsString>,
    home: Option<PathBuf>,
) -> Result<Loaded, ConnectError> {
    if let Some(path) = flag {
        return read_one(path).map(|kubeconfig| Loaded {
            kubeconfig,
            source_desc: path.display().to_string(),
        });
    }
    if let Some(list) = env.filter(|v| !v.is_empty()) {
        return load_list(&list);
    }
    let default = home.map(|h| h.join(".kube").join("config"));
    match default {
        Some(path) if path.exists() => read_one(&path).map(|kubeconfig| Loaded {
            kubeconfig,
            source_desc: path.display().to_string(),
        }),
        Some(path) => Err(ConnectError::NoKubeconfig {
            looked: format!("KUBECONFIG (unset), {}", path.display()),
        }),
        None => Err(ConnectError::NoKubeconfig {
            looked: "KUBECONFIG (unset), ~/.kube/config (HOME unset)".to_string(),
        }),
    }
}

/// `KUBECONFIG` as kubectl reads it: missing files are skipped, the rest merged with the first
/// file that sets a value winning.
fn load_list(list: &OsString) -> Result<Loaded, ConnectError> {
    let paths: Vec<PathBuf> = std::env::split_paths(list)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    let desc = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut merged: Option<Kubeconfig> = None;
    for path in paths.iter().filter(|p| p.exists()) {
        let next = read_one(path)?;
        merged = Some(match merged {
            None => next,
            Some(acc) => acc.merge(next).map_err(|e| ConnectError::Merge {
                paths: desc.clone(),
                reason: e.to_string(),
            })?,
        });
    }
    match merged {
        Some(kubeconfig) => Ok(Loaded {
            kubeconfig,
            source_desc: format!("KUBECONFIG={desc}"),
        }),
        None => Err(ConnectError::NoKubeconfig {
            looked: format!("KUBECONFIG={desc} (no such files)"),
        }),
    }
}

fn read_one(path: &Path) -> Result<Kubeconfig, ConnectError> {
    Kubeconfig::read_from(path).map_err(|e| match e {
        KubeconfigError::ReadConfig(io, _) => ConnectError::Unreadable {
            path: path.to_path_buf(),
            reason: io.to_string(),
        },
        other => ConnectError::Malformed {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// The context to use: the requested one if the file knows it, else the current-context.
pub fn select_context(loaded: &Loaded, requested: Option<&str>) -> Result<String, ConnectError> {
    let known: Vec<String> = loaded
        .kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let wanted = match requested.or(loaded.kubeconfig.current_context.as_deref()) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => {
            return Err(ConnectError::NoCurrentContext {
                known,
                source_desc: loaded.source_desc.clone(),
            });
        }
    };
    if known.contains(&wanted) {
        Ok(wanted)
    } else {
        Err(ConnectError::UnknownContext {
            name: wanted,
            known,
            source_desc: loaded.source_desc.clone(),
        })
    }
}

/// The client for `options`, reading `KUBECONFIG` and `HOME` from the process environment.
pub async fn connect(options: &ConnectOptions) -> Result<Client, ConnectError> {
    connect_with(options, Retry::InClient)
        .await
        .map(|connection| connection.client)
}

/// The client for `options`, or, when there is no kubeconfig at all and the process runs in a
/// pod (`KUBERNETES_SERVICE_HOST` is set), the pod's service account, as client-go's
/// in-cluster config does: what `herd engine` uses when deployed in the cluster.
pub async fn connect_or_in_cluster(options: &ConnectOptions) -> Result<Client, ConnectError> {
    match connect(options).await {
        Err(ConnectError::NoKubeconfig { .. })
            if options.kubeconfig.is_none()
                && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() =>
        {
            let in_cluster = |e: &dyn std::fmt::Display| ConnectError::InCluster {
                reason: e.to_string(),
            };
            let config = Config::incluster().map_err(|e| in_cluster(&e))?;
            Client::try_from(config).map_err(|e| in_cluster(&e))
        }
        other => other,
    }
}

/// The client for one loaded kubeconfig and context.
pub async fn client_for(
    loaded: Loaded,
    context: Option<&str>,
    compression: Compression,
) -> Result<Client, ConnectError> {
    open(loaded, context, Retry::InClient, compression)
        .await
        .map(|connection| connection.client)
}

/// Whether kube's client retries 429, 503 and 504 answers itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// kube's default: up to 15 tries with a backoff growing towards minutes, during which the
    /// caller hears nothing.
    InClient,
    /// Every failure goes straight to the caller, whose own loop (the watcher's backoff) tries
    /// again and can say what went wrong meanwhile.
    Caller,
}

/// A client with what messages name it by.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The kubeconfig context it was built from.
    pub context: String,
    /// The API server's URL, without any user or password part.
    pub server: String,
}

/// A connection for `options`, reading `KUBECONFIG` and `HOME` from the process environment.
pub async fn connect_with(
    options: &ConnectOptions,
    retry: Retry,
) -> Result<Connection, ConnectError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let loaded = load(
        options.kubeconfig.as_deref(),
        std::env::var_os("KUBECONFIG"),
        home,
    )?;
    open(
        loaded,
        options.context.as_deref(),
        retry,
        options.compression,
    )
    .await
}

async fn open(
    loaded: Loaded,
    context: Option<&str>,
    retry: Retry,
    compression: Compression,
) -> Result<Connection, ConnectError> {
    let context = select_context(&loaded, context)?;
    let config_error = |reason: String| ConnectError::Config {
        context: context.clone(),
        source_desc: loaded.source_desc.clone(),
        reason,
    };
    let kube_options = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(loaded.kubeconfig.clone(), &kube_options)
        .await
        .map_err(|e| config_error(e.to_string()))?;
    config.default_retry = retry == Retry::InClient;
    let host = config.cluster_url.host().unwrap_or_default().to_string();
    config.disable_compression = !compression.wanted(&host, config.disable_compression);
    let server = server_url(&config);
    let client = Client::try_from(config).map_err(|e| config_error(e.to_string()))?;
    Ok(Connection {
        client,
        context,
        server,
    })
}

/// `https://host:port/path` of the API server: a `user:password@` part is left out, it is a
/// credential.
fn server_url(config: &Config) -> String {
    let uri = &config.cluster_url;
    let scheme = uri.scheme_str().unwrap_or("https");
    let host = uri.host().unwrap_or_default();
    let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    let path = uri.path().trim_end_matches('/');
    format!("{scheme}://{host}{port}{path}")
}

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
