//! List requests: selection (namespace, label and field selectors), `limit`/`continue` paging,
//! and a response streamed in chunks so 150,000 pods never sit in one buffer.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::stream::{self, StreamExt};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::ApiState;
use super::params::Params;
use super::protobuf;
use super::route::ResourcePath;
use super::selector::{FieldSelector, LabelSelector};
use super::status::{ApiError, json_response};
use super::table::{self, Encoding};
use crate::kinds::Object;
use crate::store::{Key, Store};
use crate::{AnyObject, Kind};

/// Objects serialised per body chunk.
const CHUNK: usize = 256;

/// Which objects a list or watch wants.
#[derive(Debug, Clone)]
pub struct Selection {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Selection {
    pub fn from_params(
        kind: Kind,
        namespace: Option<String>,
        params: &Params,
    ) -> Result<Self, ApiError> {
        Ok(Selection {
            kind,
            namespace,
            labels: params.labels()?,
            fields: params.fields(kind)?,
        })
    }

    /// Whether any selector narrows the set (watches then track membership).
    pub fn has_selectors(&self) -> bool {
        !self.labels.is_empty() || !self.fields.is_empty()
    }

    /// Kind, namespace and both selectors.
    pub fn matches(&self, object: &AnyObject) -> bool {
        object.kind() == self.kind
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| object.metadata().namespace.as_deref() == Some(ns))
            && self.labels.matches(object.metadata().labels.as_ref())
            && self.fields.matches(object)
    }
}

/// A page of objects, taken under the world lock and serialised after it is released.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<AnyObject>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
}

/// Collects the matching objects after `after`, at most `limit` of them.
pub fn collect(
    store: &Store,
    selection: &Selection,
    limit: Option<usize>,
    after: Option<&Key>,
) -> (Vec<AnyObject>, Option<Key>) {
    with_type!(selection.kind, K => collect_kind::<K>(store, selection, limit, after))
}

fn collect_kind<K: Object>(
    store: &Store,
    selection: &Selection,
    limit: Option<usize>,
    after: Option<&Key>,
) -> (Vec<AnyObject>, Option<Key>) {
    let table = store.table::<K>();
    let start = match (after, &selection.namespace) {
        (Some(key), _) => key.clone(),
        // No object has an empty name, so this key sorts just before the namespace's first.
        (None, Some(ns)) => Key::new(ns, ""),
        (None, None) => Key::new("", ""),
    };
    let ns = selection.namespace.clone();
    let candidates = table
        .after(&start)
        .take_while(|(k, _)| ns.as_deref().is_none_or(|n| k.namespace == n))
        .map(|(_, o)| K::wrap(o.clone()))
        .filter(|o| selection.matches(o));
    let mut items = Vec::new();
    let mut next = None;
    for object in candidates {
        if limit.is_some_and(|l| items.len() >= l) {
            // One more match exists: the page ends at the last item taken.
            next = items.last().map(|o: &AnyObject| Key::of(o.metadata()));
            break;
        }
        items.push(object);
    }
    (items, next)
}

/// Handles a get of one object.
pub fn get(
    state: &ApiState,
    path: &ResourcePath,
    encoding: Encoding,
) -> Result<Response, ApiError> {
    let name = path.name.as_deref().unwrap_or("");
    let namespace = path.namespace.as_deref().unwrap_or("");
    let (object, now) = {
        let world = state.world.lock();
        let object = with_type!(path.kind, K => world.store.get::<K>(namespace, name).map(|o| K::wrap(o.clone())));
        (object, world.now())
    };
    let object = object.ok_or_else(|| ApiError::not_found(path.kind.info(), name))?;
    let body = table::encode_bytes(&object, encoding, now)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(encoding.response(StatusCode::OK, body))
}

/// `continue` tokens carry the list's resourceVersion and the last key served, hex-encoded.
pub fn encode_continue(rv: u64, key: &Key) -> String {
    let raw = format!("{rv}\n{}\n{}", key.namespace, key.name);
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_continue(token: &str) -> Result<(u64, Key), ApiError> {
    let invalid = || ApiError::bad_request(format!("continue key is not valid: {token:?}"));
    if !token.len().is_multiple_of(2) || !token.is_ascii() {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, '\n');
    let rv = parts
        .next()
        .and_then(|r| r.parse().ok())
        .ok_or_else(invalid)?;
    let (Some(ns), Some(name)) = (parts.next(), parts.next()) else {
        return Err(invalid());
    };
    Ok((rv, Key::new(ns, name)))
}

/// Handles a list request.
pub fn serve(
    state: &ApiState,
    selection: &Selection,
    params: &Params,
    encoding: Encoding,
) -> Result<Response, ApiError> {
    params.check_list()?;
    let limit = params.limit()?;
    let resume = match params.continue_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => Some(decode_continue(token)?),
        None => None,
    };
    let (page, now) = {
        let world = state.world.lock();
        let current = world.store.resource_version();
        let (items, next) = collect(
            &world.store,
            selection,
            limit,
            resume.as_ref().map(|(_, k)| k),
        );
        // A continued list keeps the version of its first page, so a watch started from
        // it replays whatever changed while the client was paging.
        let rv = resume.as_ref().map_or(current, |(rv, _)| *rv);
        let continue_token = next.map(|k| encode_continue(rv, &k));
        (
            Page {
                items,
                resource_version: rv,
                continue_token,
            },
            world.now(),
        )
    };
    let cut = state.faults.settings().cut_lists;
    Ok(respond(selection.kind, page, encoding, now, cut))
}

