//! The simulated world: the store, an explicit clock, a seeded RNG, and `step` that runs the
//! controllers, scheduler and kubelets until they have nothing more to do at the current time.

use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};

use super::controller::{daemonset, gc, node_lifecycle};
use super::events::EventRecorder;
use super::store::{Change, Store, mix};
use super::write_failures::WriteFailures;
use super::{churn, kubelet, scheduler};

/// Passes of the controller loop per step before giving up on reaching quiescence; a pass
/// only repeats when the previous one wrote something.
const MAX_PASSES_PER_STEP: usize = 64;

/// Knobs of the simulated cluster's components, each owned by its module.
#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    pub kubelet: kubelet::KubeletConfig,
    pub scheduler: scheduler::SchedulerConfig,
    pub node_lifecycle: node_lifecycle::NodeLifecycleConfig,
    pub churn: churn::ChurnConfig,
}

/// A deterministic pseudo-random source (SplitMix64): the same seed replays the same world.
#[derive(Debug, Clone)]
pub struct SimRng(u64);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        SimRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// Everything the simulated cluster is, at one instant.
pub struct World {
    pub store: Store,
    now: Timestamp,
    pub rng: SimRng,
    pub config: SimConfig,
    pub events: EventRecorder,
    pub(crate) daemonsets: daemonset::ControllerState,
    pub(crate) scheduler: scheduler::SchedulerState,
    pub(crate) kubelet: kubelet::KubeletState,
    pub(crate) node_lifecycle: node_lifecycle::NodeLifecycleState,
    pub(crate) gc: gc::GcState,
    pub(crate) churn: churn::ChurnState,
    /// Controller writes the store refused, counted where they happened.
    pub(crate) write_failures: WriteFailures,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("now", &self.now)
            .field("store", &self.store)
            .finish()
    }
}

impl World {
    pub fn new(seed: u64, start: Timestamp) -> Self {
        World {
            store: Store::new(seed),
            now: start,
            rng: SimRng::new(seed ^ 0x5EED),
            config: SimConfig::default(),
            events: EventRecorder::default(),
            daemonsets: Default::default(),
            scheduler: Default::default(),
            kubelet: Default::default(),
            node_lifecycle: Default::default(),
            gc: Default::default(),
            churn: Default::default(),
            write_failures: Default::default(),
        }
    }

    /// The simulated clock. It only moves through `step`.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// How many nodes and pods the world holds, for a one-line summary.
    pub fn size(&self) -> (usize, usize) {
        use k8s_openapi::api::core::v1::{Node, Pod};
        (
            self.store.table::<Node>().len(),
            self.store.table::<Pod>().len(),
        )
    }

    /// Moves the clock to `now` (never backwards) and runs every component until none has
    /// anything left to do at this instant.
    pub fn step(&mut self, now: Timestamp) {
        if now > self.now {
            self.now = now;
        }
        for pass in 0..MAX_PASSES_PER_STEP {
            let changes = self.store.take_unseen();
            // Timed work (kubelet transitions, backoffs) runs on the first pass even when
            // nothing was written.
            if changes.is_empty() && pass > 0 {
                break;
            }
            self.run_components(&changes);
            if !self.store.has_unseen() {
                break;
            }
        }
    }

    fn run_components(&mut self, changes: &[Arc<Change>]) {
        churn::run(self, changes);
        node_lifecycle::run(self, changes);
        daemonset::run(self, changes);
        scheduler::run(self, changes);
        kubelet::run(self, changes);
        gc::run(self, changes);
    }

    /// Work waiting to retry a refused write. While any is pending the world has not settled,
    /// even if nothing was written for a while (the retry may be backed off for longer).
    pub fn pending_retries(&self) -> usize {
        self.daemonsets.pending_retries()
            + self.gc.pending_retries()
            + self.scheduler.pending_retries()
            + self.node_lifecycle.pending_retries()
            + self.kubelet.pending_retries()
    }

    /// Advances the clock by `dt` and steps.
    pub fn advance(&mut self, dt: SignedDuration) {
        let next = self.now.checked_add(dt).unwrap_or(self.now);
        self.step(next);
    }

    /// Steps in `tick` increments until a whole `quiet` span passes with no write and no
    /// retry pending, or `limit` of simulated time has gone by. Returns whether it went quiet.
    pub fn settle_with(
        &mut self,
        tick: SignedDuration,
        quiet: SignedDuration,
        limit: SignedDuration,
    ) -> bool {
        let start = self.now;
        let mut last_write_rv = self.store.resource_version();
        let mut quiet_since = self.now;
        while self.now.duration_since(start) < limit {
            self.advance(tick);
            let rv = self.store.resource_version();
            if rv != last_write_rv {
                last_write_rv = rv;
                quiet_since = self.now;
            } else if self.now.duration_since(quiet_since) >= quiet && self.pending_retries() == 0 {
                return true;
            }
        }
        false
    }

    /// Runs the cluster until nothing changes for 30 simulated seconds (at most 30 minutes).
    pub fn settle(&mut self) -> bool {
        self.settle_with(
            SignedDuration::from_millis(500),
            SignedDuration::from_secs(30),
            SignedDuration::from_secs(1800),
        )
    }
}

/// The world shared between the API server and the clock that drives it.
#[derive(Clone, Debug)]
pub struct SharedWorld(Arc<Mutex<World>>);

impl SharedWorld {
    pub fn new(world: World) -> Self {
        SharedWorld(Arc::new(Mutex::new(world)))
    }

    /// Locks the world. A panic while the lock was held leaves the world as it was written
    /// so far; serving it is still better than taking the whole server down.
    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
