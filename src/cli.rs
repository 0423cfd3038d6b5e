//! The command line: `herd <command> [flags]`. Each subcommand is one variant with its own
//! flags struct, so later commands (the TUI, `engine`, `bench`) slot in beside `sim`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "herd",
    version,
    about = "A terminal UI for Kubernetes DaemonSet fleets, with a bundled simulated cluster"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command: the TUI.
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// `herd [flags]`: the interactive TUI on the current kubeconfig context, or on the bundled
/// simulated cluster with `--sim`.
#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// Start the bundled simulated cluster in-process and open herd on it.
    #[arg(long)]
    pub sim: bool,
    /// With --sim: the scenario (`demo` or `empty`).
    #[arg(long, default_value = "demo", requires = "sim")]
    pub scenario: String,
    /// With --sim: scale the fleet to this many nodes.
    #[arg(long, value_name = "N", requires = "sim")]
    pub nodes: Option<usize>,
    /// With --sim: scale the fleet to this many DaemonSets.
    #[arg(long, value_name = "M", requires = "sim")]
    pub daemonsets: Option<usize>,
    /// Watch every pod, not only the DaemonSets' (a node's other pods are otherwise read when
    /// a screen needs them: the node page, the targeting editor's fit check).
    #[arg(long)]
    pub all_pods: bool,
    /// Ask the API server for gzipped lists: auto (servers not on loopback), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub compression: CompressionArg,
    /// With --sim: give every node this many application pods besides its daemons.
    #[arg(long, value_name = "K", default_value_t = 0, requires = "sim")]
    pub app_pods_per_node: usize,
    /// This kubeconfig file only [default: KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE", conflicts_with = "sim")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use [default: its current-context].
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Watch and show only this namespace.
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Every namespace (the default).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Change nothing: keys that would write to the cluster are not bound.
    #[arg(long)]
    pub readonly: bool,
    /// Theme: default, light, high-contrast, colour-blind, a user theme name, or a .toml path.
    #[arg(long, value_name = "NAME|PATH", default_value = "default")]
    pub theme: String,
    /// No colours (also when NO_COLOR is set or TERM=dumb); glyphs and words still carry meaning.
    #[arg(long)]
    pub no_color: bool,
    /// Use the mouse: the wheel scrolls, a click selects a row, a second click opens it.
    #[arg(long)]
    pub mouse: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated cluster in the foreground and write a kubeconfig for kubectl.
    Sim(SimArgs),
    /// Report DaemonSet coverage gaps and hogs once; exit 1 if a --fail-on condition holds,
    /// 2 on bad input or an unusable cluster.
    #[command(after_help = CHECK_EXIT_CODES)]
    Check(CheckArgs),
    /// Managed rollouts of a plain DaemonSet: start (with a canary, a partition, pause points
    /// and a budget), status, pause, resume, abort, undo, restart; and native strategy edits.
    #[command(after_help = ROLLOUT_EXIT_CODES)]
    Rollout(RolloutArgs),
    /// Run the engine for every managed DaemonSet until stopped: the same steps as
    /// `herd rollout … --wait`, one writer per DaemonSet through Leases. Inside a pod with no
    /// kubeconfig, it uses the pod's service account.
    Engine(EngineArgs),
    /// Change a DaemonSet's node targeting (nodeSelector, tolerations, required node affinity)
    /// after a preview of the nodes that gain and lose its pod, checked with the API server's
    /// rules; applied unless --dry-run, refused on a warning unless --force.
    #[command(after_help = TARGET_EXIT_CODES)]
    Target(TargetArgs),
}

