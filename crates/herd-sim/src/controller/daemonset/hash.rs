//! The revision hash and the ControllerRevision payload of a pod template
//! (upstream `ComputeHash` in kubernetes/pkg/controller/controller_utils.go, `getPatch` in
//! kubernetes/pkg/controller/daemon/update.go; docs/SEMANTICS.md#revision-hash): canonical JSON,
//! FNV-32a, the `bcdf…` alphabet.

use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::{Map, Value};

/// The alphabet `rand.SafeEncodeString` maps each decimal digit into.
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Fields the API serialises with `omitempty` as maps: an empty one is the same as none.
const MAP_FIELDS: [&str; 5] = [
    "labels",
    "annotations",
    "nodeSelector",
    "limits",
    "requests",
];

/// Drops what the API server would not store: null fields, empty lists and empty maps (all
/// `omitempty`), so that semantically equal templates serialise identically.
pub fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, v| {
                normalize(v);
                !(v.is_null()
                    || v.as_array().is_some_and(Vec::is_empty)
                    || (MAP_FIELDS.contains(&key.as_str())
                        && v.as_object().is_some_and(Map::is_empty)))
            });
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// The template as normalised JSON: what hashing, revision data and change detection compare.
pub fn template_value(template: &PodTemplateSpec) -> Value {
    let mut v = serde_json::to_value(template).unwrap_or(Value::Null);
    normalize(&mut v);
    v
}

/// JSON with object keys sorted at every level (Go's `json.Marshal` of a map does this).
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(key.clone()).to_string().as_bytes());
                out.push(b':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

fn fnv32a(chunks: &[&[u8]]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for byte in chunks.iter().flat_map(|c| c.iter()) {
        h ^= u32::from(*byte);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `ComputeHash`: FNV-32a over the canonical template, then the collision count as a
/// little-endian u32 in an 8-byte buffer; the decimal result re-encoded digit by digit.
pub fn compute_hash(template: &Value, collision_count: Option<i32>) -> String {
    let body = canonical_bytes(template);
    let mut count = [0u8; 8];
    let chunks: Vec<&[u8]> = match collision_count {
        Some(c) => {
            count[..4].copy_from_slice(&c.to_le_bytes());
            vec![&body, &count]
        }
        None => vec![&body],
    };
    fnv32a(&chunks)
        .to_string()
        .bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// The revision payload `{"spec":{"template":{…,"$patch":"replace"}}}`.
pub fn revision_data(template: &Value) -> Value {
    let mut t = template.clone();
    if let Value::Object(map) = &mut t {
        map.insert("$patch".into(), Value::String("replace".into()));
    }
    serde_json::json!({ "spec": { "template": t } })
}

/// Whether stored revision data is this template's payload (byte comparison of canonical JSON).
pub fn data_matches(data: &Value, expected: &[u8]) -> bool {
    canonical_bytes(data) == expected
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fnv32a_matches_reference_vectors() {
        assert_eq!(fnv32a(&[b""]), 0x811c_9dc5);
        assert_eq!(fnv32a(&[b"a"]), 0xe40c_292c);
        assert_eq!(fnv32a(&[b"foo", b"bar"]), 0xbf9c_f968);
    }

    #[test]
    fn hash_is_stable_and_uses_the_safe_alphabet() {
        let t = json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let h = compute_hash(&t, None);
        assert_eq!(h, compute_hash(&t.clone(), None));
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(
            h.bytes()
                .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b)),
            "{h}"
        );
        // Decimal digits map to a fixed set: '0'->'4' ... '9'->'f'.
        assert!(h.bytes().all(|b| b"456789bcdf".contains(&b)), "{h}");
        assert_ne!(h, compute_hash(&t, Some(1)));
        assert_ne!(compute_hash(&t, Some(1)), compute_hash(&t, Some(2)));
    }

    #[test]
    fn key_order_and_omitted_empties_do_not_change_the_hash() {
        let mut a = json!({"spec": {"containers": [{"image": "i", "name": "c", "args": []}], "tolerations": null},
            "metadata": {"labels": {"app": "x"}, "annotations": {}}});
        let b = json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
        normalize(&mut a);
        assert_eq!(compute_hash(&a, None), compute_hash(&b, None));
        // An empty volume source is not a map field: kept.
        let mut v = json!({"volumes": [{"name": "v", "emptyDir": {}}]});
        normalize(&mut v);
        assert_eq!(v, json!({"volumes": [{"name": "v", "emptyDir": {}}]}));
    }

    #[test]
    fn revision_data_replaces_the_template() {
        let t = json!({"spec": {"containers": []}});
        let d = revision_data(&t);
        assert_eq!(d["spec"]["template"]["$patch"], "replace");
        assert!(data_matches(&d, &canonical_bytes(&revision_data(&t))));
    }
}
