//! Reads the items of a Kubernetes List response one at a time as its body arrives, so a list
//! of 150,000 objects never sits in memory whole.
//!
//! kube's `Api::list` collects the body into one buffer, copies it into a `String` and decodes
//! every item into a `Vec` before the caller sees the first: for a 62 MiB metrics list that is
//! three fresh allocations of its size every poll, and on a virtual machine the kernel's
//! zeroing of those fresh pages cost more than the decoding itself. Here each item's bytes
//! are handed over while they are still in the network chunk they came in (an item that
//! straddles two chunks is gathered in one small reused buffer), and the caller keeps only
//! what it reads from them.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures::{AsyncBufRead, AsyncBufReadExt};
use serde::Deserialize;

/// Decodes one `T` from the start of `bytes` (an item and whatever follows it), returning it
/// and how many bytes it took: what a `decode` callback of [`ListReader`] is made of.
pub fn decode_one<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<T>();
    match stream.next() {
        Some(Ok(value)) => Ok((value, stream.byte_offset())),
        Some(Err(e)) => Err(e),
        None => Err(serde::de::Error::custom("no item")),
    }
}

/// Reads a JSON List object fed to it in chunks of any size, and has each element of its
/// top-level `"items"` array decoded by the caller, in place, by serde_json. Outside the items
/// it tracks only strings (with escapes) and nesting; inside an item it does nothing at all:
/// serde_json's parse of the item is the only pass over its bytes.
#[derive(Debug, Default)]
pub struct ListReader {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The latest string read at depth 1, where keys sit: `items` before its `[` means the
    /// array that follows is the item list. Capped: only short keys matter.
    key: Vec<u8>,
    /// Whether `key` is the string being read (a depth-1 string) or a finished one.
    reading_key: bool,
    in_items: bool,
    /// Bytes from the start of an item that has not fully arrived, and what came after it.
    pending: Vec<u8>,
    /// The length `pending` had when decoding it last ran out of bytes: it is tried again
    /// only once it has doubled, so an item far larger than a chunk costs linear time.
    tried: usize,
    items: usize,
    started: bool,
    finished: bool,
    /// The list's own `resourceVersion` (from its top-level `metadata`): where a watch that
    /// follows the list starts.
    resource_version: Option<String>,
}

/// The part of a List's `metadata` a reader keeps.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListMeta {
    #[serde(default)]
    resource_version: Option<String>,
}

const ITEM_DEPTH: u32 = 2;
const KEY_CAP: usize = 16;

/// Where a scan stopped: at the end of its bytes, at the start of an item (or of the list's
/// metadata) that is cut off, or where it was told to stop.
enum Scanned {
    All,
    ItemCutAt(usize),
    StoppedAt(usize),
}

