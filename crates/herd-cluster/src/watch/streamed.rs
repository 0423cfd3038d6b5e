//! A list-then-watch stream with kube-runtime's watcher's events and errors, whose (re-)list is
//! one request read item by item as its body arrives.
//!
//! kube-runtime lists in pages and decodes each page whole before it asks for the next, so the
//! server's time to write the pods and herd's time to read them add up: at 40,000 daemon pods
//! 1.0 s, where the server alone takes 0.6 s. Read as it streams in (see `list_stream`), the
//! list costs what the server takes to write it, in memory bounded by one network chunk, and
//! it can be gzipped (a watch cannot: kube asks watches uncompressed). One unpaged list is what
//! client-go's informers have long received too: their first list asks `resourceVersion=0`,
//! which the API server's watch cache answers whole, ignoring the page size.
//!
//! After the list the stream watches from the list's resourceVersion, as kube-runtime does
//! (`kube-runtime/src/watcher.rs`, `step_trampolined`): bookmarks move the version on, a 410
//! (the version is too old) lists again, an ended watch resumes from the last version, and
//! every failure is yielded once, the next poll trying again.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures::io::AsyncBufRead;
use futures::stream::BoxStream;
use futures::{AsyncBufReadExt, Stream, StreamExt};
use kube::api::{ListParams, WatchEvent, WatchParams};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use crate::list_stream::{ListReader, decode_one};

/// The server ends a watch after this long (kube-runtime's default); a watch silent for this
/// long and a little more is taken as a dead connection.
const WATCH_TIMEOUT_SECS: u32 = 290;
const IDLE_MARGIN: Duration = Duration::from_secs(5);

type Result<T> = std::result::Result<T, watcher::Error>;

/// Lists (one streamed request) and then watches `api`'s objects matching `labels`.
pub fn watcher<K>(
    api: Api<K>,
    labels: Option<String>,
) -> impl Stream<Item = Result<Event<K>>> + Send
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let watch = Watch { api, labels };
    futures::stream::unfold((watch, State::Empty), |(watch, state)| async move {
        let (event, state) = watch.step(state).await;
        Some((event, (watch, state)))
    })
}

struct Watch<K> {
    api: Api<K>,
    labels: Option<String>,
}

enum State<K> {
    /// Nothing listed: the next step says `Init` and lists.
    Empty,
    /// `Init` said; the list is to be asked for.
    Listing,
    /// The list's body is being read.
    Reading(Box<Reading<K>>),
    /// Listed (or the watch ended): the next step watches from this version.
    Listed { resource_version: String },
    Watching {
        resource_version: String,
        stream: BoxStream<'static, kube::Result<WatchEvent<K>>>,
    },
}

/// A list body in flight, and the items of its latest chunk not yet handed on.
struct Reading<K> {
    body: Pin<Box<dyn AsyncBufRead + Send>>,
    reader: ListReader,
    ready: VecDeque<K>,
    ended: bool,
}

impl<K> Watch<K>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    /// Steps until there is an event or an error to yield.
    async fn step(&self, mut state: State<K>) -> (Result<Event<K>>, State<K>) {
        loop {
            match self.step_once(state).await {
                (Some(out), next) => return (out, next),
                (None, next) => state = next,
            }
        }
    }

    async fn step_once(&self, state: State<K>) -> (Option<Result<Event<K>>>, State<K>) {
        match state {
            State::Empty => (Some(Ok(Event::Init)), State::Listing),
            State::Listing => match self.list().await {
                Ok(body) => (
                    None,
                    State::Reading(Box::new(Reading {
                        body,
                        reader: ListReader::new(),
                        ready: VecDeque::new(),
                        ended: false,
                    })),
                ),
                Err(e) => (
                    Some(Err(watcher::Error::InitialListFailed(e))),
                    State::Empty,
                ),
            },
            State::Reading(mut reading) => {
                if let Some(object) = reading.ready.pop_front() {
                    return (Some(Ok(Event::InitApply(object))), State::Reading(reading));
                }
                if reading.ended {
                    return match reading.reader.resource_version() {
                        Some(rv) => {
                            let resource_version = rv.to_string();
                            (
                                Some(Ok(Event::InitDone)),
                                State::Listed { resource_version },
                            )
                        }
                        None => (Some(Err(watcher::Error::NoResourceVersion)), State::Empty),
                    };
                }
                match reading.read_chunk().await {
                    Ok(()) => (None, State::Reading(reading)),
                    Err(e) => (
                        Some(Err(watcher::Error::InitialListFailed(e))),
                        State::Empty,
                    ),
                }
            }
            State::Listed { resource_version } => {
                match self
                    .api
                    .watch(&self.watch_params(), &resource_version)
                    .await
                {
                    Ok(stream) => (
                        None,
                        State::Watching {
                            resource_version,
                            stream: stream.boxed(),
                        },
                    ),
                    Err(e) => (
                        Some(Err(watcher::Error::WatchStartFailed(e))),
                        State::Listed { resource_version },
                    ),
                }
            }
            State::Watching {
                resource_version,
                mut stream,
            } => {
                let idle = Duration::from_secs(u64::from(WATCH_TIMEOUT_SECS)) + IDLE_MARGIN;
                let next = tokio::time::timeout(idle, stream.next())
                    .await
                    .ok()
                    .flatten();
                watching(next, resource_version, stream)
            }
        }
    }

    /// Asks for the whole list, unpaged, as the body that streams it.
    async fn list(&self) -> kube::Result<Pin<Box<dyn AsyncBufRead + Send>>> {
        let mut params = ListParams::default();
        if let Some(labels) = &self.labels {
            params = params.labels(labels);
        }
        let request = kube::core::Request::new(self.api.resource_url())
            .list(&params)
            .map_err(kube::Error::BuildRequest)?;
        let client: Client = self.api.clone().into_client();
        let body = client.request_stream(request).await?;
        Ok(Box::pin(body))
    }

    fn watch_params(&self) -> WatchParams {
        // Bookmarks on (the default): they keep the version to resume from current.
        let mut params = WatchParams::default().timeout(WATCH_TIMEOUT_SECS);
        if let Some(labels) = &self.labels {
            params = params.labels(labels);
        }
        params
    }
}