/// The exit codes of `herd target` (docs/TARGETING.md says the same).
const TARGET_EXIT_CODES: &str = "\
Exit codes:
  0  applied, previewed with --dry-run, or nothing to do; staged, resumed or rolled back (with
     --wait: the staging completed)
  1  refused: the preview has a warning (the edit removes the daemon everywhere, targets no
     node, or evicts running pods) and --force was not given; or the DaemonSet's targeting
     changed while herd read it; with --wait: the staging halted
  2  bad input (a flag that does not parse, an edit the API server would refuse: the line names
     the field and the rule), an unknown DaemonSet or an unusable cluster; nothing is written";

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub target: Target,
    /// Replace the nodeSelector: KEY=VALUE,… (an empty string removes it).
    #[arg(long, value_name = "K=V,…")]
    pub node_selector: Option<String>,
    /// Add a toleration, spelled as `kubectl taint` spells the taint: KEY=VALUE:EFFECT, or
    /// KEY:EFFECT for every value of the key (repeatable).
    #[arg(long, value_name = "KEY[=VALUE]:EFFECT")]
    pub add_toleration: Vec<String>,
    /// Remove the tolerations of KEY (with EFFECT only, if given) (repeatable).
    #[arg(long, value_name = "KEY[:EFFECT]")]
    pub remove_toleration: Vec<String>,
    /// Replace the required node affinity with the nodeSelectorTerms in this YAML or JSON file
    /// (`{}` removes it).
    #[arg(long, value_name = "FILE")]
    pub affinity_file: Option<PathBuf>,
    /// Print the preview and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply even when the preview warns.
    #[arg(long)]
    pub force: bool,
    /// Output format: table or json.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table")]
    pub output: String,
    /// Stage the edit: hold the nodes that gain the daemon and release them in batches, each
    /// once the pods before it are Available (`herd engine`, the TUI or --wait carries it on).
    #[arg(long)]
    pub stage: bool,
    /// With --stage: nodes per batch, a count or a share of the nodes that gain it.
    #[arg(long, value_name = "N|P%", default_value = "10%", requires = "stage")]
    pub batch: String,
    /// With --stage: release nodes in the order of this node label's value (then by name).
    #[arg(long, value_name = "LABEL", requires = "stage")]
    pub order_by: Option<String>,
    /// With --stage or --resume: carry the staging from this process until it completes or
    /// halts.
    #[arg(long)]
    pub wait: bool,
    /// Let a halted staging go on.
    #[arg(long, conflicts_with_all = ["stage", "rollback", "dry_run"])]
    pub resume: bool,
    /// Roll a staged edit back: the targeting from before it, and every held node released.
    #[arg(long, conflicts_with_all = ["stage", "resume", "dry_run", "wait"])]
    pub rollback: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Only DaemonSets in this namespace [default: every namespace].
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// The name this engine holds Leases under [default: HOSTNAME-PID]. In the cluster, the
    /// pod's name: a restarted container carries on at once, a new pod waits out the Lease.
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    /// Seconds a Lease lasts without renewal before another engine may take it over.
    #[arg(long, value_name = "SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub lease_seconds: u64,
    /// The local audit log (one JSON line per action), or `none` for Events only
    /// [default: $XDG_STATE_HOME/herd/audit.jsonl, else ~/.local/state/herd/audit.jsonl].
    #[arg(long, value_name = "FILE|none")]
    pub audit_log: Option<PathBuf>,
    /// This kubeconfig file only [default: KUBECONFIG, else ~/.kube/config, else in-cluster].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use [default: its current-context].
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// The exit codes of `herd rollout` (docs/ENGINE.md says the same).
const ROLLOUT_EXIT_CODES: &str = "\
Exit codes:
  0  done: the intent is recorded, or with --wait the rollout completed
  1  with --wait: the rollout halted (new pods failed), or was aborted
  2  bad input (a strategy edit the API server would refuse: the line names the field), a
     DaemonSet that cannot be managed (or, for `strategy`, one a managed rollout holds), or an
     unusable cluster (one line on stderr); nothing is written
  3  with --wait: the rollout paused (a pause point, or a person), or another field manager
     took the update strategy back (Contested)
An undo that ends RolledBack exits 0; a rollout rolled back after a failure exits 1.";

#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub action: RolloutAction,
}

/// Where a DaemonSet is, and how to reach its cluster.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The DaemonSet.
    pub daemonset: String,
    #[arg(short = 'n', long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// This kubeconfig file only [default: KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use [default: its current-context].
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RolloutAction {
    /// Take the DaemonSet under management (OnDelete plus the herd.dev/rollout record, in one
    /// write) and roll out its template, or the template with the given images.
    Start(StartArgs),
    /// The state, the nodes on each revision and what blocks progress.
    Status(StatusArgs),
    /// Stop deleting old pods until resumed.
    Pause(Target),
    /// Go on from a pause point, a pause or a halt.
    Resume(Target),
    /// Stop the managed rollout and put the original update strategy back.
    Abort(Target),
    /// Roll a ControllerRevision's template out as a managed rollout (as `kubectl rollout
    /// undo`, in batches): the one before the current, or --to-revision N. It replaces a
    /// rollout in progress (a halted one, say), keeping its policy.
    Undo(UndoArgs),
    /// Edit the DaemonSet's own update strategy (maxUnavailable, maxSurge, minReadySeconds,
    /// OnDelete or RollingUpdate), checked with the API server's rules before anything is
    /// sent. Refused while a managed rollout holds the DaemonSet.
    Strategy(StrategyArgs),
    /// Stamp the template's kubectl.kubernetes.io/restartedAt, as `kubectl rollout restart`
    /// does, so every pod is replaced: by the DaemonSet's own strategy, or with --managed as
    /// a managed rollout (in the same write that takes the DaemonSet under management).
    Restart(RestartArgs),
}

