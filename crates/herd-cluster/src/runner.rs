//! `herd engine`: the engine for every managed DaemonSet in reach, until stopped. It keeps the
//! fleet from the same watches the TUI uses, re-plans each managed DaemonSet on every change
//! (and every tick, as minReadySeconds and deadlines pass with the clock alone), and carries
//! plans out only for the DaemonSets whose Lease it holds.
//!
//! What it knows lives in the cluster: the record in the annotation, the pods, the Leases. A
//! process that dies anywhere is replaced by one that re-reads them all, and the one thing it
//! keeps in memory only guards against its own watch lagging behind its own writes: after
//! deleting pods it plans that DaemonSet again only once the watch shows them going, so a
//! stale view can never spend the budget twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use kube::Client;
use tokio::sync::mpsc;

use crate::events;
use crate::lease::{Hold, Leases};
use crate::rollout::{RolloutError, execute};
use crate::target::stage;
use crate::watch::{Feed, FeedKind, Scope, spawn_watches};
use herd_core::engine::action::{self, Action, Reason};
use herd_core::engine::plan::{Next, NodeCache, Plan, Planner};
use herd_core::engine::record::{ANNOTATION, RolloutRecord};
use herd_core::engine::retarget::retarget;
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::{Fleet, FleetEvent, Record, Relist};
use herd_core::model::version::ResourceVersion;
use herd_core::targeting::stage::StageState;

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The name this engine holds Leases under (a pod's name in the cluster).
    pub identity: String,
    /// How long a Lease lasts unrenewed before another engine may take it.
    pub lease: Duration,
    pub scope: Scope,
    /// How often every managed DaemonSet is planned again without a change.
    pub tick: Duration,
}

/// What the engine did or found, for its log. Each is said once when it starts being true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Every watch has listed once: the engine acts from here on.
    Ready { managed: usize },
    /// Something the engine did (a batch of deletions, a new state or target), also posted as
    /// an Event on the DaemonSet.
    Acted(Action),
    /// This engine took the DaemonSet's Lease.
    Holding { daemon_set: String },
    /// Another engine holds it; this one stays read-only for it.
    HeldBy { daemon_set: String, holder: String },
    /// Nodes down use the whole budget: nothing can be deleted until one comes back.
    BlockedByDown {
        daemon_set: String,
        nodes: Vec<String>,
        budget: u32,
    },
    /// A read or write failed, or a record cannot be read; the engine carries on.
    Trouble { daemon_set: String, message: String },
}

/// What the engine remembers per DaemonSet between plans (by uid).
#[derive(Default)]
struct Tracked {
    /// Pods this engine deleted (name, uid) that the watch has not shown going yet.
    deleting: Vec<(Arc<str>, Arc<str>)>,
    /// The DaemonSet's version after this engine's last write, until the watch shows it go by.
    wrote: Option<(ResourceVersion, Instant)>,
    /// What was last said, so each thing is said once.
    said_holder: Option<String>,
    said_blocked: bool,
    said_trouble: Option<String>,
    /// The DaemonSet's version when this engine last wrote its staging record, until the
    /// watch shows a newer one.
    staged_from: Option<(Option<ResourceVersion>, Instant)>,
}

/// How long to wait for the watch to show the engine's own write of a record before planning
/// from what it shows anyway (a re-list can skip past the version written; a stale record is
/// harmless, as every record write is conditional on the version read).
const OWN_WRITE_WAIT: Duration = Duration::from_secs(5);

