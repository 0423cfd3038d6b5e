//! One DaemonSet sync: history, manage, rolling update, history cleanup, then status, in upstream's
//! order (`syncDaemonSet` and `updateDaemonSet` in
//! kubernetes/pkg/controller/daemon/daemon_controller.go; docs/SEMANTICS.md#sync-order).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::api::core::v1::Pod;

use super::actions::{self, COMPONENT};
use super::history::{self, HistoryError};
use super::manage::{self, BackoffScope};
use super::newpod::PodFactory;
use super::placement::{Placer, Selector};
use super::podutil::{self, TEMPLATE_GENERATION_ANNOTATION};
use super::view::{self, NodeDecision, Version, View};
use super::{hash, ownership, rolling, status};
use crate::events::EventType;
use crate::managed_fields::{CONTROLLER_MANAGER, Subresource, Writer};
use crate::store::Key;
use crate::world::World;

/// The DaemonSet controller's status writes, as upstream's `UpdateStatus` records them.
pub(super) const STATUS_WRITER: Writer<'static> = Writer {
    manager: CONTROLLER_MANAGER,
    subresource: Subresource::Status,
};

/// What a sync asks of the controller loop afterwards.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Sync again at this time (backoff, minReadySeconds, retry after a failure).
    pub requeue_at: Option<Timestamp>,
    /// The resourceVersion of the status this sync wrote, so its change need not re-trigger it.
    pub status_rv: Option<u64>,
}

/// `GetTemplateGeneration`: the annotation's value; unparsable counts as absent.
pub fn template_generation(ds: &DaemonSet) -> Option<i64> {
    ds.metadata
        .annotations
        .as_ref()?
        .get(TEMPLATE_GENERATION_ANNOTATION)?
        .parse()
        .ok()
}

fn selects_everything(spec: &DaemonSetSpec) -> bool {
    spec.selector
        .match_labels
        .as_ref()
        .is_none_or(|m| m.is_empty())
        && spec
            .selector
            .match_expressions
            .as_ref()
            .is_none_or(|e| e.is_empty())
}

