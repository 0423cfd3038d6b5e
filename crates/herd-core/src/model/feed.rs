//! The feeds herd reads a cluster through, and what each says: one `FeedKind` names a feed
//! from the task that watches it to the header that shows its health, so a feed the header
//! does not know cannot be expressed.

use std::fmt;

use super::fleet::{FleetEvent, Record, RecordKey, Relist};

/// One source of fleet data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedKind {
    Nodes,
    Pods,
    DaemonSets,
    ControllerRevisions,
    /// metrics.k8s.io PodMetrics: per-pod usage.
    Metrics,
    /// metrics.k8s.io NodeMetrics: per-node usage, read in the same poll as pod metrics but
    /// able to fail on its own.
    NodeMetrics,
}

impl FeedKind {
    /// Every feed, in the order the header lists them.
    pub const ALL: [FeedKind; 6] = [
        FeedKind::Nodes,
        FeedKind::Pods,
        FeedKind::DaemonSets,
        FeedKind::ControllerRevisions,
        FeedKind::Metrics,
        FeedKind::NodeMetrics,
    ];

    /// The watched kinds, whose first list every screen needs. Metrics may legitimately be
    /// absent (no metrics-server), so they never hold the first frame back.
    pub const WATCHES: [FeedKind; 4] = [
        FeedKind::Nodes,
        FeedKind::Pods,
        FeedKind::DaemonSets,
        FeedKind::ControllerRevisions,
    ];

    /// How messages name the feed: the resource it reads, as kubectl names it.
    pub fn name(self) -> &'static str {
        match self {
            FeedKind::Nodes => "nodes",
            FeedKind::Pods => "pods",
            FeedKind::DaemonSets => "daemonsets",
            FeedKind::ControllerRevisions => "controllerrevisions",
            FeedKind::Metrics => "metrics",
            FeedKind::NodeMetrics => "node metrics",
        }
    }

    pub fn is_watch(self) -> bool {
        !matches!(self, FeedKind::Metrics | FeedKind::NodeMetrics)
    }

    /// The feed an event came from.
    pub fn of(event: &FleetEvent) -> FeedKind {
        match event {
            FleetEvent::Upsert(Record::Node(_))
            | FleetEvent::Delete(RecordKey::Node { .. })
            | FleetEvent::Relisted(Relist::Nodes(_)) => FeedKind::Nodes,
            FleetEvent::Upsert(Record::Pod(_))
            | FleetEvent::Delete(RecordKey::Pod { .. })
            | FleetEvent::Relisted(Relist::Pods(_))
            | FleetEvent::PodsRelisting { .. }
            | FleetEvent::PodScope(_)
            | FleetEvent::OtherPods(_) => FeedKind::Pods,
            FleetEvent::Upsert(Record::DaemonSet(_))
            | FleetEvent::Delete(RecordKey::DaemonSet { .. })
            | FleetEvent::Relisted(Relist::DaemonSets(_)) => FeedKind::DaemonSets,
            FleetEvent::Upsert(Record::Revision(_))
            | FleetEvent::Delete(RecordKey::Revision { .. })
            | FleetEvent::Relisted(Relist::Revisions(_)) => FeedKind::ControllerRevisions,
            FleetEvent::Metrics(_) | FleetEvent::MetricsUnavailable { .. } => FeedKind::Metrics,
        }
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the watch and metrics tasks send: fleet changes, or trouble worth showing the user
/// (the tasks keep retrying with backoff either way).
// Same trade as FleetEvent: events move straight through the channel, no box per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Feed {
    Event(FleetEvent),
    /// The feed failed; the data it gives is stale until it recovers.
    Trouble {
        kind: FeedKind,
        message: String,
        /// The server refused herd's credentials or user (401, 403): retrying unchanged cannot
        /// help, so a one-shot reader such as `herd check` stops waiting (the task still retries,
        /// for a TUI whose user may fix the kubeconfig or RBAC meanwhile).
        refused: bool,
        /// The HTTP status the server answered with, when it answered at all.
        code: Option<u16>,
    },
    /// The feed answers again after trouble (its watch resumed, or a probe list succeeded).
    Recovered {
        kind: FeedKind,
    },
    /// The feed started a full (re-)list: its data is stale until the `Relisted` event.
    Relisting {
        kind: FeedKind,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feed_has_its_own_name_and_watches_are_the_four_kinds() {
        let mut names: Vec<_> = FeedKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FeedKind::ALL.len());
        let watches: Vec<_> = FeedKind::ALL.into_iter().filter(|k| k.is_watch()).collect();
        assert_eq!(watches, FeedKind::WATCHES);
    }
}
