//! `metadata.managedFields` as a real API server keeps it for non-apply writes (operation
//! `Update`), so a client can tell which field manager last set a field, such as a DaemonSet's
//! `spec.updateStrategy`.
//!
//! A faithful simplification of upstream's field manager
//! (kubernetes/staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/: the updater,
//! stripmeta.go, managedfieldsupdater.go, managedfields.go): the writer's entry (manager,
//! operation, apiVersion, subresource) takes every field the write added or changed, every
//! other entry loses them, removed fields leave every entry, and entries left empty are
//! dropped. Not kept: server-side apply (the simulator refuses it) and the cap of ten `Update`
//! entries that upstream folds into `ancient-changes`.

mod compare;
mod field_set;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry, Time};
use serde_json::{Map, Value};

pub use compare::{Comparison, compare};
pub use field_set::FieldSet;

use crate::kinds::Object;

/// The only `fieldsType` there is.
pub const FIELDS_V1: &str = "FieldsV1";
/// The operation of every write but server-side apply.
pub const UPDATE: &str = "Update";
/// The manager of a write that names none and sends no User-Agent.
pub const UNKNOWN_MANAGER: &str = "unknown";
/// The manager upstream's DaemonSet controller and garbage collector write as (their User-Agent
/// prefix).
pub const CONTROLLER_MANAGER: &str = "kube-controller-manager";
/// Upstream `FieldManagerMaxLength`.
const MAX_MANAGER_LENGTH: usize = 128;

/// Which part of the object a write went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    Main,
    Status,
}

impl Subresource {
    fn name(self) -> Option<&'static str> {
        match self {
            Subresource::Main => None,
            Subresource::Status => Some("status"),
        }
    }
}

/// Who makes a write, and through which part of the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writer<'a> {
    pub manager: &'a str,
    pub subresource: Subresource,
}

/// The manager of an API write: the `fieldManager` query parameter when given, else the
/// User-Agent up to its first `/` (upstream `managerOrUserAgent` in
/// kubernetes/staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go), else
/// [`UNKNOWN_MANAGER`]. An unusable `fieldManager` is refused with the reason, as upstream's
/// `ValidateFieldManager` does.
pub fn manager_name(
    field_manager: Option<&str>,
    user_agent: Option<&str>,
) -> Result<String, String> {
    if let Some(manager) = field_manager.filter(|m| !m.is_empty()) {
        if manager.len() > MAX_MANAGER_LENGTH {
            return Err(format!(
                "fieldManager: Too long: may not be more than {MAX_MANAGER_LENGTH} bytes"
            ));
        }
        if let Some((at, c)) = manager.char_indices().find(|(_, c)| !printable(*c)) {
            return Err(format!(
                "fieldManager: Invalid value: {manager:?}: invalid character {c:?} (at position {at})"
            ));
        }
        return Ok(manager.to_string());
    }
    let prefix = user_agent.unwrap_or("").split('/').next().unwrap_or("");
    let mut name = String::new();
    for c in prefix.chars().filter(|c| printable(*c)) {
        if name.len() + c.len_utf8() > MAX_MANAGER_LENGTH {
            break;
        }
        name.push(c);
    }
    Ok(if name.is_empty() {
        UNKNOWN_MANAGER.to_string()
    } else {
        name
    })
}

/// Go's `unicode.IsPrint`, near enough: no control characters, and no space but U+0020.
fn printable(c: char) -> bool {
    !c.is_control() && (c == ' ' || !c.is_whitespace())
}

/// One decoded entry.
#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: Option<String>,
    time: Option<Time>,
    fields: FieldSet,
}

impl Entry {
    fn decode(raw: &ManagedFieldsEntry) -> Result<Entry, String> {
        if raw.fields_type.as_deref() != Some(FIELDS_V1) {
            return Err(format!("unsupported fieldsType {:?}", raw.fields_type));
        }
        let operation = raw.operation.clone().unwrap_or_default();
        if !matches!(operation.as_str(), "Apply" | "Update") {
            return Err(format!("operation {operation:?} is not Apply or Update"));
        }
        let fields = match &raw.fields_v1 {
            Some(FieldsV1(v)) => FieldSet::from_fields_v1(v)?,
            None => return Err("an entry without fieldsV1".into()),
        };
        Ok(Entry {
            manager: raw.manager.clone().unwrap_or_default(),
            operation,
            api_version: raw.api_version.clone().unwrap_or_default(),
            subresource: raw.subresource.clone().filter(|s| !s.is_empty()),
            time: raw.time.clone(),
            fields,
        })
    }

    fn encode(&self) -> ManagedFieldsEntry {
        ManagedFieldsEntry {
            api_version: Some(self.api_version.clone()),
            fields_type: Some(FIELDS_V1.to_string()),
            fields_v1: Some(FieldsV1(self.fields.to_fields_v1())),
            manager: Some(self.manager.clone()),
            operation: Some(self.operation.clone()),
            subresource: self.subresource.clone(),
            time: self.time.clone(),
        }
    }

