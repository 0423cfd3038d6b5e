//! The screens the TUI can show and the per-screen UI state (cursor, scroll, filter, sort) kept
//! on the navigation stack.

use std::sync::Arc;

/// One screen. DaemonSets are named by uid (stable across renames of nothing, and what owners
/// reference); nodes by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum View {
    /// Home: every DaemonSet.
    Fleet,
    /// One DaemonSet: spec summary, rollout, per-node table or coverage map.
    DaemonSet {
        uid: Arc<str>,
    },
    Nodes,
    /// One node: why each DaemonSet does or does not run there.
    Node {
        name: Arc<str>,
    },
    Hogs,
    /// Events about one DaemonSet (fetched on demand).
    Events {
        uid: Arc<str>,
    },
    /// Revision history of one DaemonSet with a diff between revisions (fetched on demand).
    History {
        uid: Arc<str>,
    },
    /// The YAML of one object (fetched on demand).
    Yaml {
        target: YamlTarget,
    },
    /// One pod, node or DaemonSet described as `kubectl describe` does (fetched on demand).
    Describe {
        target: YamlTarget,
    },
    /// Events about one pod or node (fetched on demand; a DaemonSet's are [`View::Events`]).
    ObjectEvents {
        target: YamlTarget,
    },
    /// One container's log (fetched on demand, and again every few seconds while it is the
    /// current run: following).
    Logs {
        target: LogTarget,
    },
}

/// Whose log: a pod's container, its current run or the one before.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogTarget {
    pub namespace: Arc<str>,
    pub pod: Arc<str>,
    pub container: Arc<str>,
    /// The pod's containers, for `0`…`9`.
    pub containers: Vec<Arc<str>>,
    /// The run before the current one (`kubectl logs --previous`).
    pub previous: bool,
}

impl LogTarget {
    /// `kube-system/npd-x [npd] previous run`, as the title says it.
    pub fn describe(&self) -> String {
        let run = if self.previous {
            "previous run"
        } else {
            "following"
        };
        format!("{}/{} [{}] {run}", self.namespace, self.pod, self.container)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum YamlTarget {
    DaemonSet { namespace: Arc<str>, name: Arc<str> },
    Node { name: Arc<str> },
    Pod { namespace: Arc<str>, name: Arc<str> },
}

impl View {
    /// The crumb and title text.
    pub fn title(&self) -> &'static str {
        match self {
            View::Fleet => "daemonsets",
            View::DaemonSet { .. } => "daemonset",
            View::Nodes => "nodes",
            View::Node { .. } => "node",
            View::Hogs => "hogs",
            View::Events { .. } => "events",
            View::History { .. } => "history",
            View::Yaml { .. } => "yaml",
            View::Logs { .. } => "logs",
            View::ObjectEvents { .. } => "events",
            View::Describe { .. } => "describe",
        }
    }

    /// The uid of the DaemonSet the view is about, if it is about one.
    pub fn daemon_set_uid(&self) -> Option<&Arc<str>> {
        match self {
            View::DaemonSet { uid } | View::Events { uid } | View::History { uid } => Some(uid),
            _ => None,
        }
    }

    /// Views whose content comes from a one-off fetch rather than the watches.
    pub fn is_fetched(&self) -> bool {
        matches!(
            self,
            View::Events { .. }
                | View::History { .. }
                | View::Yaml { .. }
                | View::Logs { .. }
                | View::ObjectEvents { .. }
                | View::Describe { .. }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// Sort orders, as k9s binds them (shift-N name, shift-A age, ...). Each view maps them to
/// its own columns; a key a view has no column for sorts by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Name,
    Namespace,
    Age,
    /// The view's status column: coverage for DaemonSets, status for nodes and rows.
    Status,
    /// Gaps (missing + failing) for DaemonSets, DaemonSet tax for nodes, pressure for hogs.
    Weight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Name,
            descending: false,
        }
    }
}

/// Fetched content of a fetched view, as display lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Loading,
    Lines(Vec<String>),
    Failed(String),
}

/// A view on the stack with its own cursor, scroll, filter and sort.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub view: View,
    pub cursor: usize,
    /// First visible row.
    pub offset: usize,
    /// The committed `/` filter ("" = none).
    pub filter: String,
    pub sort: Sort,
    /// DaemonSet view: show the coverage map instead of the per-node table.
    pub map: bool,
    /// Row order after filter and sort: indexes into the view's source rows.
    pub rows: Vec<u32>,
    /// Fetched views only.
    pub fetched: Fetched,
    /// When the fetched lines last arrived (a followed log asks again a while after).
    pub loaded_at: Option<jiff::Timestamp>,
    /// The name of the DaemonSet a DaemonSet, events or history view is about, taken when the
    /// view opens: the view is named by uid, and once the DaemonSet is deleted the fleet can
    /// no longer say what that uid was called, yet the crumb must still say it.
    pub name: Option<Arc<str>>,
}

impl Page {
    pub fn new(view: View) -> Self {
        let sort = match view {
            View::Hogs => Sort {
                key: SortKey::Weight,
                descending: true,
            },
            // A DaemonSet's nodes: problems first.
            View::DaemonSet { .. } => Sort {
                key: SortKey::Status,
                descending: false,
            },
            _ => Sort::default(),
        };
        Page {
            fetched: if view.is_fetched() {
                Fetched::Loading
            } else {
                Fetched::Lines(Vec::new())
            },
            view,
            cursor: 0,
            offset: 0,
            filter: String::new(),
            sort,
            map: false,
            rows: Vec::new(),
            name: None,
            loaded_at: None,
        }
    }

    /// The source index of the selected row.
    pub fn selected(&self) -> Option<usize> {
        self.rows.get(self.cursor).map(|&i| i as usize)
    }
}
