//! Everything the TUI knows, as plain data: the fleet, what analysis derived from it, the
//! session (which cluster, feed health), and the UI (navigation stack, input mode, flash).

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;

use crate::action::{ClusterInfo, Write};
use crate::derived::Derived;
use crate::view::{Page, View};
use herd_core::analysis::thresholds::Thresholds;
use herd_core::engine::plan::NodeCache;
use herd_core::engine::policy::{PausePoint, Policy, Selection};
use herd_core::engine::preview::Preview;
use herd_core::model::feed::FeedKind;
use herd_core::model::fleet::Fleet;
use herd_core::model::placement::PlacementSpec;
use herd_core::targeting::fix::Fix;
use herd_core::targeting::nodes::{DaemonSetDelta, NodeEdit};
use herd_core::targeting::preview::Preview as TargetPreview;
use herd_core::targeting::spelling;
use herd_core::targeting::validate::validate;
use herd_core::targeting::vocabulary::Vocabulary;

pub struct State {
    pub fleet: Fleet,
    /// A metrics poll that arrived before the first pod list (see `update::feed`).
    pub held_metrics: Option<herd_core::model::usage::MetricsSnapshot>,
    pub derived: Derived,
    pub session: Session,
    pub ui: Ui,
    /// Which theme the screen is drawn in. The runtime holds the theme itself and hands it to
    /// render; the core only names it.
    pub theme: Themes,
    pub thresholds: Thresholds,
    pub now: Timestamp,
    /// Set by `update` when something visible changed; the runtime draws and clears it.
    pub dirty: bool,
    /// Set by `update` when the fleet changed; the runtime re-derives (coalesced) and clears it.
    pub stale_derived: bool,
    /// What the rollout view's plans read of the nodes, kept between its refreshes.
    pub rollout_nodes: NodeCache,
    /// Rollouts this process carries out (`namespace/name`): quitting leaves them to wait for
    /// `herd engine` or another herd, so quitting asks first.
    pub carrying: BTreeSet<String>,
    pub quit: bool,
}

