//! Watch requests: replay from a resourceVersion (or the current state as ADDED events), then
//! stream live changes as one JSON event per line, with bookmarks, a timeout, 410 Gone for
//! compacted versions, and an end when faults drop watches or the client falls behind.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::Response;
use futures::stream;
use serde_json::json;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::ApiState;
use super::counters::WatchGuard;
use super::list::{Selection, collect};
use super::params::Params;
use super::protobuf;
use super::status::ApiError;
use super::table::{self, Encoding};
use crate::AnyObject;
use crate::store::{Change, ChangeType, Key};

/// Used when the client names no `timeoutSeconds` (upstream picks 30–60 minutes).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// Events encoded per body chunk when changes arrive in a burst.
const BATCH: usize = 512;

/// Handles a watch request.
pub fn serve(
    state: &ApiState,
    selection: Selection,
    params: &Params,
    encoding: Encoding,
) -> Result<Response, ApiError> {
    let from = params.resource_version()?;
    let timeout = params
        .timeout_seconds()?
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    let (pending, rx, start_rv, members) = {
        let world = state.world.lock();
        let store = &world.store;
        let matching = || collect(store, &selection, None, None).0;
        match from {
            // "" and "0": the current state as ADDED events, then what changes next.
            None => {
                let items = matching();
                let members = selection.has_selectors().then(|| keys(&items));
                let pending = items
                    .into_iter()
                    .map(|o| Pending::Object(ChangeType::Added, o))
                    .collect();
                (
                    pending,
                    store.subscribe(),
                    store.resource_version(),
                    members,
                )
            }
            Some(rv) => match store.watch_from(rv) {
                // With selectors, the objects matching now stand in for what the client holds,
                // so a change moving one out of the selection becomes DELETED.
                Some((replay, rx)) => {
                    let members = selection.has_selectors().then(|| keys(&matching()));
                    (
                        replay.into_iter().map(Pending::Change).collect(),
                        rx,
                        rv,
                        members,
                    )
                }
                None => return Ok(expired(rv, store.resource_version(), encoding)),
            },
        }
    };
    let watcher = Watcher {
        selection,
        encoding,
        pending,
        rx,
        drops: state.faults.drop_signal(),
        deadline: Instant::now() + timeout,
        bookmark_every: (params.bookmarks() && !matches!(encoding, Encoding::Table(_)))
            .then_some(state.bookmark_interval),
        next_bookmark: Instant::now() + state.bookmark_interval,
        last_rv: start_rv,
        members,
        sim_now: state.sim_now.clone(),
        done: false,
        _guard: state.counters.watch_opened(),
    };
    let body = stream::unfold(watcher, |mut w| async move {
        w.next_chunk()
            .await
            .map(|chunk| (Ok::<_, std::convert::Infallible>(chunk), w))
    });
    let mut response = encoding.response(StatusCode::OK, Vec::new());
    *response.body_mut() = Body::from_stream(body);
    response.extensions_mut().insert(super::Unbuffered);
    Ok(response)
}

/// A watch from a compacted version: one ERROR event carrying a 410 Expired Status.
fn expired(requested: u64, current: u64, encoding: Encoding) -> Response {
    let status = ApiError::gone(requested, current).to_status();
    encoding.response(StatusCode::OK, event_bytes(encoding, "ERROR", &status))
}

/// One event the simulator makes up (a bookmark, an error), as a JSON line or a protobuf frame.
fn event_bytes(encoding: Encoding, event_type: &str, object: &serde_json::Value) -> Vec<u8> {
    if encoding == Encoding::Protobuf {
        return protobuf::object_bytes(object)
            .map(|o| protobuf::watch_frame(event_type, &o))
            .unwrap_or_default();
    }
    let mut line =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).unwrap_or_default();
    line.push(b'\n');
    line
}

/// A change still to be sent: from the replay, or an object of the initial state.
enum Pending {
    Change(Arc<Change>),
    Object(ChangeType, AnyObject),
}

fn keys(objects: &[AnyObject]) -> HashSet<Key> {
    objects.iter().map(|o| Key::of(o.metadata())).collect()
}