    fn is(&self, manager: &str, api_version: &str, subresource: Option<&str>) -> bool {
        self.operation == UPDATE
            && self.manager == manager
            && self.api_version == api_version
            && self.subresource.as_deref() == subresource
    }

    fn seconds(&self) -> i64 {
        self.time.as_ref().map_or(0, |t| t.0.as_second())
    }
}

fn decode_all(raw: &[ManagedFieldsEntry]) -> Result<Vec<Entry>, String> {
    raw.iter().map(Entry::decode).collect()
}

/// `[]` or `[{}]`: the client asks for the managed fields to be cleared (upstream
/// `isResetManagedFields`).
fn is_reset(sent: Option<&Vec<ManagedFieldsEntry>>) -> bool {
    match sent.map(Vec::as_slice) {
        Some([]) => true,
        Some([only]) => *only == ManagedFieldsEntry::default(),
        _ => false,
    }
}

/// The entries a write starts from, and whether they are the live object's (upstream
/// `decodeLiveOrNew`): a status write always keeps the live ones; otherwise a reset clears them,
/// a decodable non-empty list the client sent replaces them, and anything else keeps them.
fn starting_entries(
    live: Option<&Vec<ManagedFieldsEntry>>,
    sent: Option<&Vec<ManagedFieldsEntry>>,
    subresource: Subresource,
) -> (Vec<Entry>, bool) {
    let live_entries = || decode_all(live.map_or(&[][..], Vec::as_slice)).unwrap_or_default();
    if subresource == Subresource::Status {
        return (live_entries(), true);
    }
    if is_reset(sent) {
        return (Vec::new(), false);
    }
    match sent
        .filter(|s| !s.is_empty() && Some(*s) != live)
        .map(|s| decode_all(s))
    {
        Some(Ok(entries)) if !entries.is_empty() => (entries, false),
        _ => (live_entries(), true),
    }
}

/// Records in `new`'s managedFields an `Update` by `writer` that turned `old` (`None` for a
/// create) into `new`; call it on the object as it will be stored (after defaulting, so the
/// creator owns the defaults, as upstream). `time` is stamped, to the second, only on an entry
/// that took fields. Fails only if an object does not serialise to JSON.
pub fn record_update<K: Object>(
    old: Option<&K>,
    new: &mut K,
    writer: Writer<'_>,
    now: Timestamp,
) -> Result<(), serde_json::Error> {
    let live = old.and_then(|o| o.metadata().managed_fields.as_ref());
    let (mut entries, from_live) = starting_entries(
        live,
        new.metadata().managed_fields.as_ref(),
        writer.subresource,
    );
    let old_json = match old {
        Some(o) => serde_json::to_value(o)?,
        None => Value::Object(Map::new()),
    };
    let comparison = compare(&old_json, &serde_json::to_value(&*new)?, writer.subresource);
    if comparison.is_empty() && from_live {
        // Nothing moved: the stored list stays exactly as it was, so an unchanged write stays a
        // no-op.
        new.metadata_mut().managed_fields = live.cloned();
        return Ok(());
    }
    let api_version = K::SIM_KIND.info().api_version();
    let subresource = writer.subresource.name();
    for entry in &mut entries {
        if !entry.is(writer.manager, &api_version, subresource) {
            entry.fields.subtract(&comparison.changed);
        }
        entry.fields.subtract(&comparison.removed);
    }
    if !comparison.changed.is_empty() {
        let time = Some(Time(Timestamp::from_second(now.as_second()).unwrap_or(now)));
        match entries
            .iter_mut()
            .find(|e| e.is(writer.manager, &api_version, subresource))
        {
            Some(own) => {
                own.fields.union_with(&comparison.changed);
                own.time = time;
            }
            None => entries.push(Entry {
                manager: writer.manager.to_string(),
                operation: UPDATE.to_string(),
                api_version,
                subresource: subresource.map(str::to_string),
                time,
                fields: comparison.changed,
            }),
        }
    }
    entries.retain(|e| !e.fields.is_empty());
    // Upstream `sortEncodedManagedFields`: by operation, time (seconds), manager, apiVersion,
    // subresource.
    entries.sort_by(|p, q| {
        (
            &p.operation,
            p.seconds(),
            &p.manager,
            &p.api_version,
            &p.subresource,
        )
            .cmp(&(
                &q.operation,
                q.seconds(),
                &q.manager,
                &q.api_version,
                &q.subresource,
            ))
    });
    new.metadata_mut().managed_fields =
        (!entries.is_empty()).then(|| entries.iter().map(Entry::encode).collect());
    Ok(())
}

/// The fields `manager`'s `Update` entry (main resource or status) owns in `managed`, if any.
pub fn owned_by(
    managed: Option<&[ManagedFieldsEntry]>,
    manager: &str,
    subresource: Subresource,
) -> Option<FieldSet> {
    managed?
        .iter()
        .filter_map(|raw| Entry::decode(raw).ok())
        .find(|e| {
            e.manager == manager
                && e.operation == UPDATE
                && e.subresource.as_deref() == subresource.name()
        })
        .map(|e| e.fields)
}

#[cfg(test)]
mod tests;
