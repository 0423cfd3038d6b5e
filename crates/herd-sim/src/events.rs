//! Kubernetes Events the simulated components record, aggregated like the real recorder does.

use std::collections::{HashMap, VecDeque};

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::store::Key;
use super::world::World;

/// Events kept before the oldest are deleted (the real API server expires them after an hour).
const MAX_EVENTS: usize = 5_000;

/// Remembers which Event object holds each (object, reason, message) so repeats bump a count.
#[derive(Debug, Default)]
pub struct EventRecorder {
    by_fingerprint: HashMap<(String, String, String), Key>,
    order: VecDeque<((String, String, String), Key)>,
}

/// Who an event is about.
#[derive(Debug, Clone)]
pub struct Subject {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// Normal or Warning, as the API spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl World {
    /// Records an event from `component` (e.g. "daemonset-controller", "kubelet").
    pub fn record_event(
        &mut self,
        subject: &Subject,
        event_type: EventType,
        component: &str,
        reason: &str,
        message: String,
    ) {
        let now = Time(self.now());
        let fingerprint = (subject.uid.clone(), reason.to_string(), message.clone());
        if let Some(key) = self.events.by_fingerprint.get(&fingerprint).cloned() {
            let bumped = self.store.modify::<Event>(&key.namespace, &key.name, |e| {
                e.count = Some(e.count.unwrap_or(1) + 1);
                e.last_timestamp = Some(now.clone());
            });
            if bumped.is_ok() {
                return;
            }
        }
        let namespace = if subject.namespace.is_empty() {
            "default".to_string()
        } else {
            subject.namespace.clone()
        };
        let unique = self.rng.next_u64() & 0xffff_ffff_ffff;
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{}.{unique:x}", subject.name)),
                namespace: Some(namespace),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some(subject.api_version.to_string()),
                kind: Some(subject.kind.to_string()),
                name: Some(subject.name.clone()),
                namespace: Some(subject.namespace.clone()).filter(|n| !n.is_empty()),
                uid: Some(subject.uid.clone()),
                ..Default::default()
            },
            reason: Some(reason.to_string()),
            message: Some(message),
            type_: Some(
                match event_type {
                    EventType::Normal => "Normal",
                    EventType::Warning => "Warning",
                }
                .to_string(),
            ),
            source: Some(EventSource {
                component: Some(component.to_string()),
                host: None,
            }),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            ..Default::default()
        };
        let now_ts = self.now();
        // Events are best effort: upstream's recorder gives up on an event after a few tries
        // (client-go/tools/record/event.go `recordToSink`), and nothing waits for one.
        if let Ok(stored) = self.store.create(event, now_ts) {
            let key = Key::of(&stored.metadata);
            self.events
                .by_fingerprint
                .insert(fingerprint.clone(), key.clone());
            self.events.order.push_back((fingerprint, key));
        }
        while self.events.order.len() > MAX_EVENTS {
            if let Some((fingerprint, old)) = self.events.order.pop_front() {
                self.events.by_fingerprint.remove(&fingerprint);
                // Best effort too: an event left behind is only an old event (upstream lets
                // them expire by TTL rather than deleting them).
                let _ = self
                    .store
                    .delete::<Event>(&old.namespace, &old.name, None, None);
            }
        }
    }
}