#[derive(Debug, Clone, Args)]
pub struct UndoArgs {
    #[command(flatten)]
    pub target: Target,
    /// The revision to go back to [default: the one before the current].
    #[arg(long, value_name = "N")]
    pub to_revision: Option<i64>,
    /// Nodes unavailable at once, when no rollout is in progress to take the policy from.
    #[arg(long, value_name = "N|N%", default_value = "1")]
    pub max_unavailable: String,
    /// Carry the undo out from this process until it ends.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub target: Target,
    /// Set a container's image in the same write: CONTAINER=IMAGE (repeatable).
    #[arg(long, value_name = "CONTAINER=IMAGE")]
    pub image: Vec<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Carry the rollout out from this process until it completes, pauses or halts.
    #[arg(long)]
    pub wait: bool,
}

/// How a managed rollout proceeds (`start`, `restart --managed`).
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Nodes updated first: a count, or a node label selector.
    #[arg(long, value_name = "N|SELECTOR")]
    pub canary: Option<String>,
    /// Nodes kept on the old revision: a count (the last by name), or a node label selector.
    #[arg(long, value_name = "N|SELECTOR")]
    pub partition: Option<String>,
    /// Pause after the canary, after every batch, or at a share of the nodes (repeatable).
    #[arg(long, value_name = "canary|batch|N%")]
    pub pause_after: Vec<String>,
    /// Nodes unavailable at once: a count or a percentage of the nodes that run the DaemonSet.
    #[arg(long, value_name = "N|N%", default_value = "1")]
    pub max_unavailable: String,
    /// A new pod not Available this long after its old one went is a failure (seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub progress_deadline: i64,
    /// Leave the DaemonSet on OnDelete, under management, when the rollout completes.
    #[arg(long)]
    pub keep_managed: bool,
    /// Halt when new pods fail (crash loop, pull error, not Available by the deadline). The
    /// default; the flag spells it out for scripts.
    #[arg(long)]
    pub halt_on_failure: bool,
    /// When new pods fail, put the template the rollout started from back and roll it out.
    #[arg(long)]
    pub rollback_on_failure: bool,
    /// Also halt when nodes that took the new revision go NotReady at a higher rate than
    /// nodes that did not.
    #[arg(long)]
    pub halt_on_not_ready: bool,
}

impl PolicyArgs {
    /// Whether any flag differs from its default (a plain restart takes none of them).
    pub fn given(&self) -> bool {
        self.canary.is_some()
            || self.partition.is_some()
            || !self.pause_after.is_empty()
            || self.max_unavailable != "1"
            || self.progress_deadline != 600
            || self.keep_managed
            || self.halt_on_failure
            || self.rollback_on_failure
            || self.halt_on_not_ready
    }
}

/// `herd rollout strategy`: the values are taken as typed (negative numbers included) and
/// checked with the API server's rules, so each refusal names its field path.
#[derive(Debug, Clone, Args)]
pub struct StrategyArgs {
    #[command(flatten)]
    pub target: Target,
    /// spec.updateStrategy.rollingUpdate.maxUnavailable: a count or a percentage.
    #[arg(long, value_name = "N|N%", allow_hyphen_values = true)]
    pub max_unavailable: Option<String>,
    /// spec.updateStrategy.rollingUpdate.maxSurge: a count or a percentage (maxUnavailable
    /// must then be 0).
    #[arg(long, value_name = "N|N%", allow_hyphen_values = true)]
    pub max_surge: Option<String>,
    /// spec.minReadySeconds: seconds a new pod must be Ready to count as Available.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub min_ready_seconds: Option<String>,
    /// Switch to OnDelete: pods take a new template only when deleted.
    #[arg(long, conflicts_with = "rolling_update")]
    pub on_delete: bool,
    /// Switch to RollingUpdate (maxUnavailable 1, maxSurge 0 unless given).
    #[arg(long)]
    pub rolling_update: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RestartArgs {
    #[command(flatten)]
    pub target: Target,
    /// Restart as a managed rollout (OnDelete, the policy below) instead of by the
    /// DaemonSet's own strategy.
    #[arg(long)]
    pub managed: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// With --managed: carry the restart out from this process until it completes, pauses or
    /// halts.
    #[arg(long, requires = "managed")]
    pub wait: bool,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: Target,
    /// Output format: table or json.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table")]
    pub output: String,
    /// Carry the rollout out from this process until it completes, pauses or halts.
    #[arg(long)]
    pub wait: bool,
}

/// The exit codes of `herd check`, as `--help` shows them (docs/CHECK.md says the same).
const CHECK_EXIT_CODES: &str = "\
Exit codes:
  0  clean: no --fail-on condition holds
  1  findings: at least one --fail-on condition holds (the report says which)
  2  bad input or an unusable cluster, with one line on stderr: a malformed flag, kubeconfig
     or selector; -n naming no namespace, or -n/-l selecting no DaemonSet (unless
     --allow-empty); the server refused the credentials or user (401, 403, at once); or no
     full picture within --timeout (the line names the server and the last problem)";

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// This kubeconfig file only [default: KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use [default: its current-context].
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Only this namespace's DaemonSets and pods.
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Every namespace (the default when -n is not given).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Only DaemonSets whose labels match this selector (kubectl syntax).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Output format: table or json.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table")]
    pub output: String,
    /// Conditions that make the exit code 1, separated by commas: missing (a node lacks a
    /// DaemonSet: no pod, taint-blocked, stuck pending), failing (the release fails: crash
    /// loop, OOM kill, image pull, never Ready), node-down (a node that should run
    /// DaemonSets is NotReady, Unknown or condition-tainted), stalled (a rollout that does not
    /// move), untargeted (a DaemonSet whose selectors match no node), hog.
    #[arg(long, value_name = "LIST", default_value = "missing,failing")]
    pub fail_on: String,
    /// List every node of every gap and every hog pod, instead of one line per (DaemonSet,
    /// verdict, reason) and per (DaemonSet, hog level).
    #[arg(long)]
    pub wide: bool,
    /// A -n or -l that selects no DaemonSet (or -n naming no namespace) is a clean report
    /// instead of exit 2.
    #[arg(long)]
    pub allow_empty: bool,
    /// How long to wait for the cluster's initial lists and first metrics poll (30s, 2m, …).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub timeout: String,
    /// Ask the API server for gzipped lists: auto (servers not on loopback), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub compression: CompressionArg,
}

