//! A DaemonSet's rollout in one line: how far it is, how fast it moves, when it should end,
//! and — when it stalls — which nodes hold it. The budget arithmetic is the controller's own
//! (`rollingUpdate` and `updatedDesiredNodeCounts` in kubernetes/pkg/controller/daemon/update.go),
//! so "stalled" here means the controller will not move either.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use self::spend::Spend;
use super::coverage::{self, Coverage, DsCoverage, Reason};
use super::units;
use super::verdict::{self, Judgement, Verdict, Why};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::Fleet;
use crate::model::node::ConditionStatus;
use crate::model::pod::Pod;

/// Progress is measured over this much of the recent past.
pub const RATE_WINDOW: SignedDuration = SignedDuration::from_secs(5 * 60);
/// A rollout with nodes left to update and none moved to the new revision for this long is
/// stalled even when no node can be blamed.
pub const STALL_AFTER: SignedDuration = SignedDuration::from_secs(5 * 60);
/// Nodes named in a one-line diagnosis before "and N more".
const NAMED: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Every node that should run the daemon runs the current revision.
    Complete,
    /// RollingUpdate is replacing pods.
    Progressing,
    /// OnDelete with old pods left: nothing replaces them until someone deletes them.
    Waiting,
    /// The controller has not seen the latest spec yet (`observedGeneration < generation`).
    Unobserved,
}

/// Which budget the controller spends on the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Delete an old pod, then create the new one: at most this many nodes unavailable.
    MaxUnavailable(u32),
    /// Create the new pod beside the old one: at most this many nodes with both.
    MaxSurge(u32),
}

/// A node that uses part of the budget, and why it does not give it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub node: Arc<str>,
    pub judgement: Judgement,
    /// The pod judged runs the new revision (an old pod failing is not the release's fault).
    pub updated: bool,
}

/// Why the rollout does not move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stall {
    /// The budget is used up by nodes whose trouble will not pass on its own (a node down, a
    /// pod that cannot be placed, a missing pod), so no further old pod is replaced.
    BudgetUsed {
        budget: Budget,
        holders: Vec<Holder>,
    },
    /// The budget is used up by new pods that fail: the release itself is the problem.
    NewRevisionFails { holders: Vec<Holder> },
    /// No node moved to the new revision for [`STALL_AFTER`], and no holder explains it.
    NoProgress { since: Timestamp },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    pub phase: Phase,
    pub updated: u32,
    pub desired: u32,
    /// Nodes moved to the new revision per minute, over the recent past.
    pub per_minute: Option<f64>,
    /// At that rate, how long until every node is updated.
    pub eta: Option<SignedDuration>,
    pub stall: Option<Stall>,
}

impl Rollout {
    pub fn is_stalled(&self) -> bool {
        self.stall.is_some()
    }

    /// `12/40, 4.0/min, done in ~7m`, or the stall: what the DaemonSet screen and `herd check`
    /// print after the phase.
    pub fn describe(&self, now: Timestamp) -> String {
        let progress = format!("{}/{}", self.updated, self.desired);
        if let Some(stall) = &self.stall {
            return format!("{progress} stalled: {}", stall.describe(now));
        }
        match (self.phase, self.per_minute, self.eta) {
            (Phase::Progressing, Some(rate), Some(eta)) => format!(
                "{progress}, {}/min, done in ~{}",
                units::rate(rate),
                units::age(eta)
            ),
            (Phase::Waiting, _, _) => format!(
                "{progress}, OnDelete: {} old pods wait to be deleted",
                self.desired.saturating_sub(self.updated)
            ),
            _ => progress,
        }
    }
}

impl Stall {
    /// `maxUnavailable 1 used by general-07 (NotReady 59m)`; `new revision crash-loops on
    /// general-01, general-02`; `no node moved to the new revision for 7m`.
    pub fn describe(&self, now: Timestamp) -> String {
        match self {
            Stall::BudgetUsed { budget, holders } => {
                let budget = match budget {
                    Budget::MaxUnavailable(n) => format!("maxUnavailable {n}"),
                    Budget::MaxSurge(n) => format!("maxSurge {n}"),
                };
                let named = name_nodes(holders, |h| {
                    format!("{} ({})", h.node, short(&h.judgement, now))
                });
                format!("{budget} used by {named}")
            }
            Stall::NewRevisionFails { holders } => {
                let kinds: Vec<Failure> = holders.iter().map(|h| failure(&h.judgement)).collect();
                let same = kinds.windows(2).all(|w| w[0] == w[1]);
                match kinds.first() {
                    Some(kind) if same && *kind != Failure::Other => {
                        let named = name_nodes(holders, |h| h.node.to_string());
                        format!("new revision {} on {named}", kind.verb())
                    }
                    _ => {
                        let named = name_nodes(holders, |h| {
                            format!("{} ({})", h.node, short(&h.judgement, now))
                        });
                        format!("new revision fails on {named}")
                    }
                }
            }
            Stall::NoProgress { since } => format!(
                "no node moved to the new revision for {}",
                units::age(now.duration_since(*since))
            ),
        }
    }