/// Syncs the DaemonSet at `key` once.
pub fn sync(world: &mut World, key: &Key) -> Outcome {
    let Some(ds) = world
        .store
        .get::<DaemonSet>(&key.namespace, &key.name)
        .cloned()
    else {
        return Outcome::default();
    };
    let spec = ds.spec.clone();
    if selects_everything(&spec) {
        let msg =
            "This daemon set is selecting all pods. A non-empty selector is required.".to_string();
        world.record_event(
            &actions::subject(&ds),
            EventType::Warning,
            COMPONENT,
            "SelectingAll",
            msg,
        );
        return Outcome::default();
    }
    if ds.metadata.deletion_timestamp.is_some() {
        return Outcome::default();
    }
    // An unparsable selector fails every sync upstream too; nothing to do until it changes.
    let Ok(selector) = Selector::new(&spec.selector) else {
        return Outcome::default();
    };
    let template = hash::template_value(&spec.template);
    let history = match history::construct(world, &ds, &selector, &template) {
        Ok(h) => h,
        Err(error) => {
            // A collision is news, not a failure; a refused write is counted (and so backed
            // off by the controller loop).
            if let HistoryError::Store(_) = error {
                world.count_failure(COMPONENT);
            }
            return Outcome {
                requeue_at: Some(world.now()),
                status_rv: None,
            };
        }
    };
    let version = Version {
        hash: history.hash.clone(),
        generation: template_generation(&ds),
    };
    let nodes = decide_nodes(world, &spec);
    let pods = ownership::claim_pods(world, &ds, &selector);
    let view = make_view(world, &spec, nodes, &pods, version);
    let mut requeue_at = update(world, &ds, &spec, &view);
    history::cleanup(world, &ds, history.old);
    let after = refreshed(world, &ds, view);
    let status_rv = write_status(world, &ds, &after);
    requeue_at = earliest(requeue_at, status::next_available(&after));
    Outcome {
        requeue_at,
        status_rv,
    }
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn decide_nodes(world: &mut World, spec: &DaemonSetSpec) -> Vec<NodeDecision> {
    let placer = Placer::new(&spec.template);
    let World {
        store, daemonsets, ..
    } = world;
    daemonsets.nodes.decide_all(store, &placer)
}

fn make_view(
    world: &World,
    spec: &DaemonSetSpec,
    nodes: Vec<NodeDecision>,
    pods: &[Arc<Pod>],
    version: Version,
) -> View {
    View {
        nodes,
        map: view::node_map(pods, false),
        version,
        min_ready_seconds: spec.min_ready_seconds.unwrap_or(0),
        now: world.now(),
    }
}

/// The view after this sync's writes: same node decisions, pods re-read from the store.
fn refreshed(world: &World, ds: &DaemonSet, before: View) -> View {
    let pods = ownership::owned_pods(&world.store, ds);
    View {
        map: view::node_map(&pods, false),
        ..before
    }
}

/// `updateDaemonSet`: manage, then the rolling step only if manage issued nothing. Returns when
/// to sync again for a failed pod still in backoff.
fn update(
    world: &mut World,
    ds: &DaemonSet,
    spec: &DaemonSetSpec,
    view: &View,
) -> Option<Timestamp> {
    let strategy = spec.update_strategy.as_ref();
    let factory = PodFactory::new(ds, &view.version);
    let scope = BackoffScope {
        ds_uid: ds.metadata.uid.as_deref().unwrap_or_default(),
        observed_generation: ds
            .status
            .as_ref()
            .and_then(|s| s.observed_generation)
            .unwrap_or(0),
    };
    let managed = manage::plan(
        view,
        rolling::allows_surge(strategy),
        &mut world.daemonsets.backoff,
        scope,
    );
    actions::record_terminal(world, ds, &managed.failed, &managed.succeeded);
    let issued = actions::sync_nodes(world, ds, &factory, &managed.plan);
    let requeue = managed
        .requeue_after
        .map(|d| podutil::plus(view.now, d.max(SignedDuration::ZERO)));
    let rolling = strategy.is_some_and(|s| s.type_.as_deref() == Some("RollingUpdate"));
    if issued > 0 || !rolling {
        return requeue;
    }
    let budget = rolling::budget(strategy, view.desired());
    let plan = if budget.max_surge == 0 {
        Some(rolling::without_surge(view, budget.max_unavailable))
    } else {
        rolling::with_surge(view, budget.max_surge)
    };
    if let Some(plan) = plan {
        actions::sync_nodes(world, ds, &factory, &plan);
    }
    requeue
}

/// Writes status through the status path when a count differs or the generation is unobserved;
/// returns the resourceVersion written.
fn write_status(world: &mut World, ds: &DaemonSet, view: &View) -> Option<u64> {
    let counts = status::compute(view);
    let generation = ds.metadata.generation.unwrap_or(0);
    if status::is_current(ds.status.as_ref(), &counts, generation) {
        return None;
    }
    let ns = ds.metadata.namespace.as_deref().unwrap_or_default();
    let name = ds.metadata.name.as_deref().unwrap_or_default();
    let now = world.now();
    let written = world
        .store
        .modify_as::<DaemonSet>(ns, name, STATUS_WRITER, now, |d| {
            status::apply(
                d.status.get_or_insert_with(Default::default),
                &counts,
                Some(generation),
            );
        });
    let written = world.counted(COMPONENT, written);
    // A write that raised observedGeneration is news to this controller too: the failed-pod
    // backoff is keyed by it (upstream `failedPodsBackoffKey`;
    // docs/SEMANTICS.md#failed-pod-backoff), so the next sync must see the new value.
    let observed_before = ds
        .status
        .as_ref()
        .and_then(|s| s.observed_generation)
        .unwrap_or(0);
    if observed_before != generation {
        return None;
    }
    written
        .ok()?
        .metadata
        .resource_version
        .as_deref()?
        .parse()
        .ok()
}
