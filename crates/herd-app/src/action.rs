//! Everything that can happen to the TUI, as one enum: keys (already mapped by the keymap),
//! watch deltas, timer ticks, and the results of effects.

use std::sync::Arc;

use jiff::Timestamp;

use crate::view::{Motion, SortKey, View};
use herd_core::engine::policy::{Policy, Selection};
use herd_core::model::placement::PlacementSpec;
use herd_core::targeting::nodes::NodeEdit;
use herd_core::targeting::stage::Batch;

fn selection(s: &Selection) -> String {
    match s {
        Selection::Count(n) => n.to_string(),
        Selection::Selector(text) => text.clone(),
    }
}
use herd_core::model::feed::Feed;

#[allow(clippy::large_enum_variant)] // fleet events move through once, boxing buys nothing
#[derive(Debug, Clone)]
pub enum Action {
    /// A watch or metrics feed spoke; `epoch` names the connection it came from so events of a
    /// context we already left are dropped.
    Feed {
        epoch: u64,
        feed: Feed,
    },
    /// The connection for a context is up (or could not be made).
    Connected {
        epoch: u64,
        info: Result<ClusterInfo, String>,
    },
    /// Once a second: ages, flash expiry, staleness.
    Tick(Timestamp),
    /// A read of a node's other pods failed (see `update::others`).
    OtherPodsUnread {
        node: Arc<str>,
        error: String,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// A left click on terminal row `row` (with `--mouse`): selects the list row under it.
    Click {
        row: u16,
    },

    Move(Motion),
    /// `enter`: drill into the selected row.
    Open,
    /// `esc`: leave the overlay, clear the filter, or pop the view.
    Back,
    Show(View),
    Sort(SortKey),
    /// `0`: every namespace.
    AllNamespaces,
    Namespace(Arc<str>),
    /// `:ns` with no name: a list of the fleet's namespaces to pick from.
    PickNamespace,
    SwitchContext(String),
    ToggleHelp,
    /// `l`: the log of the pod of the selected row.
    OpenLogs,
    /// `p` on a pod's row: its previous run's log straight away (`kubectl logs --previous`).
    OpenPreviousLogs,
    /// A key of the log view.
    Logs(LogsKey),
    /// A key herd does not bind here: the flash line says so, and what is bound (the text is
    /// the key table's, which `update` does not know).
    Unbound(String),
    /// `!`: open (or close) the last warning or error in full.
    ToggleLastError,
    /// `m` on a DaemonSet: the per-node table or the coverage map.
    ToggleCoverageMap,

    /// Start typing a filter (`/`) or a command (`:`).
    StartFilter,
    StartCommand,
    Input(char),
    InputBackspace,
    InputSubmit,

    /// `R` on a DaemonSet: the managed-rollout dialog (a policy and its plan), or the controls
    /// of the rollout in progress.
    OpenRollout,
    /// `tab` in the rollout dialog: the next field.
    NextField,
    /// `→` in the targeting editor or the node edit: take the first completion.
    Complete,
    /// `ctrl-n` in the rollout dialog: set the image under the DaemonSet's own strategy
    /// instead (native RollingUpdate, with its maxSurge), as `kubectl set image` does.
    SubmitNative,

    /// `T` on a DaemonSet: the node-targeting editor.
    OpenTarget,
    /// `f` on a node a DaemonSet does not cover: the fixes its reason suggests.
    OpenFixes,
    /// `E` on a DaemonSet: its node targeting as YAML in $EDITOR, as `kubectl edit` does.
    EditTargetYaml,
    /// What came back from $EDITOR: the targeting saved (checked by Kubernetes' rules),
    /// `None` when nothing was changed, or why it could not be used.
    TargetEdited {
        uid: Arc<str>,
        base: PlacementSpec,
        result: Result<Option<PlacementSpec>, String>,
    },
    /// Space on the nodes screen: mark or unmark the node under the cursor.
    ToggleMark,
    /// `t` on nodes: type a label, taint or cordon for the marked nodes (or this one).
    OpenNodeEdit,
    /// `c` / `u` with nodes marked: cordon or uncordon all of them, with the preview.
    EditMarked(NodeEdit),
    /// The targeting write was refused because someone changed the DaemonSet's targeting since
    /// the editor read it: reopen the edit over what it is now.
    TargetConflict {
        namespace: Arc<str>,
        name: Arc<str>,
        /// What they changed, field by field.
        theirs: Vec<String>,
        /// The targeting now, and the person's edit.
        current: PlacementSpec,
        base: PlacementSpec,
        wanted: PlacementSpec,
    },

    /// Cluster writes (never bound under `--readonly`); each asks for confirmation first.
    Request(Write),
    Confirm,
    Cancel,

    /// Results of effects that fetched something on demand.
    Loaded {
        view: View,
        result: Result<Vec<String>, String>,
    },
    /// The runtime switched to the theme named, or could not load it.
    ThemeLoaded(Result<String, String>),
    WriteDone {
        what: String,
        result: Result<(), String>,
    },
    /// The runtime no longer carries out the rollout of `daemon_set` (`namespace/name`): it
    /// settled, or the write that would have started it failed. (`update` counts a rollout as
    /// carried from the moment its write is confirmed.)
    CarryEnded {
        daemon_set: String,
    },
    /// `q`, `:q` or ctrl-c: asks first while this process carries rollouts out.
    Quit,
    /// Quit whatever this process carries out.
    QuitAnyway,
}

/// What the header shows about the cluster herd talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterInfo {
    pub context: String,
    pub cluster: String,
    pub user: String,
    pub server_version: Option<String>,
    /// Every context in the kubeconfig, for `:ctx`.
    pub contexts: Vec<String>,
}