impl<K: DeserializeOwned> Reading<K> {
    /// Reads the next chunk of the body, decoding the items it completes into `ready`.
    async fn read_chunk(&mut self) -> kube::Result<()> {
        let items = self.reader.items();
        let chunk = self.body.fill_buf().await.map_err(|cause| {
            let kind = cause.kind();
            kube::Error::ReadEvents(std::io::Error::new(kind, BrokeOff { items, cause }))
        })?;
        let ready = &mut self.ready;
        let mut decode = |bytes: &[u8]| {
            let (object, used) = decode_one::<K>(bytes)?;
            ready.push_back(object);
            Ok(used)
        };
        if chunk.is_empty() {
            self.reader.finish(&mut decode).map_err(unreadable)?;
            self.ended = true;
            return Ok(());
        }
        let len = chunk.len();
        self.reader.feed(chunk, &mut decode).map_err(unreadable)?;
        self.body.consume_unpin(len);
        Ok(())
    }
}

/// A list body that ended before the list did; its cause says why (`Problem` words the
/// chain).
#[derive(Debug)]
struct BrokeOff {
    items: usize,
    cause: std::io::Error,
}

impl std::fmt::Display for BrokeOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the list broke off after {} items", self.items)
    }
}

impl std::error::Error for BrokeOff {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// A list body that is not the List it should be: what was wrong, with the item it was in.
fn unreadable(error: anyhow::Error) -> kube::Error {
    kube::Error::SerdeError(serde::de::Error::custom(format!(
        "the list could not be read: {error:#}"
    )))
}

/// What the next item of a running watch means.
fn watching<K: Resource + Clone>(
    next: Option<kube::Result<WatchEvent<K>>>,
    resource_version: String,
    stream: BoxStream<'static, kube::Result<WatchEvent<K>>>,
) -> (Option<Result<Event<K>>>, State<K>) {
    let stay = |resource_version| State::Watching {
        resource_version,
        stream,
    };
    match next {
        Some(Ok(WatchEvent::Added(object) | WatchEvent::Modified(object))) => {
            match object.resource_version().filter(|rv| !rv.is_empty()) {
                Some(rv) => (Some(Ok(Event::Apply(object))), stay(rv)),
                None => (Some(Err(watcher::Error::NoResourceVersion)), State::Empty),
            }
        }
        Some(Ok(WatchEvent::Deleted(object))) => {
            match object.resource_version().filter(|rv| !rv.is_empty()) {
                Some(rv) => (Some(Ok(Event::Delete(object))), stay(rv)),
                None => (Some(Err(watcher::Error::NoResourceVersion)), State::Empty),
            }
        }
        Some(Ok(WatchEvent::Bookmark(bookmark))) => {
            (None, stay(bookmark.metadata.resource_version))
        }
        // 410: the version is gone from the server's history; only a new list catches up.
        Some(Ok(WatchEvent::Error(status))) if status.code == 410 => {
            (Some(Err(watcher::Error::WatchError(status))), State::Empty)
        }
        Some(Ok(WatchEvent::Error(status))) => (
            Some(Err(watcher::Error::WatchError(status))),
            stay(resource_version),
        ),
        Some(Err(e)) => (
            Some(Err(watcher::Error::WatchFailed(e))),
            stay(resource_version),
        ),
        // Ended (the server's timeout, a dropped connection) or silent too long: watch again.
        None => (None, State::Listed { resource_version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;

    #[test]
    fn a_broken_list_says_why_once_without_wrappers_or_links() {
        let tls = std::io::Error::other(
            "peer closed connection without sending TLS close_notify: https://docs.rs/rustls/x",
        );
        let body = std::io::Error::other(ServiceError(
            format!("error reading a body from connection: {tls}"),
            tls,
        ));
        let cause = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            BrokeOff {
                items: 40,
                cause: body,
            },
        );
        assert_eq!(
            Problem::of_kube(&kube::Error::ReadEvents(cause)).text,
            "the list broke off after 40 items: error reading a body from connection: peer closed connection without sending TLS close_notify"
        );
    }

    /// An error that shows kube's wrapper text and has a source, as kube's own do.
    #[derive(Debug)]
    struct ServiceError(String, std::io::Error);

    impl std::fmt::Display for ServiceError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "ServiceError: {}", self.0)
        }
    }

    impl std::error::Error for ServiceError {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }
}
