//! Hand-built fleets for the engine's tests: `n` nodes running an old revision of one
//! managed DaemonSet, changed one knob at a time.

use std::sync::Arc;

use crate::engine::plan::{Plan, plan};
use crate::engine::policy::Policy;
use crate::engine::record::{HERD_FIELD_MANAGER, Restore, RolloutRecord, State, Target, VERSION};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::{Fleet, Record};
use crate::model::node::{ConditionStatus, Node};
use crate::model::pod::Pod;
use crate::model::testkit::{ds, fleet_of, node, pod, revision, t};

pub(crate) const NOW: i64 = 100_000;

/// `n` nodes n1…, the DaemonSet agent managed towards revision 2 (hash h2), an old Ready pod
/// on every node.
pub(crate) struct Case {
    pub nodes: Vec<Node>,
    pub ds: DaemonSet,
    pub pods: Vec<Pod>,
    pub record: RolloutRecord,
}

impl Case {
    pub fn new(n: usize) -> Self {
        let mut d = ds("agent");
        d.template_generation = Some(2);
        // Managed: herd switched it to OnDelete.
        d.update_strategy.kind = StrategyKind::OnDelete;
        d.strategy_manager = Some(Arc::from(HERD_FIELD_MANAGER));
        let nodes: Vec<Node> = (1..=n).map(|i| node(&format!("n{i:02}"))).collect();
        let pods = nodes
            .iter()
            .map(|nd| {
                let mut p = pod(&d, &nd.name, &format!("agent-old-{}", nd.name));
                p.revision_hash = Some(Arc::from("h1"));
                p
            })
            .collect();
        let record = RolloutRecord {
            version: VERSION,
            target: Some(Target {
                revision: 2,
                hash: "h2".into(),
            }),
            restore: Restore {
                kind: "RollingUpdate".into(),
                max_unavailable: Some("1".into()),
                max_surge: Some("0".into()),
            },
            policy: Policy::default(),
            state: State::Progressing,
            started: t(NOW - 3600),
            batches: 0,
            passed: Vec::new(),
            resumed_batches: 0,
            from: None,
            rollback: false,
            paused_with: None,
        };
        Case {
            nodes,
            ds: d,
            pods,
            record,
        }
    }

    pub fn policy(mut self, tweak: impl FnOnce(&mut Policy)) -> Self {
        tweak(&mut self.record.policy);
        self
    }

    pub fn record(mut self, tweak: impl FnOnce(&mut RolloutRecord)) -> Self {
        tweak(&mut self.record);
        self
    }

    /// The pod on `node` is replaced by a new-revision pod created `ago` seconds before NOW.
    pub fn moved(mut self, node: &str, ago: i64, tweak: impl FnOnce(&mut Pod)) -> Self {
        let p = self
            .pods
            .iter_mut()
            .find(|p| p.node.as_deref() == Some(node))
            .unwrap();
        p.name = Arc::from(format!("agent-new-{node}"));
        p.uid = Arc::from(format!("uid-new-{node}"));
        p.revision_hash = Some(Arc::from("h2"));
        p.template_generation = Some(2);
        p.created = Some(t(NOW - ago));
        p.ready_since = Some(t(NOW - ago + 5));
        tweak(p);
        self
    }

    pub fn daemon_set(mut self, tweak: impl FnOnce(&mut DaemonSet)) -> Self {
        tweak(&mut self.ds);
        self
    }

    pub fn node(mut self, name: &str, tweak: impl FnOnce(&mut Node)) -> Self {
        tweak(self.nodes.iter_mut().find(|n| &*n.name == name).unwrap());
        self
    }

    pub fn fleet(&self) -> Fleet {
        let mut records = vec![
            Record::Revision(revision(&self.ds, 1, "h1")),
            Record::Revision(revision(&self.ds, 2, "h2")),
            Record::DaemonSet(self.ds.clone()),
        ];
        records.extend(self.nodes.iter().cloned().map(Record::Node));
        records.extend(self.pods.iter().cloned().map(Record::Pod));
        fleet_of(records)
    }

    pub fn plan(&self) -> Plan {
        let fleet = self.fleet();
        let first = plan(&fleet, &self.ds, &self.record, t(NOW));
        assert_eq!(
            first,
            plan(&fleet, &self.ds, &self.record, t(NOW)),
            "same snapshot, same plan"
        );
        first
    }
}

pub(crate) fn not_ready(p: &mut Pod) {
    p.ready = false;
    p.ready_since = p.created;
}

pub(crate) fn node_not_ready(n: &mut Node) {
    n.ready.status = ConditionStatus::False;
    n.ready.since = Some(t(NOW - 3000));
}