    /// The diagnosis for a narrow column: `held by general-07 (NotReady 59m)`,
    /// `crash-loops on general-01`, `no node moved for 7m`.
    pub fn brief(&self, now: Timestamp) -> String {
        match self {
            Stall::BudgetUsed { holders, .. } => {
                let first = holders
                    .first()
                    .map(|h| format!("{} ({})", h.node, short(&h.judgement, now)))
                    .unwrap_or_default();
                match holders.len() {
                    0 | 1 => format!("held by {first}"),
                    n => format!("held by {first} +{}", n - 1),
                }
            }
            Stall::NewRevisionFails { holders } => {
                let kinds: Vec<Failure> = holders.iter().map(|h| failure(&h.judgement)).collect();
                let verb = match kinds.first() {
                    Some(k) if kinds.iter().all(|x| x == k) => k.verb(),
                    _ => Failure::Other.verb(),
                };
                let first = holders
                    .first()
                    .map(|h| h.node.to_string())
                    .unwrap_or_default();
                match holders.len() {
                    0 | 1 => format!("{verb} on {first}"),
                    n => format!("{verb} on {first} +{}", n - 1),
                }
            }
            Stall::NoProgress { since } => format!(
                "no node moved for {}",
                units::age(now.duration_since(*since))
            ),
        }
    }

    /// The nodes the diagnosis blames, all of them.
    pub fn nodes(&self) -> Vec<Arc<str>> {
        match self {
            Stall::BudgetUsed { holders, .. } | Stall::NewRevisionFails { holders } => {
                holders.iter().map(|h| Arc::clone(&h.node)).collect()
            }
            Stall::NoProgress { .. } => Vec::new(),
        }
    }
}

/// How new pods fail, for the one-verb wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    CrashLoop,
    OomKilled,
    Pull,
    NeverReady,
    Other,
}

impl Failure {
    fn verb(self) -> &'static str {
        match self {
            Failure::CrashLoop => "crash-loops",
            Failure::OomKilled => "is OOM-killed",
            Failure::Pull => "fails to pull its image",
            Failure::NeverReady => "never turns Ready",
            Failure::Other => "fails",
        }
    }
}

fn failure(j: &Judgement) -> Failure {
    match &j.why {
        Why::CrashLooping { oom: true, .. } | Why::Coverage(Reason::OomKilled { .. }) => {
            Failure::OomKilled
        }
        Why::CrashLooping { .. } | Why::Coverage(Reason::CrashLoop { .. }) => Failure::CrashLoop,
        Why::Coverage(Reason::ImagePull { .. }) => Failure::Pull,
        Why::NeverReady { .. } | Why::Coverage(Reason::NotReady { .. }) => Failure::NeverReady,
        _ => Failure::Other,
    }
}

/// A few words on why a node holds the budget: `NotReady 59m`, `crash loop`, `no pod 4m`.
pub fn short(j: &Judgement, now: Timestamp) -> String {
    let age = |t: Option<Timestamp>| {
        t.filter(|t| *t <= now)
            .map(|t| format!(" {}", units::age(now.duration_since(t))))
            .unwrap_or_default()
    };
    match &j.why {
        Why::NodeNotReady { status } => {
            let word = match status {
                ConditionStatus::Unknown => "Unknown",
                _ => "NotReady",
            };
            format!("{word}{}", age(j.since))
        }
        Why::NodeConditionTaint { key } => {
            let key = key.strip_prefix("node.kubernetes.io/").unwrap_or(key);
            format!("node {key}")
        }
        Why::CrashLooping { oom: true, .. } => "OOM-killed".into(),
        Why::CrashLooping { .. } => "crash loop".into(),
        Why::NeverReady { .. } => "never Ready".into(),
        Why::PendingTooLong { .. } => format!("pending{}", age(j.since)),
        Why::OldRevision => "old revision".into(),
        Why::Coverage(reason) => match reason {
            Reason::Missing { since } => format!("no pod{}", age(*since)),
            Reason::ImagePull { reason } => reason.to_string(),
            Reason::Unschedulable { .. } => "unschedulable".into(),
            Reason::Starting { .. } | Reason::NotReady { .. } => "starting".into(),
            Reason::Scheduling => "scheduling".into(),
            Reason::ContainerCreating => "creating".into(),
            Reason::Terminating { .. } => "terminating".into(),
            other => other.describe(now),
        },
    }
}

fn name_nodes(holders: &[Holder], each: impl Fn(&Holder) -> String) -> String {
    let mut named: Vec<String> = holders.iter().take(NAMED).map(each).collect();
    if holders.len() > NAMED {
        named.push(format!("and {} more", holders.len() - NAMED));
    }
    named.join(", ")
}

