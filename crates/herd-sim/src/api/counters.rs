//! What the server has served: requests, response bytes and errors by verb and resource, so
//! the load different clients put on the API server can be compared.
//!
//! `GET /sim/stats` (admin token) answers
//! `{"totalRequests":12,"totalBytes":34567,"totalErrors":1,"openWatches":2,
//!   "byVerbAndResource":[{"verb":"list","resource":"pods","requests":3,"bytes":30000,"errors":0}, ...]}`
//! with entries sorted by verb then resource. Verbs are the Kubernetes ones (get, list, watch,
//! create, update, patch, delete, deletecollection); resources are plural names qualified by
//! group outside the core group (`pods`, `daemonsets.apps`, `nodes.metrics.k8s.io`), or
//! `discovery`, `openapi`, `unknown`. Bytes are response body bytes, watch streams included,
//! counted as they are sent, after compression (the bytes on the wire); `gzipRequests` counts
//! the requests that asked for gzip (`Accept-Encoding`). `DELETE /sim/stats` resets every counter except
//! `openWatches`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::response::Response;
use futures::StreamExt;
use serde::Serialize;

/// The counts of one (verb, resource) pair.
#[derive(Debug, Default)]
pub struct Entry {
    requests: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
}

impl Entry {
    pub fn add_bytes(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
pub struct Counters {
    entries: Mutex<BTreeMap<(String, String), Arc<Entry>>>,
    open_watches: AtomicI64,
    gzip_requests: AtomicU64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EntryReport {
    pub verb: String,
    pub resource: String,
    pub requests: u64,
    pub bytes: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsReport {
    pub total_requests: u64,
    pub total_bytes: u64,
    pub total_errors: u64,
    pub open_watches: i64,
    pub gzip_requests: u64,
    pub by_verb_and_resource: Vec<EntryReport>,
}

/// Decrements the open-watch gauge when a watch stream ends, however it ends.
#[derive(Debug)]
pub struct WatchGuard(Arc<Counters>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.open_watches.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Counters {
    /// Counts one request and returns its entry for the bytes that follow.
    pub fn request(&self, verb: &str, resource: &str) -> Arc<Entry> {
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries
                .entry((verb.to_string(), resource.to_string()))
                .or_default()
                .clone()
        };
        entry.requests.fetch_add(1, Ordering::Relaxed);
        entry
    }

    pub fn watch_opened(self: &Arc<Self>) -> WatchGuard {
        self.open_watches.fetch_add(1, Ordering::Relaxed);
        WatchGuard(self.clone())
    }

    /// A request asked for its answer gzipped.
    pub fn gzip_asked(&self) {
        self.gzip_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.gzip_requests.store(0, Ordering::Relaxed);
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub fn report(&self) -> StatsReport {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let by: Vec<EntryReport> = entries
            .iter()
            .map(|((verb, resource), e)| EntryReport {
                verb: verb.clone(),
                resource: resource.clone(),
                requests: e.requests.load(Ordering::Relaxed),
                bytes: e.bytes.load(Ordering::Relaxed),
                errors: e.errors.load(Ordering::Relaxed),
            })
            .collect();
        StatsReport {
            total_requests: by.iter().map(|e| e.requests).sum(),
            total_bytes: by.iter().map(|e| e.bytes).sum(),
            total_errors: by.iter().map(|e| e.errors).sum(),
            open_watches: self.open_watches.load(Ordering::Relaxed),
            gzip_requests: self.gzip_requests.load(Ordering::Relaxed),
            by_verb_and_resource: by,
        }
    }
}

/// Files the response under `entry` (an error, if it is one) and marks it so [`count_sent`],
/// outside the compression layer, counts its body's bytes as they go out.
pub fn count_response(mut response: Response, entry: Arc<Entry>) -> Response {
    if response.status().as_u16() >= 400 {
        entry.errors.fetch_add(1, Ordering::Relaxed);
    }
    response.extensions_mut().insert(Counted(entry));
    response
}

/// The entry a response's bytes count toward.
#[derive(Debug, Clone)]
struct Counted(Arc<Entry>);

/// Counts a response's body bytes as they are sent, after compression: the bytes on the wire.
pub async fn count_sent(response: Response) -> Response {
    let Some(Counted(entry)) = response.extensions().get::<Counted>().cloned() else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let counted = body.into_data_stream().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            entry.add_bytes(bytes.len());
        }
        chunk
    });
    Response::from_parts(parts, Body::from_stream(counted))
}
