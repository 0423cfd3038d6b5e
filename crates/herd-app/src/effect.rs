//! What `update` asks the runtime to do: the only way the core reaches the outside world.

use std::sync::Arc;

use crate::action::Write;
use crate::view::{LogTarget, View};
use herd_core::model::placement::PlacementSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Drop the current connection's feeds and connect to this context and namespace scope.
    Connect {
        context: Option<String>,
        namespace: Option<Arc<str>>,
    },
    /// Fetch what a view shows that the watches do not carry (events, revisions, YAML).
    Load(View),
    /// Read the pods on these nodes that the pod watch does not carry; each node's answer
    /// comes back as a `FleetEvent::OtherPods` feed event.
    ReadOtherPods {
        nodes: Vec<Arc<str>>,
    },
    /// The usage the screen shows changed: the metrics poll reads it at the asked interval.
    FocusUsage(herd_core::model::usage::UsageFocus),
    /// Read a theme by name or path.
    LoadTheme(String),
    /// Carry out a confirmed write.
    Write(Write),
    /// `E`: open a DaemonSet's node targeting in $EDITOR (the TUI steps aside meanwhile) and
    /// report what was saved as [`crate::action::Action::TargetEdited`].
    EditTargeting {
        uid: Arc<str>,
        /// `namespace/name`, for the file's header.
        daemon_set: String,
        /// The targeting when `E` was pressed: what the document shows, and what the apply is
        /// later made over.
        base: PlacementSpec,
    },
    /// `s` on a log: the lines to a private file named after `target`.
    SaveLog {
        target: LogTarget,
        lines: Vec<String>,
    },
    Quit,
}