/// The rollout of `ds`, from its coverage rows (with verdicts) and its pods.
pub fn analyze(fleet: &Fleet, ds: &DaemonSet, coverage: &DsCoverage, now: Timestamp) -> Rollout {
    let (updated, desired) = (coverage.counts.updated, coverage.counts.desired);
    let mut rollout = Rollout {
        phase: Phase::Progressing,
        updated,
        desired,
        per_minute: None,
        eta: None,
        stall: None,
    };
    if !ds.is_observed() {
        rollout.phase = Phase::Unobserved;
        return rollout;
    }
    if updated >= desired {
        rollout.phase = Phase::Complete;
        return rollout;
    }
    if ds.update_strategy.kind == StrategyKind::OnDelete {
        // Nothing moves until a person (or herd's engine) deletes old pods: not a stall.
        rollout.phase = Phase::Waiting;
        return rollout;
    }
    let moves = Moves::of(fleet, ds);
    if let Some((per_minute, eta)) = moves.rate(desired.saturating_sub(updated), now) {
        rollout.per_minute = Some(per_minute);
        rollout.eta = Some(eta);
    }
    rollout.stall = stall(fleet, ds, coverage, &moves, now);
    rollout
}

/// When nodes moved to the new revision: the creation times of the updated pods.
struct Moves {
    created: Vec<Timestamp>,
    /// The current revision's creation, when no pod has moved yet.
    revision_created: Option<Timestamp>,
}

impl Moves {
    fn of(fleet: &Fleet, ds: &DaemonSet) -> Self {
        let hash = fleet.current_hash(ds);
        // Every new-revision pod, a surge pod beside an old one included: each is a node moved.
        let owned = fleet.pods_of(&ds.uid);
        let mut created: Vec<Timestamp> = owned
            .iter()
            .flat_map(|owned| owned.nodes())
            .flat_map(|(_, ids)| ids.iter())
            .filter_map(|id| fleet.pod(*id))
            .filter(|p| !p.is_gone() && p.is_updated(hash, ds.template_generation))
            .filter_map(|p| p.created)
            .collect();
        created.sort_unstable();
        let revision_created = fleet
            .revisions_of(&ds.uid)
            .into_iter()
            .find(|r| hash.is_some() && r.hash.as_deref() == hash)
            .and_then(|r| r.created);
        Moves {
            created,
            revision_created,
        }
    }

    /// The latest move, or the revision's start when nothing moved.
    fn last(&self) -> Option<Timestamp> {
        self.created.last().copied().or(self.revision_created)
    }

    /// Nodes per minute over the window (shorter when the rollout began within it), and the
    /// time the `left` nodes take at that rate.
    fn rate(&self, left: u32, now: Timestamp) -> Option<(f64, SignedDuration)> {
        let window_start = now.checked_sub(RATE_WINDOW).ok()?;
        let recent: Vec<&Timestamp> = self
            .created
            .iter()
            .filter(|t| **t > window_start && **t <= now)
            .collect();
        let first = **recent.first()?;
        let began = self.revision_created.filter(|r| *r > window_start);
        let start = began.unwrap_or(window_start).min(first);
        let span = now.duration_since(start).as_secs_f64().max(60.0);
        let per_minute = recent.len() as f64 / (span / 60.0);
        let eta = SignedDuration::try_from_secs_f64(f64::from(left) / per_minute * 60.0).ok()?;
        Some((per_minute, eta))
    }
}

/// The controller's budget and the nodes that use it; `None` when the budget has room or no
/// old pod is left that it would replace.
fn stall(
    fleet: &Fleet,
    ds: &DaemonSet,
    coverage: &DsCoverage,
    moves: &Moves,
    now: Timestamp,
) -> Option<Stall> {
    let spend = Spend::of(fleet, ds, coverage, now);
    let judge = |(row, new): &(&Coverage, Option<&Pod>)| {
        let node = fleet.node(&row.node)?;
        let (judgement, updated) = match new {
            // Surging: the node's row reads its old pod; the budget is held by the new one.
            Some(new) => {
                let (status, reason) = coverage::classify(new, true, now);
                let mut surge = (*row).clone();
                (surge.status, surge.reason, surge.updated) = (status, reason, true);
                (verdict::judge(&surge, Some(new), node, ds, now), true)
            }
            None => {
                let pod = row.pod.and_then(|id| fleet.pod(id));
                (verdict::judge(row, pod, node, ds, now), row.updated)
            }
        };
        Some(Holder {
            node: Arc::clone(&row.node),
            judgement,
            updated,
        })
    };
    let no_progress = moves
        .last()
        .filter(|last| last.checked_add(STALL_AFTER).is_ok_and(|end| end <= now));
    if spend.used() && spend.waiting_old > 0 {
        let holders: Vec<Holder> = spend.holders.iter().filter_map(judge).collect();
        let faults = holders
            .iter()
            .all(|h| !matches!(h.judgement.verdict, Verdict::Rolling | Verdict::Healthy));
        if !holders.is_empty() && (faults || no_progress.is_some()) {
            let release = holders
                .iter()
                .all(|h| h.updated && h.judgement.verdict == Verdict::ReleaseFailing);
            return Some(if release {
                Stall::NewRevisionFails { holders }
            } else {
                Stall::BudgetUsed {
                    budget: spend.budget,
                    holders,
                }
            });
        }
    }
    no_progress.map(|since| Stall::NoProgress { since })
}

mod spend;

#[cfg(test)]
mod tests;