/// Runs the engine until the watches stop (never, in practice: they retry).
pub async fn run(client: Client, options: Options, mut report: impl FnMut(Report)) {
    let (tx, mut rx) = mpsc::channel::<Feed>(1024);
    let (_tasks, _news) = spawn_watches(&client, &options.scope, &tx);
    drop(tx);
    let mut fleet = Fleet::new();
    let mut listed: HashSet<FeedKind> = HashSet::new();
    let mut leases = Leases::new(client.clone(), options.identity.clone(), options.lease);
    let mut tracked: HashMap<Arc<str>, Tracked> = HashMap::new();
    // What plans read of the nodes, kept from pass to pass while the nodes stay put.
    let mut node_cache = NodeCache::new();
    let mut ticker = tokio::time::interval(options.tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ready = false;
    loop {
        tokio::select! {
            feed = rx.recv() => {
                let Some(feed) = feed else { return };
                take(&mut fleet, &mut listed, &mut tracked, feed);
                // Everything already queued goes in before planning once.
                while let Ok(feed) = rx.try_recv() {
                    take(&mut fleet, &mut listed, &mut tracked, feed);
                }
            }
            _ = ticker.tick() => {}
        }
        if listed.len() < FeedKind::WATCHES.len() {
            continue;
        }
        let managed = managed(&fleet);
        if !ready {
            ready = true;
            report(Report::Ready {
                managed: managed.len(),
            });
        }
        tracked.retain(|uid, _| fleet.daemon_set(uid).is_some());
        for uid in staged(&fleet) {
            let Some(ds) = fleet.daemon_set(&uid).cloned() else {
                continue;
            };
            let t = tracked.entry(Arc::clone(&uid)).or_default();
            stage_one(&client, &fleet, &ds, &mut leases, t, &mut report).await;
        }
        if managed.is_empty() {
            continue;
        }
        let mut planner = Planner::new(&fleet, &mut node_cache);
        for uid in managed {
            let Some(ds) = fleet.daemon_set(&uid).cloned() else {
                continue;
            };
            let t = tracked.entry(Arc::clone(&uid)).or_default();
            engine_one(&client, &mut planner, &ds, &mut leases, t, &mut report).await;
        }
    }
}

/// Applies one feed item; notes when a watched kind has been listed whole, and when the watch
/// shows a record this engine wrote.
fn take(
    fleet: &mut Fleet,
    listed: &mut HashSet<FeedKind>,
    tracked: &mut HashMap<Arc<str>, Tracked>,
    feed: Feed,
) {
    if let Feed::Event(event) = feed {
        saw_own_write(tracked, &event);
        if let FleetEvent::Relisted(relist) = &event {
            listed.insert(match relist {
                Relist::Nodes(_) => FeedKind::Nodes,
                Relist::DaemonSets(_) => FeedKind::DaemonSets,
                Relist::Pods(_) => FeedKind::Pods,
                Relist::Revisions(_) => FeedKind::ControllerRevisions,
            });
        }
        fleet.apply(event);
    }
}

/// Notes the engine's own record write going by on the watch. A watch delivers one kind's
/// changes in the order the server made them, so once the version written has gone by, every
/// later view of that DaemonSet includes the write, whatever versions follow. Checking only
/// the version the fleet holds when planning would miss a write the controller's next status
/// update had already followed within the same batch of events, and wait [`OWN_WRITE_WAIT`]
/// for nothing.
fn saw_own_write(tracked: &mut HashMap<Arc<str>, Tracked>, event: &FleetEvent) {
    let mut seen = |ds: &DaemonSet| {
        if let Some(t) = tracked.get_mut(&ds.uid)
            && let Some((version, _)) = &t.wrote
            && ds.resource_version.as_ref() == Some(version)
        {
            t.wrote = None;
        }
    };
    match event {
        FleetEvent::Upsert(Record::DaemonSet(ds)) => seen(ds),
        FleetEvent::Relisted(Relist::DaemonSets(all)) => all.iter().for_each(seen),
        _ => {}
    }
}

/// The uids of DaemonSets carrying a rollout record.
fn managed(fleet: &Fleet) -> Vec<Arc<str>> {
    fleet
        .daemon_sets()
        .filter(|ds| ds.annotations.contains_key(ANNOTATION) && !ds.deleting)
        .map(|ds| Arc::clone(&ds.uid))
        .collect()
}

/// The uids of DaemonSets whose staged targeting edit is in progress.
fn staged(fleet: &Fleet) -> Vec<Arc<str>> {
    fleet
        .daemon_sets()
        .filter(|ds| !ds.deleting)
        .filter(|ds| {
            stage::record_of(ds)
                .ok()
                .flatten()
                .is_some_and(|r| r.state == StageState::Progressing)
        })
        .map(|ds| Arc::clone(&ds.uid))
        .collect()
}

/// One staged DaemonSet, once: hold its Lease (the one its rollouts use), then release a
/// batch, or record a halt or the end. After a record write it waits for the watch to show
/// it, so a stale view never releases a batch twice over.
async fn stage_one(
    client: &Client,
    fleet: &Fleet,
    ds: &DaemonSet,
    leases: &mut Leases,
    t: &mut Tracked,
    report: &mut impl FnMut(Report),
) {
    let key = ds.key();
    if let Some((version, at)) = &t.staged_from {
        if ds.resource_version == *version && at.elapsed() < OWN_WRITE_WAIT {
            return;
        }
        t.staged_from = None;
    }
    if !hold_lease(ds, leases, t, report).await {
        return;
    }
    match stage::carry_step(client, fleet, ds).await {
        Ok(stepped) => {
            if stepped.wrote {
                t.staged_from = Some((ds.resource_version.clone(), Instant::now()));
            }
            for e in stepped.trouble {
                trouble(t, report, &key, e);
            }
            for a in stepped.actions {
                report(Report::Acted(a));
            }
        }
        Err(e) => trouble(t, report, &key, e.to_string()),
    }
}

/// One managed DaemonSet, once: read its record, hold its lease, plan, carry out.
async fn engine_one(
    client: &Client,
    planner: &mut Planner<'_>,
    ds: &DaemonSet,
    leases: &mut Leases,
    t: &mut Tracked,
    report: &mut impl FnMut(Report),
) {
    let fleet = planner.fleet();
    let key = ds.key();
    let text = ds.annotations.get(ANNOTATION).map_or("", String::as_str);
    let mut record = match RolloutRecord::decode(text) {
        Ok(r) => r,
        Err(e) => {
            // Never overwritten: a record herd cannot read may be a newer herd's.
            trouble(t, report, &key, format!("{ANNOTATION}: {e}; left alone"));
            return;
        }
    };
    // The watch still shows pods this engine deleted as running: planning now would count
    // them available and spend the budget again.
    t.deleting.retain(|(name, uid)| {
        fleet
            .pod_id(&ds.namespace, name)
            .and_then(|id| fleet.pod(id))
            .is_some_and(|p| p.uid == *uid && p.deleting.is_none() && !p.phase.is_terminal())
    });
    if !t.deleting.is_empty() {
        return;
    }
    if let Some((version, at)) = &t.wrote {
        if ds.resource_version.as_ref() != Some(version) && at.elapsed() < OWN_WRITE_WAIT {
            return;
        }
        t.wrote = None;
    }
    let now = Timestamp::now();
    let retargeted = retarget(fleet, ds, &mut record, now);
    if record.state.is_final() && !retargeted {
        leases.release(&ds.namespace, &ds.name).await;
        t.said_holder = None;
        return;
    }
    if !hold_lease(ds, leases, t, report).await {
        return;
    }
    if retargeted {
        match execute::write(client, ds, &record, execute::Strategy::Keep, true).await {
            Ok(version) => {
                t.wrote = version.map(|v| (v, Instant::now()));
                let a = action::recorded(
                    &ds.namespace,
                    &ds.name,
                    Reason::RolloutTargeted,
                    &record,
                    None,
                );
                if let Err(e) = events::post(client, &ds.uid, &a).await {
                    trouble(t, report, &key, e);
                }
                report(Report::Acted(a));
            }
            Err(e) => written_error(t, report, &key, e),
        }
        // Planned next time, from the record as written.
        return;
    }
    let plan = planner.plan(ds, &record, now);
    said_blocked(t, report, &key, &plan);
    match execute::carry_out(client, fleet, ds, record, &plan).await {
        Ok(carried) => {
            t.said_trouble = None;
            t.wrote = carried.wrote.map(|v| (v, Instant::now()));
            for e in carried.trouble {
                trouble(t, report, &key, e);
            }
            for a in carried.actions {
                report(Report::Acted(a));
            }
            t.deleting = plan
                .deletions
                .iter()
                .filter_map(|d| d.target(fleet))
                .filter(|pod| carried.deleted.iter().any(|p| **p == *pod.name))
                .map(|pod| (Arc::clone(&pod.name), Arc::clone(&pod.uid)))
                .collect();
        }
        Err(e) => written_error(t, report, &key, e),
    }
}

/// Takes or renews the DaemonSet's Lease, saying (once) who holds it; `true` when this engine
/// may write for it now. Rollouts and stagings of one DaemonSet share the Lease.
async fn hold_lease(
    ds: &DaemonSet,
    leases: &mut Leases,
    t: &mut Tracked,
    report: &mut impl FnMut(Report),
) -> bool {
    let key = ds.key();
    match leases.hold(&ds.namespace, &ds.name).await {
        Ok(Hold::Mine) => {
            if t.said_holder.as_deref() != Some(leases.identity()) {
                t.said_holder = Some(leases.identity().to_string());
                report(Report::Holding { daemon_set: key });
            }
        }
        Ok(Hold::Other(holder)) => {
            if t.said_holder.as_ref() != Some(&holder) {
                t.said_holder = Some(holder.clone());
                report(Report::HeldBy {
                    daemon_set: key,
                    holder,
                });
            }
            return false;
        }
        Err(e) => {
            trouble(t, report, &key, e.to_string());
            return false;
        }
    }
    leases.may_write(&ds.namespace, &ds.name)
}

/// A write that failed: a DaemonSet changed under the plan is planned again, anything else is
/// said (once) and retried on the next pass.
fn written_error(t: &mut Tracked, report: &mut impl FnMut(Report), key: &str, e: RolloutError) {
    if !matches!(e, RolloutError::Changed { .. }) {
        trouble(t, report, key, e.to_string());
    }
}

fn trouble(t: &mut Tracked, report: &mut impl FnMut(Report), key: &str, message: String) {
    if t.said_trouble.as_ref() != Some(&message) {
        t.said_trouble = Some(message.clone());
        report(Report::Trouble {
            daemon_set: key.to_string(),
            message,
        });
    }
}

fn said_blocked(t: &mut Tracked, report: &mut impl FnMut(Report), key: &str, plan: &Plan) {
    let blocked = plan.blocked_by_down && plan.next == Next::Proceed;
    if blocked && !t.said_blocked {
        report(Report::BlockedByDown {
            daemon_set: key.to_string(),
            nodes: plan.skipped_down.iter().map(|n| n.to_string()).collect(),
            budget: plan.budget,
        });
    }
    t.said_blocked = blocked;
}

#[cfg(test)]
mod tests {
    use super::*;
    use herd_core::model::testkit::ds;

    fn at(version: u64) -> DaemonSet {
        let mut d = ds("agent");
        d.resource_version = Some(ResourceVersion::Number(version));
        d
    }

    fn waiting_for(version: u64) -> HashMap<Arc<str>, Tracked> {
        let mut tracked = HashMap::new();
        tracked.insert(
            Arc::clone(&at(version).uid),
            Tracked {
                wrote: Some((ResourceVersion::Number(version), Instant::now())),
                ..Tracked::default()
            },
        );
        tracked
    }

    fn still_waiting(tracked: &HashMap<Arc<str>, Tracked>) -> bool {
        tracked.values().any(|t| t.wrote.is_some())
    }

    #[test]
    fn the_own_write_counts_as_seen_once_it_goes_by_even_if_a_status_update_follows_at_once() {
        let mut tracked = waiting_for(7);
        // Before it: still waiting (a view without the write must not be planned from).
        saw_own_write(&mut tracked, &FleetEvent::Upsert(Record::DaemonSet(at(6))));
        assert!(still_waiting(&tracked));
        saw_own_write(&mut tracked, &FleetEvent::Upsert(Record::DaemonSet(at(7))));
        assert!(!still_waiting(&tracked));
        // What follows (the controller's status update) changes nothing.
        saw_own_write(&mut tracked, &FleetEvent::Upsert(Record::DaemonSet(at(8))));
        assert!(!still_waiting(&tracked));
    }

    #[test]
    fn a_relist_holding_the_own_write_counts_and_one_past_it_does_not() {
        let mut tracked = waiting_for(7);
        saw_own_write(
            &mut tracked,
            &FleetEvent::Relisted(Relist::DaemonSets(vec![at(9)])),
        );
        // Versions are never ordered: 9 may or may not include the write; the timeout decides.
        assert!(still_waiting(&tracked));
        saw_own_write(
            &mut tracked,
            &FleetEvent::Relisted(Relist::DaemonSets(vec![at(7)])),
        );
        assert!(!still_waiting(&tracked));
    }
}