/// The keys of the log view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogsKey {
    /// `p`: the run before, or back to the current one.
    Previous,
    /// `0`…`9`: the pod's container of that number.
    Container(usize),
    /// `w`: long lines wrapped, or cut.
    Wrap,
    /// `s`: the lines shown, to a private file.
    Save,
}

/// A change to the cluster the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// `kubectl rollout restart ds/NAME`.
    Restart { namespace: Arc<str>, name: Arc<str> },
    /// `kubectl cordon|uncordon NODE`.
    Cordon { node: Arc<str>, cordon: bool },
    /// `herd rollout start`: take the DaemonSet under management and roll out its template
    /// with these images, under `policy`; this TUI then carries it out.
    StartRollout {
        namespace: Arc<str>,
        name: Arc<str>,
        policy: Policy,
        images: Vec<(String, String)>,
    },
    /// `herd rollout pause|resume|abort|undo`.
    Rollout {
        namespace: Arc<str>,
        name: Arc<str>,
        word: RolloutWord,
    },
    /// `kubectl set image ds/NAME CONTAINER=IMAGE`: the DaemonSet's own strategy rolls it out.
    SetImage {
        namespace: Arc<str>,
        name: Arc<str>,
        container: String,
        image: String,
    },
    /// `herd rollout undo --to-revision N`: the revision picked on the history screen.
    UndoTo {
        namespace: Arc<str>,
        name: Arc<str>,
        revision: i64,
    },
    /// `herd target`: the DaemonSet's node targeting set to `wanted`, written only over
    /// `base` (what the editor read).
    Retarget {
        namespace: Arc<str>,
        name: Arc<str>,
        base: PlacementSpec,
        wanted: PlacementSpec,
        /// The edit and its preview's headline, for the confirmation and the audit line.
        summary: String,
        /// Staged through the engine rather than applied at once.
        stage: Option<Staging>,
    },
    /// `herd target --resume|--rollback`: a person's word on a staged targeting edit.
    Stage {
        namespace: Arc<str>,
        name: Arc<str>,
        word: StageWord,
    },
    /// `kubectl delete pod`: the pod `uid` only (a pod recreated under the same name is left
    /// alone). Its DaemonSet, `owner`, creates a new one.
    DeletePod {
        namespace: Arc<str>,
        name: Arc<str>,
        uid: Arc<str>,
        owner: Option<Arc<str>>,
    },
    /// `kubectl label|taint|cordon` on nodes.
    EditNodes {
        nodes: Vec<Arc<str>>,
        edit: NodeEdit,
        /// Which DaemonSets gain or lose a pod there, for the confirmation.
        summary: String,
    },
}

/// How a targeting edit is staged: the nodes that gain the daemon held, then released
/// `batch` at a time in the order of the node label `order_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staging {
    pub batch: Batch,
    pub order_by: Option<String>,
    /// The preview's nodes that gain the daemon.
    pub gains: Vec<Arc<str>>,
}

impl Staging {
    /// The `herd target` flags that stage the same way.
    pub fn flags(&self) -> String {
        let mut flags = format!("--stage --batch {}", self.batch);
        if let Some(label) = &self.order_by {
            flags.push_str(&format!(" --order-by {label}"));
        }
        flags
    }
}

/// A person's word on a staged targeting edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageWord {
    /// A halted staging goes on releasing.
    Resume,
    /// The targeting from before the edit, and every held node released.
    Rollback,
}

impl StageWord {
    pub fn as_str(self) -> &'static str {
        match self {
            StageWord::Resume => "resume",
            StageWord::Rollback => "rollback",
        }
    }
}

/// A person's word on a managed rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutWord {
    Pause,
    Resume,
    Abort,
    /// Back to the revision before the current one, in batches.
    Undo,
}

impl RolloutWord {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutWord::Pause => "pause",
            RolloutWord::Resume => "resume",
            RolloutWord::Abort => "abort",
            RolloutWord::Undo => "undo",
        }
    }
}