/// Streams a page as a `<Kind>List`, `PartialObjectMetadataList` or `Table`; `cut` breaks the
/// body off after its first chunk of items (a fault), so the client sees the connection fail.
pub fn respond(kind: Kind, page: Page, encoding: Encoding, now: Timestamp, cut: bool) -> Response {
    let mut metadata = json!({"resourceVersion": page.resource_version.to_string()});
    if let Some(token) = &page.continue_token {
        metadata["continue"] = json!(token);
    }
    let info = kind.info();
    if encoding == Encoding::Protobuf {
        return protobuf_list(kind, &page.items, &metadata);
    }
    let header = match encoding {
        Encoding::Protobuf => Vec::new(),
        Encoding::Table(_) => table::header(kind, &metadata),
        Encoding::Full => list_header(info.list_kind, &info.api_version(), &metadata),
        Encoding::Metadata => list_header("PartialObjectMetadataList", "meta.k8s.io/v1", &metadata),
    };
    let items = Arc::new(page.items);
    let chunks = items.len().div_ceil(CHUNK);
    let body = stream::iter(0..chunks).map(move |i| {
        let mut buf = Vec::new();
        let end = ((i + 1) * CHUNK).min(items.len());
        for (j, object) in items[i * CHUNK..end].iter().enumerate() {
            if i + j > 0 {
                buf.push(b',');
            }
            let encoded = match encoding {
                Encoding::Full | Encoding::Protobuf => object.to_json(),
                Encoding::Metadata => serde_json::to_vec(&table::partial_metadata(object)),
                Encoding::Table(include) => {
                    table::row(object, now, include).and_then(|r| serde_json::to_vec(&r))
                }
            };
            buf.extend(encoded.unwrap_or_else(|_| b"null".to_vec()));
        }
        Ok::<_, std::io::Error>(Bytes::from(buf))
    });
    let head = stream::once(async move { Ok(Bytes::from(header)) });
    let all = if cut {
        let broken = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "list cut (fault)");
        head.chain(body.take(1))
            .chain(stream::once(async move {
                // What was sent reaches the client first: the break comes mid-body.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Err(broken)
            }))
            .boxed()
    } else {
        head.chain(body)
            .chain(stream::once(async { Ok(Bytes::from_static(b"]}")) }))
            .boxed()
    };
    let mut response = json_response(StatusCode::OK, Vec::new());
    *response.body_mut() = Body::from_stream(all);
    response
}

/// A list in protobuf. Every length comes before its bytes, so the list is encoded whole
/// before it is sent (the JSON list streams).
fn protobuf_list(kind: Kind, items: &[AnyObject], metadata: &Value) -> Response {
    let info = kind.info();
    let encoded = items
        .iter()
        .map(|o| {
            o.to_value()
                .map_err(|e| e.to_string())
                .and_then(|v| protobuf::item_bytes(&v).map_err(|e| e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|items| {
            protobuf::list_bytes(&info.api_version(), info.list_kind, metadata, &items)
                .map_err(|e| e.to_string())
        });
    match encoded {
        Ok(body) => Encoding::Protobuf.response(StatusCode::OK, body),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

fn list_header(kind: &str, api_version: &str, metadata: &Value) -> Vec<u8> {
    let head = json!({"kind": kind, "apiVersion": api_version, "metadata": metadata});
    let mut bytes = serde_json::to_vec(&head).unwrap_or_default();
    bytes.pop();
    bytes.extend_from_slice(b",\"items\":[");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let key = Key::new("kube-system", "agent-x");
        let token = encode_continue(42, &key);
        assert_eq!(decode_continue(&token).expect("decode"), (42, key));
        assert_eq!(decode_continue("zz").map_err(|e| e.code), Err(400));
        assert_eq!(decode_continue("abc").map_err(|e| e.code), Err(400));
    }
}
