//! Who fills a node besides its daemons: the other pods bound there, what they request in all,
//! and the largest of them — what a person looks for when a daemon pod is Pending because its
//! node is full. From the watch when every pod is watched, else from the last on-demand read.

use jiff::Timestamp;

use crate::model::fleet::Fleet;
use crate::model::others::PodScope;
use crate::model::resources::Totals;

/// One of the pods that fill a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filler {
    /// `namespace/name`.
    pub pod: String,
    pub requests: Totals,
}

/// The node's other pods, summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub count: usize,
    pub requests: Totals,
    /// The largest requesters, CPU first, at most the number asked for.
    pub largest: Vec<Filler>,
    /// When they were read; `None` when they come from the watch.
    pub read_at: Option<Timestamp>,
}

/// The pods on `node` that are not the DaemonSets', with the `largest` that request the most;
/// `None` when only daemon pods are watched and the node's others have not been read.
pub fn other_pods_on(fleet: &Fleet, node: &str, largest: usize) -> Option<Fill> {
    let (mut all, read_at): (Vec<Filler>, Option<Timestamp>) = match fleet.pod_scope() {
        PodScope::All => (
            fleet
                .pods_on(node)
                .iter()
                .filter_map(|id| fleet.pod(*id))
                .filter(|p| !p.is_daemon_created() && p.occupies_node())
                .map(|p| Filler {
                    pod: format!("{}/{}", p.namespace, p.name),
                    requests: p.requests(),
                })
                .collect(),
            None,
        ),
        PodScope::Daemon => {
            let read_at = fleet.others_on(node)?.read_at;
            let pods = fleet
                .unwatched_others_on(node)
                .map(|o| Filler {
                    pod: format!("{}/{}", o.namespace, o.name),
                    requests: o.requests,
                })
                .collect();
            (pods, Some(read_at))
        }
    };
    let mut requests = Totals::default();
    for f in &all {
        requests.add(f.requests);
    }
    let count = all.len();
    all.sort_by(|a, b| {
        (b.requests.cpu_millis, b.requests.memory_bytes)
            .cmp(&(a.requests.cpu_millis, a.requests.memory_bytes))
            .then_with(|| a.pod.cmp(&b.pod))
    });
    all.truncate(largest);
    Some(Fill {
        count,
        requests,
        largest: all,
        read_at,
    })
}