impl Write {
    /// How the confirmation and the flash line name it, with the kubectl equivalent.
    pub fn describe(&self) -> String {
        match self {
            Write::Restart { namespace, name } => {
                format!(
                    "restart DaemonSet {namespace}/{name} (kubectl -n {namespace} rollout restart ds/{name})"
                )
            }
            Write::Cordon { node, cordon: true } => {
                format!("cordon node {node} (kubectl cordon {node})")
            }
            Write::Cordon {
                node,
                cordon: false,
            } => {
                format!("uncordon node {node} (kubectl uncordon {node})")
            }
            Write::StartRollout {
                namespace,
                name,
                policy,
                images,
            } => {
                let mut line = format!(
                    "start a managed rollout of {namespace}/{name} (herd rollout start -n {namespace} {name}"
                );
                for (c, i) in images {
                    line.push_str(&format!(" --image {c}={i}"));
                }
                line.push_str(&format!(" --max-unavailable {}", policy.max_unavailable));
                if let Some(canary) = &policy.canary {
                    line.push_str(&format!(" --canary {}", selection(canary)));
                }
                for p in &policy.pause_after {
                    line.push_str(&format!(" --pause-after {p}"));
                }
                line.push(')');
                line
            }
            Write::Rollout {
                namespace,
                name,
                word,
            } => {
                let w = word.as_str();
                format!(
                    "{w} the rollout of {namespace}/{name} (herd rollout {w} -n {namespace} {name})"
                )
            }
            Write::SetImage {
                namespace,
                name,
                container,
                image,
            } => format!(
                "set image {container}={image} on {namespace}/{name}, rolled out by its own \
                 update strategy (kubectl -n {namespace} set image ds/{name} {container}={image})"
            ),
            Write::UndoTo {
                namespace,
                name,
                revision,
            } => format!(
                "roll {namespace}/{name} back to revision {revision}, in batches (herd rollout \
                 undo -n {namespace} {name} --to-revision {revision})"
            ),
            Write::Retarget {
                namespace,
                name,
                summary,
                stage: None,
                ..
            } => format!("change the node targeting of {namespace}/{name}: {summary}"),
            Write::Retarget {
                namespace,
                name,
                summary,
                stage: Some(stage),
                ..
            } => {
                let order = stage
                    .order_by
                    .as_ref()
                    .map_or_else(|| "by name".to_string(), |l| format!("in the order of {l}"));
                format!(
                    "stage the node targeting change of {namespace}/{name}: {summary}; the {} \
                     node(s) that gain it are held and released {} at a time {order}, each \
                     batch once the last is Available (herd target -n {namespace} {name} … {})",
                    stage.gains.len(),
                    stage.batch,
                    stage.flags()
                )
            }
            Write::Stage {
                namespace,
                name,
                word: StageWord::Resume,
            } => format!(
                "resume the staged edit of {namespace}/{name}: release the held nodes again \
                 (herd target -n {namespace} {name} --resume)"
            ),
            Write::Stage {
                namespace,
                name,
                word: StageWord::Rollback,
            } => format!(
                "roll back the staged edit of {namespace}/{name}: its targeting from before, \
                 every held node released (herd target -n {namespace} {name} --rollback)"
            ),
            Write::EditNodes {
                nodes,
                edit,
                summary,
            } => format!("{edit}: {summary} ({})", edit.kubectl(nodes)),
            Write::DeletePod {
                namespace,
                name,
                owner,
                ..
            } => {
                let after = owner.as_ref().map_or_else(
                    || "nothing recreates it".to_string(),
                    |ds| format!("DaemonSet {ds} creates a new one on its node"),
                );
                format!(
                    "delete pod {namespace}/{name}: {after} (kubectl -n {namespace} delete pod {name})"
                )
            }
        }
    }

    /// The DaemonSet (`namespace/name`) whose rollout this process carries out once the write
    /// is made: a start, a resume or an undo.
    pub fn carried(&self) -> Option<String> {
        match self {
            Write::StartRollout {
                namespace, name, ..
            }
            | Write::Rollout {
                namespace,
                name,
                word: RolloutWord::Resume | RolloutWord::Undo,
            }
            | Write::UndoTo {
                namespace, name, ..
            }
            | Write::Retarget {
                namespace,
                name,
                stage: Some(_),
                ..
            }
            | Write::Stage {
                namespace,
                name,
                word: StageWord::Resume,
            } => Some(format!("{namespace}/{name}")),
            _ => None,
        }
    }

    /// Whether it acts on every node of a DaemonSet at once: such writes ask for the
    /// DaemonSet's name to be typed, not just `y`.
    pub fn fleet_wide(&self) -> Option<&str> {
        match self {
            Write::StartRollout { name, .. }
            | Write::UndoTo { name, .. }
            | Write::Retarget { name, .. }
            | Write::SetImage { name, .. }
            | Write::Stage {
                name,
                word: StageWord::Rollback,
                ..
            }
            | Write::Rollout {
                name,
                word: RolloutWord::Abort | RolloutWord::Undo,
                ..
            } => Some(name),
            _ => None,
        }
    }
}