struct Watcher {
    selection: Selection,
    encoding: Encoding,
    pending: VecDeque<Pending>,
    rx: broadcast::Receiver<Arc<Change>>,
    drops: watch::Receiver<u64>,
    deadline: Instant,
    bookmark_every: Option<Duration>,
    next_bookmark: Instant,
    /// Every change up to here has been sent or filtered out (what bookmarks report).
    last_rv: u64,
    /// Keys the client holds, tracked only when selectors are present.
    members: Option<HashSet<Key>>,
    sim_now: Arc<super::SimNow>,
    done: bool,
    _guard: WatchGuard,
}

impl Watcher {
    async fn next_chunk(&mut self) -> Option<Bytes> {
        let mut buf = Vec::new();
        loop {
            if self.done {
                return None;
            }
            while let Some(p) = self.pending.pop_front() {
                match p {
                    Pending::Change(c) => self.push_change(&c, &mut buf),
                    Pending::Object(t, o) => self.push_event(t, &o, &mut buf),
                }
                if buf.len() > BATCH * 1024 {
                    return Some(Bytes::from(buf));
                }
            }
            if !buf.is_empty() {
                return Some(Bytes::from(buf));
            }
            let bookmark_at = self.next_bookmark;
            tokio::select! {
                _ = self.drops.changed() => self.done = true,
                _ = tokio::time::sleep_until(self.deadline) => self.done = true,
                _ = tokio::time::sleep_until(bookmark_at), if self.bookmark_every.is_some() => {
                    self.next_bookmark = Instant::now() + self.bookmark_every.unwrap_or_default();
                    return Some(Bytes::from(self.bookmark()));
                }
                received = self.rx.recv() => match received {
                    Ok(change) => {
                        self.push_change(&change, &mut buf);
                        for _ in 0..BATCH {
                            match self.rx.try_recv() {
                                Ok(more) => self.push_change(&more, &mut buf),
                                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                                    self.done = true;
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    // Too far behind (or the store is gone): end; the client resumes.
                    Err(_) => self.done = true,
                },
            }
        }
    }

    fn push_change(&mut self, change: &Change, buf: &mut Vec<u8>) {
        self.last_rv = self.last_rv.max(change.rv);
        self.push_event(change.change_type, &change.object, buf);
    }

    /// Sends the event the client should see for this change, if any.
    fn push_event(&mut self, change_type: ChangeType, object: &AnyObject, buf: &mut Vec<u8>) {
        if object.kind() != self.selection.kind {
            return;
        }
        let matches = self.selection.matches(object);
        let event_type = match &mut self.members {
            None => matches.then_some(change_type.as_watch_type()),
            Some(members) => {
                let key = Key::of(object.metadata());
                let known = members.contains(&key);
                match (change_type, known, matches) {
                    (ChangeType::Deleted, true, _) => {
                        members.remove(&key);
                        Some("DELETED")
                    }
                    (ChangeType::Deleted, false, m) => m.then_some("DELETED"),
                    (_, true, true) => Some(change_type.as_watch_type()),
                    (_, false, true) => {
                        members.insert(key);
                        Some("ADDED")
                    }
                    (_, true, false) => {
                        members.remove(&key);
                        Some("DELETED")
                    }
                    (_, false, false) => None,
                }
            }
        };
        let Some(event_type) = event_type else {
            return;
        };
        let Ok(encoded) = table::encode_bytes(object, self.encoding, self.sim_now.get()) else {
            return;
        };
        if self.encoding == Encoding::Protobuf {
            buf.extend(protobuf::watch_frame(event_type, &encoded));
            return;
        }
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(event_type.as_bytes());
        buf.extend_from_slice(b"\",\"object\":");
        buf.extend(encoded);
        buf.extend_from_slice(b"}\n");
    }

    fn bookmark(&self) -> Vec<u8> {
        let info = self.selection.kind.info();
        let object = json!({
            "kind": info.kind,
            "apiVersion": info.api_version(),
            "metadata": {"resourceVersion": self.last_rv.to_string()},
        });
        event_bytes(self.encoding, "BOOKMARK", &object)
    }
}
