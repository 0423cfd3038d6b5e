//! The engine's Leases (`coordination.k8s.io/v1`), one per managed DaemonSet in its namespace:
//! whoever holds it is the only engine that writes that DaemonSet. The decision is
//! `herd_core::engine::lease`'s; this keeps what it needs to know (when this process last saw
//! each lease change, and when it last renewed its own) and reads and writes the objects.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Patch, PostParams};
use kube::{Api, Client};
use serde_json::json;

use crate::problem::Problem;
use herd_core::engine::lease::{self, Claim, Seen};

/// Whether this process may write a DaemonSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    Mine,
    /// Another engine holds its lease (by this identity).
    Other(String),
}

/// A lease failed to read or write, in the server's words.
#[derive(Debug, thiserror::Error)]
#[error("lease {namespace}/{name}: {message}")]
pub struct LeaseError {
    pub namespace: String,
    pub name: String,
    pub message: String,
}

type Key = (String, String);

/// `HOSTNAME-PID`: unique per process, so two engines on one machine never share a Lease.
pub fn default_identity() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "herd".to_string());
    format!("{host}-{}", std::process::id())
}

/// What this process last saw of a lease, and since when (by its own clock).
struct Observed {
    holder: Option<String>,
    version: Option<String>,
    since: Instant,
}

/// The leases of one engine process.
pub struct Leases {
    client: Client,
    identity: String,
    duration: Duration,
    observed: HashMap<Key, Observed>,
    /// When each lease this process holds was last renewed.
    renewed: HashMap<Key, Instant>,
}

impl Leases {
    pub fn new(client: Client, identity: String, duration: Duration) -> Self {
        Leases {
            client,
            identity,
            duration,
            observed: HashMap::new(),
            renewed: HashMap::new(),
        }
    }

    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Takes or renews the lease of `namespace/daemon_set`, or says who holds it. A lease of
    /// ours renewed less than a third of its duration ago is not written again.
    pub async fn hold(&mut self, namespace: &str, daemon_set: &str) -> Result<Hold, LeaseError> {
        let key = (namespace.to_string(), daemon_set.to_string());
        if self
            .renewed
            .get(&key)
            .is_some_and(|at| at.elapsed() < self.duration / 3)
        {
            return Ok(Hold::Mine);
        }
        let name = lease::lease_name(daemon_set);
        let api: Api<Lease> = Api::namespaced(self.client.clone(), namespace);
        let fail = |e: kube::Error| LeaseError {
            namespace: namespace.to_string(),
            name: name.clone(),
            message: Problem::of_kube(&e).to_string(),
        };
        let current = api.get_opt(&name).await.map_err(fail)?;
        let seen = current.as_ref().map(|l| self.observe(&key, l));
        let claim = lease::claim(
            seen.as_ref()
                .map(|(holder, unchanged_for, duration)| Seen {
                    holder: holder.as_deref(),
                    unchanged_for: *unchanged_for,
                    duration: *duration,
                })
                .as_ref(),
            &self.identity,
        );
        let now = MicroTime(Timestamp::now());
        let written = match claim {
            Claim::HeldBy(holder) => {
                self.renewed.remove(&key);
                return Ok(Hold::Other(holder));
            }
            Claim::Create => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        namespace: Some(namespace.to_string()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(self.spec(now.clone(), now, 0)),
                };
                api.create(&PostParams::default(), &lease).await
            }
            Claim::Renew | Claim::TakeOver => {
                let Some(mut lease) = current else {
                    return Ok(Hold::Other(String::new()));
                };
                let old = lease.spec.clone().unwrap_or_default();
                let taking = claim == Claim::TakeOver;
                let acquired = match (taking, old.acquire_time) {
                    (false, Some(at)) => at,
                    _ => now.clone(),
                };
                let transitions = old.lease_transitions.unwrap_or(0) + i32::from(taking);
                lease.spec = Some(self.spec(acquired, now, transitions));
                // Carries the version read: a lease someone else wrote since is not ours.
                api.replace(&name, &PostParams::default(), &lease).await
            }
        };
        match written {
            Ok(lease) => {
                self.observe(&key, &lease);
                self.renewed.insert(key, Instant::now());
                Ok(Hold::Mine)
            }
            // Another engine got there first; it is read again next time.
            Err(kube::Error::Api(e)) if e.code == 409 => {
                self.renewed.remove(&key);
                Ok(Hold::Other("another engine".to_string()))
            }
            Err(e) => {
                self.renewed.remove(&key);
                Err(fail(e))
            }
        }
    }

    /// Whether this process holds the lease, renewed recently enough to write under it.
    pub fn may_write(&self, namespace: &str, daemon_set: &str) -> bool {
        let key = (namespace.to_string(), daemon_set.to_string());
        self.renewed
            .get(&key)
            .is_some_and(|at| lease::may_write(at.elapsed(), self.duration))
    }

    /// Gives the lease up (the rollout settled), so another engine need not wait it out.
    /// Failing to is harmless: the lease then runs out.
    pub async fn release(&mut self, namespace: &str, daemon_set: &str) {
        let key = (namespace.to_string(), daemon_set.to_string());
        if self.renewed.remove(&key).is_none() {
            return;
        }
        let name = lease::lease_name(daemon_set);
        let api: Api<Lease> = Api::namespaced(self.client.clone(), namespace);
        let version = self.observed.get(&key).and_then(|o| o.version.clone());
        let patch = json!({
            "metadata": {"resourceVersion": version},
            "spec": {"holderIdentity": null},
        });
        let _ = api
            .patch(
                &name,
                &kube::api::PatchParams::default(),
                &Patch::Merge(patch),
            )
            .await;
        self.observed.remove(&key);
    }

    fn spec(&self, acquired: MicroTime, renewed: MicroTime, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(
                i32::try_from(self.duration.as_secs().max(1)).unwrap_or(i32::MAX),
            ),
            acquire_time: Some(acquired),
            renew_time: Some(renewed),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    /// Notes what the lease says now; returns its holder, how long this process has seen it
    /// unchanged, and the duration its holder promised.
    fn observe(&mut self, key: &Key, lease: &Lease) -> (Option<String>, Duration, Duration) {
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone();
        let version = lease.metadata.resource_version.clone();
        let since = match self.observed.get(key) {
            Some(o) if o.holder == holder && o.version == version => o.since,
            _ => Instant::now(),
        };
        self.observed.insert(
            key.clone(),
            Observed {
                holder: holder.clone(),
                version,
                since,
            },
        );
        let promised = spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map_or(self.duration, Duration::from_secs);
        (holder, since.elapsed(), promised)
    }
}