/// Which cluster and how its feeds are doing.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Bumped on every (re)connect; feed actions from older epochs are dropped.
    pub epoch: u64,
    pub info: ClusterInfo,
    /// `None` until the first connection answered.
    pub connected: Option<Result<(), String>>,
    pub readonly: bool,
    /// The namespace the watches are limited to (`-n`); `None` watches all.
    pub watch_namespace: Option<Arc<str>>,
    pub feeds: Vec<FeedHealth>,
    /// When the last watch event arrived.
    pub last_event: Option<Timestamp>,
    /// Reads of nodes' other pods asked and not answered yet (see `update::others`).
    pub others_asked: crate::update::others::InFlight,
    /// The usage the screen showed when the runtime was last told.
    pub usage_focus: herd_core::model::usage::UsageFocus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHealth {
    pub kind: FeedKind,
    pub state: FeedState,
    /// A complete list arrived on this connection. Until then the feed has no data, whatever
    /// trouble and recovery came before: recovering takes it back to `Syncing`, not `Live`.
    pub listed: bool,
    /// When the feed last delivered (an event, a poll, a recovery). A failed poll's data is as
    /// old as this, so a metrics feed is stale since then, not since the poll that failed.
    pub last_ok: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedState {
    /// Waiting for the first complete list.
    Syncing,
    Live,
    /// The data this feed gives is out of date since `since`, because of `reason`: for a watch
    /// the moment it failed (it was live until then), for a poll its last good poll.
    Stale {
        since: Timestamp,
        reason: String,
    },
}

impl Session {
    pub fn fresh_feeds() -> Vec<FeedHealth> {
        FeedKind::ALL
            .into_iter()
            .map(|kind| FeedHealth {
                kind,
                state: FeedState::Syncing,
                listed: false,
                last_ok: None,
            })
            .collect()
    }

    /// Feeds whose data is not current, with their state.
    pub fn unhealthy(&self) -> impl Iterator<Item = &FeedHealth> {
        self.feeds.iter().filter(|f| f.state != FeedState::Live)
    }

    /// Every watch (metrics aside, which may legitimately be absent) has listed once.
    pub fn synced(&self) -> bool {
        self.feeds
            .iter()
            .filter(|f| f.kind.is_watch())
            .all(|f| f.listed)
    }

    /// Whether feed `kind` has delivered a complete list on this connection.
    pub fn listed(&self, kind: FeedKind) -> bool {
        self.feeds.iter().any(|f| f.kind == kind && f.listed)
    }

    /// The health of feed `kind`.
    pub fn feed(&self, kind: FeedKind) -> Option<&FeedHealth> {
        self.feeds.iter().find(|f| f.kind == kind)
    }
}

pub struct Ui {
    /// Never empty: the bottom is the Fleet view.
    pub stack: Vec<Page>,
    pub mode: Mode,
    pub flash: Option<Flash>,
    /// The last warning or error flashed, whole: the flash line may cut it and its timer
    /// drops it, and `!` shows it in full.
    pub last_error: Option<String>,
    /// The namespace the views show; `None` = all namespaces.
    pub namespace: Option<Arc<str>>,
    /// Nodes marked with space on the nodes screen: `t`, `c` and `u` act on all of them.
    pub marked: BTreeSet<Arc<str>>,
    /// Long log lines wrapped rather than cut (`w` on a log).
    pub wrap_logs: bool,
    pub width: u16,
    pub height: u16,
}

impl Ui {
    pub fn new(width: u16, height: u16) -> Self {
        Ui {
            stack: vec![Page::new(View::Fleet)],
            mode: Mode::Normal,
            flash: None,
            last_error: None,
            namespace: None,
            marked: BTreeSet::new(),
            wrap_logs: false,
            width,
            height,
        }
    }

    pub fn page(&self) -> &Page {
        // The stack is never empty (`Back` stops at the last page); fall back to the bottom.
        &self.stack[self.stack.len().saturating_sub(1)]
    }

    pub fn page_mut(&mut self) -> &mut Page {
        let top = self.stack.len().saturating_sub(1);
        &mut self.stack[top]
    }

    /// Table rows that fit on screen under the header, the table header and the footer.
    pub fn visible_rows(&self) -> usize {
        usize::from(self.height.saturating_sub(crate::geometry::CHROME_ROWS)).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a `/` filter; applied live, kept on enter, dropped on esc.
    Filter {
        input: String,
        /// The committed filter when typing began; esc goes back to it.
        before: String,
        /// What the rows show while `input` is a selector that does not parse: the last
        /// selector typed that did, else `before`. A text filter on the way to a selector
        /// (`app in`) would show no rows at all, so it never becomes the fallback.
        fallback: String,
    },
    /// Typing a `:` command.
    Command {
        input: String,
    },
    Help,
    /// `:ns` with no name: choose among the namespaces the fleet knows (`None` = all).
    PickNamespace {
        choices: Vec<Option<Arc<str>>>,
        cursor: usize,
    },
    /// `!`: the last warning or error in full.
    LastError,
    /// A cluster write waiting for `y`.
    Confirm(Write),
    /// A write on every node of a DaemonSet, waiting for its name to be typed.
    TypeName {
        write: Write,
        typed: String,
    },
    /// `R`: the policy of a managed rollout being filled in, with its plan.
    RolloutForm(RolloutForm),
    /// `R` on a DaemonSet whose managed rollout is in hand: its state and controls.
    RolloutPanel {
        uid: Arc<str>,
    },
    /// `q` while this process carries rollouts out: quit anyway?
    ConfirmQuit,
    /// `T`: a DaemonSet's node targeting being edited, with the preview of what it does.
    TargetForm(Box<TargetForm>),
    /// An edit that adds the daemon to many nodes, before its confirmation: stage it (enter
    /// or `s`; `b` and `o` change the batch and the order), apply it at once (`a`), or go back
    /// to the editor (esc), which `form` keeps.
    StageChoice {
        form: Box<TargetForm>,
        /// The write, staged.
        write: Write,
    },
    /// `t` on nodes: a label, taint or cordon typed for the marked nodes (or the one under the
    /// cursor), with the DaemonSets that gain or lose a pod there.
    NodeEdit(Box<NodeEditForm>),
    /// `f` on a node a DaemonSet does not cover (or on a DaemonSet that targets no node): the
    /// fixes its reason suggests, to pick from.
    Fixes {
        uid: Arc<str>,
        /// The node the fixes are for; `None` for a DaemonSet that targets no node.
        node: Option<Arc<str>>,
        fixes: Vec<Fix>,
        cursor: usize,
    },
}

/// A node edit as typed, for the nodes it was opened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEditForm {
    pub nodes: Vec<Arc<str>>,
    pub input: String,
    /// The edit as typed and the DaemonSets it moves, or every problem with it.
    pub preview: Result<(NodeEdit, Vec<DaemonSetDelta>), Vec<String>>,
    /// The fleet's labels and taints, for completion (read when the form opened).
    pub vocabulary: Arc<Vocabulary>,
}

/// The targeting editor's fields, as typed, over the targeting read when it opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetForm {
    pub uid: Arc<str>,
    /// The targeting as it was when the editor opened: the apply is made over it, and refused
    /// if someone changed it meanwhile.
    pub base: PlacementSpec,
    pub node_selector: String,
    pub affinity: String,
    pub tolerations: String,
    /// Which field typing goes to (see [`TargetForm::FIELDS`]).
    pub focus: usize,
    /// The preview of the fields as typed, or every problem with them, each naming its field.
    pub preview: Result<TargetPreview, Vec<String>>,
    /// A line above the fields: the fix that opened the editor, or someone else's change.
    pub note: Option<String>,
    /// The fleet's labels and taints, for completion (read when the editor opened).
    pub vocabulary: Arc<Vocabulary>,
}

