//! Optional, seeded node churn: now and then a node joins, one leaves, or one flaps NotReady
//! for a while. Off by default; scenarios and tests can also steer nodes directly.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Node;

use super::due::DueSet;
use super::kubelet::timing::{Delay, after};
use super::scenario::nodes::Pool;
use super::store::{Change, StoreError};
use super::world::World;

/// The component its failed writes are counted under.
const COMPONENT: &str = "churn";

#[derive(Debug, Clone)]
pub struct ChurnConfig {
    pub enabled: bool,
    /// Mean time between two churn events (exponentially distributed).
    pub mean_interval: SignedDuration,
    /// How long a flapping node stays NotReady.
    pub flap: Delay,
}

impl Default for ChurnConfig {
    fn default() -> Self {
        ChurnConfig {
            enabled: false,
            mean_interval: SignedDuration::from_secs(300),
            flap: Delay::secs(60, 300),
        }
    }
}

#[derive(Debug, Default)]
pub struct ChurnState {
    next: Option<Timestamp>,
    joined: u64,
    recover: DueSet<String>,
}

pub fn run(world: &mut World, _changes: &[Arc<Change>]) {
    let now = world.now();
    while let Some((_, name)) = world.churn.recover.pop_due(now) {
        // A refused write must not leave the node down for good: try again a second later.
        // NotFound means the node left meanwhile; nothing to recover.
        match world.set_node_ready(&name, true) {
            Ok(_) | Err(StoreError::NotFound { .. }) => {}
            Err(_) => {
                world.count_failure(COMPONENT);
                let again = after(now, SignedDuration::from_secs(1));
                world.churn.recover.schedule(name, again);
            }
        }
    }
    if !world.config.churn.enabled {
        world.churn.next = None;
        return;
    }
    let mut next = match world.churn.next {
        Some(t) => t,
        None => after(now, interval(world)),
    };
    while next <= now {
        churn_once(world);
        next = after(next, interval(world));
    }
    world.churn.next = Some(next);
}

fn interval(world: &mut World) -> SignedDuration {
    let mean = world.config.churn.mean_interval.as_secs_f64();
    // Inverse-CDF sampling of an exponential distribution, floored at one second.
    let u = world.rng.next_f64().min(0.999_999);
    SignedDuration::from_secs_f64((-(1.0 - u).ln() * mean).max(1.0))
}

fn churn_once(world: &mut World) {
    match world.rng.below(3) {
        0 => {
            let pool = match world.rng.below(20) {
                0..=13 => Pool::General,
                14..=16 => Pool::Gpu,
                _ => Pool::Storage,
            };
            world.churn.joined += 1;
            let name = format!("{}-joined-{:03}", pool.name(), world.churn.joined);
            // A refused join is a node that did not join this time: churn, not lost work.
            let _ = world.add_node(pool, &name);
        }
        1 => {
            if let Some(name) = random_node(world) {
                world.churn.recover.cancel(&name);
                // A refused removal leaves the node in the fleet: churn, not lost work.
                let _ = world.remove_node(&name);
            }
        }
        _ => {
            if let Some(name) = random_node(world) {
                let seed = world.rng.next_u64();
                let back = after(world.now(), world.config.churn.flap.pick(seed));
                if world.set_node_ready(&name, false).is_ok() {
                    world.churn.recover.schedule(name, back);
                }
            }
        }
    }
}

fn random_node(world: &mut World) -> Option<String> {
    let count = world.store.table::<Node>().len() as u64;
    let index = world.rng.below(count) as usize;
    world
        .store
        .table::<Node>()
        .values()
        .nth(index)
        .and_then(|n| n.metadata.name.clone())
}
