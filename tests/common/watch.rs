//! kube-rs watchers driven the way an application drives them (their own task), with helpers
//! to read their events until a condition holds.

use std::fmt::Debug;

use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::server::{DEADLINE, TestSim, eventually};

/// A watcher driven by its own task (as an application would run it), its events forwarded.
pub struct Events<K> {
    rx: mpsc::UnboundedReceiver<Result<Event<K>, String>>,
    task: tokio::task::JoinHandle<()>,
}

impl<K> Drop for Events<K> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<K> Events<K> {
    pub async fn next(&mut self) -> Option<Result<Event<K>, String>> {
        self.rx.recv().await
    }
}

pub fn drive<K, S>(stream: S) -> Events<K>
where
    K: Send + 'static,
    S: Stream<Item = Result<Event<K>, watcher::Error>> + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            if tx.send(item.map_err(|e| e.to_string())).is_err() {
                return;
            }
        }
    });
    Events { rx, task }
}

pub fn watch<K>(api: Api<K>) -> Events<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    drive(watcher(api, watcher::Config::default()).default_backoff())
}

/// Reads events until one satisfies `done`; returns everything read. Errors (injected
/// faults) are part of the test's weather and skipped.
pub async fn read_until<K: Debug>(
    events: &mut Events<K>,
    what: &str,
    done: impl Fn(&Event<K>) -> bool,
) -> Vec<Event<K>> {
    let mut seen = Vec::new();
    let outcome = tokio::time::timeout(DEADLINE, async {
        while let Some(item) = events.next().await {
            if let Ok(event) = item {
                let finished = done(&event);
                seen.push(event);
                if finished {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        outcome.is_ok(),
        "timed out waiting for {what}; saw {seen:?}"
    );
    seen
}

/// Waits until the server holds `n` open watches (the watcher has really started watching).
pub async fn open_watches(sim: &TestSim, n: u64) {
    eventually("open watches", || async {
        (sim.stats().await["openWatches"].as_u64() == Some(n)).then_some(())
    })
    .await;
}

pub fn names<K: ResourceExt>(event: &Event<K>) -> Option<String> {
    match event {
        Event::Apply(o) | Event::InitApply(o) | Event::Delete(o) => Some(o.name_any()),
        _ => None,
    }
}