impl TargetForm {
    pub const FIELDS: [&'static str; 3] = ["nodeSelector", "node affinity", "tolerations"];

    /// An editor over `base`, its fields showing `shown`.
    pub fn new(
        uid: Arc<str>,
        base: PlacementSpec,
        shown: &PlacementSpec,
        vocabulary: Arc<Vocabulary>,
    ) -> Self {
        TargetForm {
            uid,
            base,
            node_selector: spelling::format_node_selector(&shown.node_selector),
            affinity: spelling::format_affinity(shown.required_terms.as_deref()),
            tolerations: spelling::format_tolerations(&shown.tolerations),
            focus: 0,
            preview: Err(Vec::new()),
            note: None,
            vocabulary,
        }
    }

    pub fn field_mut(&mut self) -> &mut String {
        match self.focus {
            0 => &mut self.node_selector,
            1 => &mut self.affinity,
            _ => &mut self.tolerations,
        }
    }

    pub fn values(&self) -> [&str; 3] {
        [&self.node_selector, &self.affinity, &self.tolerations]
    }

    /// The targeting the fields say (nodeName and hostNetwork kept from the base), or every
    /// problem: text that does not parse, then the API server's rules.
    pub fn wanted(&self) -> Result<PlacementSpec, Vec<String>> {
        let mut problems = Vec::new();
        let mut spec = self.base.clone();
        match spelling::parse_node_selector("nodeSelector", &self.node_selector) {
            Ok(v) => spec.node_selector = v,
            Err(e) => problems.push(e.to_string()),
        }
        match spelling::parse_affinity("node affinity", &self.affinity) {
            Ok(v) => spec.required_terms = v,
            Err(e) => problems.push(e.to_string()),
        }
        match spelling::parse_tolerations("tolerations", &self.tolerations) {
            Ok(v) => spec.tolerations = v,
            Err(e) => problems.push(e.to_string()),
        }
        if problems.is_empty() {
            problems.extend(validate(&spec).iter().map(|e| e.to_string()));
        }
        if problems.is_empty() {
            Ok(spec)
        } else {
            Err(problems)
        }
    }
}

/// The managed-rollout dialog's fields, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutForm {
    pub uid: Arc<str>,
    /// The first container's name: the image field sets its image.
    pub container: String,
    pub image: String,
    pub max_unavailable: String,
    pub canary: String,
    pub pause_after: String,
    /// Which field typing goes to (see [`RolloutForm::FIELDS`]).
    pub focus: usize,
    /// The plan the policy as typed would follow, or what is wrong with it.
    pub preview: Result<Preview, String>,
}

impl RolloutForm {
    pub const FIELDS: [&'static str; 4] = ["image", "max unavailable", "canary", "pause after"];

    pub fn field_mut(&mut self) -> &mut String {
        match self.focus {
            0 => &mut self.image,
            1 => &mut self.max_unavailable,
            2 => &mut self.canary,
            _ => &mut self.pause_after,
        }
    }

    pub fn values(&self) -> [&str; 4] {
        [
            &self.image,
            &self.max_unavailable,
            &self.canary,
            &self.pause_after,
        ]
    }

    /// The policy the fields say, or what is wrong with it, naming the field.
    pub fn policy(&self) -> Result<Policy, String> {
        let mut pause_after = Vec::new();
        for text in self.pause_after.split(',').filter(|t| !t.trim().is_empty()) {
            pause_after.push(PausePoint::parse(text).ok_or_else(|| {
                format!("pause after {text:?}: canary, batch or a percentage such as 50%")
            })?);
        }
        let policy = Policy {
            max_unavailable: self.max_unavailable.trim().to_string(),
            canary: Selection::parse(&self.canary),
            pause_after,
            ..Policy::default()
        };
        policy.check().map_err(|e| e.to_string())?;
        if self.image.trim().is_empty() {
            return Err("image: empty".to_string());
        }
        Ok(policy)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub level: Level,
    pub text: String,
    pub until: Timestamp,
}

/// The themes `:theme` can name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Themes {
    /// The theme on screen.
    pub current: String,
    /// The built-in themes, listed by `:theme` with no name.
    pub builtin: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl State {
    pub fn new(theme: Themes, readonly: bool, now: Timestamp) -> Self {
        State {
            fleet: Fleet::new(),
            held_metrics: None,
            derived: Derived::default(),
            session: Session {
                readonly,
                feeds: Session::fresh_feeds(),
                ..Session::default()
            },
            ui: Ui::new(80, 24),
            theme,
            thresholds: Thresholds::default(),
            now,
            dirty: true,
            stale_derived: true,
            rollout_nodes: NodeCache::new(),
            carrying: BTreeSet::new(),
            quit: false,
        }
    }
}