/// `--compression`: whether to ask for gzipped responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompressionArg {
    Auto,
    Always,
    Never,
}

impl From<CompressionArg> for herd_cluster::connect::Compression {
    fn from(arg: CompressionArg) -> Self {
        match arg {
            CompressionArg::Auto => Self::Auto,
            CompressionArg::Always => Self::Always,
            CompressionArg::Never => Self::Never,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Starting world: `demo` (about 40 nodes, a recognisable fleet) or `empty`.
    #[arg(long, default_value = "demo")]
    pub scenario: String,
    /// Scale the fleet to this many nodes.
    #[arg(long, value_name = "N")]
    pub nodes: Option<usize>,
    /// Scale the fleet to this many DaemonSets.
    #[arg(long, value_name = "M")]
    pub daemonsets: Option<usize>,
    /// Give every node this many application pods (Deployment-like, in namespace `apps`)
    /// besides its daemons, as a production cluster has.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub app_pods_per_node: usize,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub port: u16,
    /// Where to write the kubeconfig, in a directory only you can write [default:
    /// $XDG_RUNTIME_DIR/herd-sim/kubeconfig, else $XDG_CACHE_HOME/herd/sim/kubeconfig, else
    /// ~/.cache/herd/sim/kubeconfig].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Simulated seconds per real second (0 stops the clock).
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub speed: f64,
    /// Seed of the scenario and the simulation's randomness.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Share of API requests failed with an injected error (0 to 1).
    #[arg(long, value_name = "R", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Status code of injected failures (429 or 500).
    #[arg(long, value_name = "CODE", default_value_t = 500)]
    pub fail_code: u16,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
}

impl SimArgs {
    /// The kubeconfig path: the flag, or one fixed file so the same `kubectl --kubeconfig` line
    /// works across runs. Not in the shared temp directory, where another user could make that
    /// fixed name first: in the user's runtime directory (private by the XDG spec), else their
    /// cache directory.
    pub fn kubeconfig_path(&self) -> Result<PathBuf, String> {
        if let Some(path) = &self.kubeconfig {
            return Ok(path.clone());
        }
        default_sim_kubeconfig(
            std::env::var_os("XDG_RUNTIME_DIR"),
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("HOME"),
        )
        .ok_or_else(|| {
            "nowhere private to write the kubeconfig: none of XDG_RUNTIME_DIR, XDG_CACHE_HOME \
             and HOME is set to an absolute path (give one with --kubeconfig FILE)"
                .to_string()
        })
    }
}

/// `$XDG_RUNTIME_DIR/herd-sim/kubeconfig`, else `$XDG_CACHE_HOME/herd/sim/kubeconfig`, else
/// `$HOME/.cache/herd/sim/kubeconfig`. Relative values are ignored, as the XDG spec asks: they
/// would put the file wherever herd happens to be started.
fn default_sim_kubeconfig(
    runtime_dir: Option<OsString>,
    cache_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let absolute = |dir: Option<OsString>| dir.map(PathBuf::from).filter(|d| d.is_absolute());
    if let Some(dir) = absolute(runtime_dir) {
        return Some(dir.join("herd-sim").join("kubeconfig"));
    }
    let cache = absolute(cache_home).or_else(|| absolute(home).map(|h| h.join(".cache")))?;
    Some(cache.join("herd").join("sim").join("kubeconfig"))
}