impl ListReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of the body; `decode` is called once per item, in order, with the
    /// bytes from the item's opening brace on, and says how many of them the item took
    /// ([`decode_one`] does both).
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut decode: impl FnMut(&[u8]) -> serde_json::Result<usize>,
    ) -> Result<()> {
        let mut rest = chunk;
        if !self.pending.is_empty() {
            let held = self.pending.len();
            self.pending.extend_from_slice(chunk);
            if self.pending.len() < self.tried.saturating_mul(2) {
                return Ok(());
            }
            // Once the cut item is whole, the rest of the chunk is read where it lies: only
            // items that straddle two chunks are copied.
            match self.scan_pending(&mut decode, held)? {
                Some(read) => rest = &chunk[read.saturating_sub(held).min(chunk.len())..],
                None => return Ok(()),
            }
        }
        if let Scanned::ItemCutAt(at) = self.scan(rest, &mut decode, usize::MAX)? {
            self.pending.extend_from_slice(&rest[at..]);
            self.tried = self.pending.len();
        }
        Ok(())
    }

    /// Checks that the body ended where a List ends: after its closing brace, with every
    /// item whole. `decode` reads any item still held back.
    pub fn finish(
        &mut self,
        mut decode: impl FnMut(&[u8]) -> serde_json::Result<usize>,
    ) -> Result<()> {
        if !self.pending.is_empty() {
            self.scan_pending(&mut decode, usize::MAX)?;
        }
        if !self.started {
            bail!("the response body is empty");
        }
        if !self.pending.is_empty() || !self.finished {
            bail!("the list ended before its closing brace (the body was cut short)");
        }
        Ok(())
    }

    /// The list's `resourceVersion`, once its `metadata` has been read (upstream writes it
    /// before the items; a reader takes it wherever it is). None when absent or empty.
    pub fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref().filter(|rv| !rv.is_empty())
    }

    /// How many items have been decoded.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Scans the held bytes up to `stop_at` (or the first item boundary past it). Returns how
    /// many bytes were read, or None when an item is still cut off (kept held).
    fn scan_pending(
        &mut self,
        decode: &mut impl FnMut(&[u8]) -> serde_json::Result<usize>,
        stop_at: usize,
    ) -> Result<Option<usize>> {
        let mut pending = std::mem::take(&mut self.pending);
        let scanned = self.scan(&pending, decode, stop_at);
        let read = match scanned {
            Ok(Scanned::ItemCutAt(at)) => {
                pending.drain(..at);
                self.tried = pending.len();
                Ok(None)
            }
            Ok(Scanned::StoppedAt(at)) => Ok(Some(at)),
            Ok(Scanned::All) => Ok(Some(pending.len())),
            Err(e) => Err(e),
        };
        if !matches!(read, Ok(None)) {
            pending.clear();
        }
        self.pending = pending;
        read
    }

    /// Scans `bytes`, stopping at the first position at or past `stop_at` that is not inside
    /// an item.
    fn scan(
        &mut self,
        bytes: &[u8],
        decode: &mut impl FnMut(&[u8]) -> serde_json::Result<usize>,
        stop_at: usize,
    ) -> Result<Scanned> {
        let mut i = 0;
        while i < bytes.len() {
            if i >= stop_at {
                return Ok(Scanned::StoppedAt(i));
            }
            if self.in_string {
                let rest = &bytes[i..];
                if self.escaped {
                    self.escaped = false;
                    self.push_key(&rest[..1]);
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', rest) {
                    None => {
                        self.push_key(rest);
                        i = bytes.len();
                    }
                    Some(at) => {
                        self.push_key(&rest[..at]);
                        if rest[at] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                            self.reading_key = false;
                        }
                        i += at + 1;
                    }
                }
                continue;
            }
            let byte = bytes[i];
            match byte {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 {
                        self.key.clear();
                        self.reading_key = true;
                    }
                }
                b'{' | b'[' if self.depth == ITEM_DEPTH && self.in_items => {
                    if byte != b'{' {
                        bail!("item {} of the list is not a JSON object", self.items + 1);
                    }
                    match decode(&bytes[i..]) {
                        Ok(used) => {
                            self.items += 1;
                            self.tried = 0;
                            i += used.max(1);
                            continue;
                        }
                        Err(e) if e.is_eof() => return Ok(Scanned::ItemCutAt(i)),
                        Err(e) => {
                            return Err(anyhow!(e))
                                .with_context(|| format!("item {}", self.items + 1));
                        }
                    }
                }
                b'{' if self.depth == 1 && self.key == b"metadata" => {
                    // The list's metadata: small, read whole like an item.
                    match decode_one::<ListMeta>(&bytes[i..]) {
                        Ok((meta, used)) => {
                            self.resource_version = meta.resource_version;
                            self.key.clear();
                            self.tried = 0;
                            i += used.max(1);
                            continue;
                        }
                        Err(e) if e.is_eof() => return Ok(Scanned::ItemCutAt(i)),
                        Err(e) => {
                            return Err(anyhow!(e)).context("the list's metadata");
                        }
                    }
                }
                b'{' | b'[' => {
                    if self.finished {
                        bail!("the list has more after its closing brace");
                    }
                    if self.depth == 0 {
                        if byte != b'{' {
                            bail!("the list is not a JSON object");
                        }
                        self.started = true;
                    } else if self.depth == 1 && byte == b'[' && self.key == b"items" {
                        self.in_items = true;
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        bail!("the list closes a bracket it never opened");
                    }
                    self.depth -= 1;
                    if self.in_items && self.depth == 1 {
                        self.in_items = false;
                    } else if self.depth == 0 {
                        self.finished = true;
                    }
                }
                b' ' | b'\n' | b'\r' | b'\t' => {}
                _ if self.depth == 0 => bail!("the list is not a JSON object"),
                _ if self.depth == ITEM_DEPTH && self.in_items && byte != b',' => {
                    bail!("item {} of the list is not a JSON object", self.items + 1);
                }
                _ => {}
            }
            i += 1;
        }
        Ok(Scanned::All)
    }

    fn push_key(&mut self, bytes: &[u8]) {
        if self.reading_key {
            let room = KEY_CAP.saturating_sub(self.key.len());
            self.key.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }
}

/// Reads a List body to its end, having `decode` read each item; `what` names the list in
/// errors ("the PodMetrics list"). Returns the time spent reading the bytes (not waiting for
/// them): what the list cost this process.
pub async fn for_each_item<R: AsyncBufRead + Unpin>(
    mut body: R,
    what: &str,
    mut decode: impl FnMut(&[u8]) -> serde_json::Result<usize>,
) -> Result<Duration> {
    let mut reader = ListReader::new();
    let mut spent = Duration::ZERO;
    loop {
        let chunk = body
            .fill_buf()
            .await
            .with_context(|| format!("reading {what}"))?;
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        let started = Instant::now();
        reader
            .feed(chunk, &mut decode)
            .with_context(|| format!("{what} could not be read"))?;
        spent += started.elapsed();
        body.consume_unpin(len);
    }
    reader
        .finish(&mut decode)
        .with_context(|| format!("{what} could not be read"))?;
    Ok(spent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn read(body: &[u8], chunk: usize) -> Result<Vec<Value>> {
        read_pieces(body.chunks(chunk.max(1))).map(|(items, _)| items)
    }

    /// The items of a body fed in these pieces, and the list's resourceVersion.
    fn read_pieces<'a>(
        pieces: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(Vec<Value>, Option<String>)> {
        let mut reader = ListReader::new();
        let mut items = Vec::new();
        let mut decode = |bytes: &[u8]| {
            let (item, used) = decode_one::<Value>(bytes)?;
            items.push(item);
            Ok(used)
        };
        for piece in pieces {
            reader.feed(piece, &mut decode)?;
        }
        reader.finish(&mut decode)?;
        assert_eq!(reader.items(), items.len());
        let version = reader.resource_version().map(String::from);
        Ok((items, version))
    }

    const LIST: &str = r#"{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1",
        "metadata":{"resourceVersion":"7","items":[{"decoy":1}]},
        "items":[{"metadata":{"name":"a}\"[","labels":{"x":"{"}},"containers":[{"usage":{}}]},
                 {"metadata":{"name":"b\\"}, "n": [1, 2.5e3, true, null]} ,{}],
        "after":{"items":[{"decoy":2}]}}"#;

    fn want() -> Vec<Value> {
        vec![
            json!({"metadata":{"name":"a}\"[","labels":{"x":"{"}},"containers":[{"usage":{}}]}),
            json!({"metadata":{"name":"b\\"}, "n": [1, 2.5e3, true, null]}),
            json!({}),
        ]
    }

    #[test]
    fn items_are_read_whatever_the_chunk_size() {
        for chunk in 1..=LIST.len() {
            assert_eq!(
                read(LIST.as_bytes(), chunk).expect("a list"),
                want(),
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn many_items_cut_anywhere_are_each_read_once_in_order() {
        let items: Vec<Value> = (0..300)
            .map(|i| json!({"name": format!("pod-{i}"), "esc": "}\"{[", "pad": "x".repeat(i % 97)}))
            .collect();
        let body = json!({"metadata": {"resourceVersion": "9"}, "items": items}).to_string();
        // Chunks of irregular sizes, some far smaller and some larger than an item.
        let mut sizes = [7usize, 300, 1, 64, 2_000, 13, 150].iter().cycle();
        let mut pieces = Vec::new();
        let mut rest = body.as_bytes();
        while !rest.is_empty() {
            let (piece, after) = rest.split_at((*sizes.next().expect("cycle")).min(rest.len()));
            pieces.push(piece);
            rest = after;
        }
        let (got, version) = read_pieces(pieces).expect("a list");
        assert_eq!(got, items);
        assert_eq!(version.as_deref(), Some("9"));
    }

    #[test]
    fn the_lists_resource_version_is_read_whatever_the_chunk_size() {
        for chunk in 1..=LIST.len() {
            let (items, version) = read_pieces(LIST.as_bytes().chunks(chunk)).expect("a list");
            assert_eq!(version.as_deref(), Some("7"), "chunk {chunk}");
            assert_eq!(items.len(), 3, "chunk {chunk}");
        }
        // Absent or empty: nothing to watch from.
        for body in [
            r#"{"items":[]}"#,
            r#"{"metadata":{"resourceVersion":""},"items":[]}"#,
        ] {
            let (_, version) = read_pieces([body.as_bytes()]).expect("a list");
            assert_eq!(version, None, "{body}");
        }
    }

    #[test]
    fn an_item_far_larger_than_a_chunk_is_read_whole() {
        let names: Vec<String> = (0..5000).map(|i| format!("container-{i}")).collect();
        let body = json!({"items": [{"names": names}, {"n": 1}]}).to_string();
        let items = read(body.as_bytes(), 100).expect("a list");
        assert_eq!(items, vec![json!({"names": names}), json!({"n": 1})]);
    }

    #[test]
    fn an_empty_or_null_item_list_has_no_items() {
        for body in [
            r#"{"kind":"List","items":[]}"#,
            r#"{"kind":"List","items":null}"#,
            r#"{"kind":"List"}"#,
        ] {
            assert_eq!(read(body.as_bytes(), 3).expect(body), Vec::<Value>::new());
        }
    }

    #[test]
    fn a_cut_short_or_foreign_body_is_an_error_naming_what_is_wrong() {
        let message = |body: &[u8], chunk| format!("{:#}", read(body, chunk).expect_err("bad"));
        for cut in [10, LIST.len() / 2, LIST.len() - 30] {
            let err = message(&LIST.as_bytes()[..LIST.len() - cut], 64);
            assert!(err.contains("cut short"), "{err}");
        }
        assert!(message(b"", 64).contains("empty"));
        assert!(message(b"[1,2]", 64).contains("not a JSON object"));
        assert!(message(b"<html>503</html>", 64).contains("not a JSON object"));
        let err = message(br#"{"items":[{}, 2]}"#, 64);
        assert!(
            err.contains("item 2 of the list is not a JSON object"),
            "{err}"
        );
        assert!(message(br#"{"items":[]}}"#, 64).contains("never opened"));
        let err = message(br#"{"items":[{"a": tru}]}"#, 4);
        assert!(err.contains("item 1"), "{err}");
    }

    #[test]
    fn a_decode_error_stops_the_list_and_names_the_item() {
        #[derive(Deserialize)]
        struct Named {
            #[allow(dead_code)]
            metadata: Value,
        }
        let body = futures::io::Cursor::new(LIST.as_bytes().to_vec());
        let mut seen = 0;
        let err =
            futures::executor::block_on(for_each_item(body, "the PodMetrics list", |bytes| {
                seen += 1;
                decode_one::<Named>(bytes).map(|(_, used)| used)
            }))
            .expect_err("the third item has no metadata");
        assert_eq!(seen, 3);
        let text = format!("{err:#}");
        assert!(
            text.contains("the PodMetrics list could not be read"),
            "{text}"
        );
        assert!(text.contains("item 3"), "{text}");
        assert!(text.contains("missing field `metadata`"), "{text}");
    }
}
