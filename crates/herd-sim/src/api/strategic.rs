//! Strategic merge patch for the kinds the simulator serves: lists merge by the upstream
//! `patchMergeKey` of their field, and the directives kubectl sends (`$patch`, `$retainKeys`,
//! `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`) are honoured.

use serde_json::{Map, Value};

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_FROM: &str = "$deleteFromPrimitiveList/";

/// How a list field is patched, after the struct tags of the upstream API types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListStrategy {
    /// The patch's list replaces the stored one (no patch strategy, e.g. tolerations, taints).
    Replace,
    /// Elements are maps matched by this key; matching ones merge, new ones are appended.
    MergeKey(&'static str),
    /// A list of scalars merged as a set (e.g. finalizers).
    MergePrimitive,
}

pub(crate) fn list_strategy(field: &str) -> ListStrategy {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates" => ListStrategy::MergeKey("name"),
        "volumeMounts" => ListStrategy::MergeKey("mountPath"),
        "volumeDevices" => ListStrategy::MergeKey("devicePath"),
        "ports" => ListStrategy::MergeKey("containerPort"),
        "conditions" | "addresses" => ListStrategy::MergeKey("type"),
        "ownerReferences" => ListStrategy::MergeKey("uid"),
        "hostAliases" | "podIPs" | "hostIPs" => ListStrategy::MergeKey("ip"),
        "topologySpreadConstraints" => ListStrategy::MergeKey("topologyKey"),
        "finalizers" | "podCIDRs" => ListStrategy::MergePrimitive,
        _ => ListStrategy::Replace,
    }
}

/// Whether a merged map survives (`$patch: delete` removes it from its parent).
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Keep,
    Delete,
}

/// Applies a strategic merge patch to `target`. The error text says what in the patch is wrong.
pub fn apply(target: &mut Value, patch: &Value) -> Result<(), String> {
    let Some(patch) = patch.as_object() else {
        return Err("a strategic merge patch must be a JSON object".into());
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Some(map) = target.as_object_mut()
        && merge_map(map, patch)? == Outcome::Delete
    {
        *map = Map::new();
    }
    Ok(())
}

fn merge_map(
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<Outcome, String> {
    match patch.get(PATCH).map(|v| v.as_str()) {
        None | Some(Some("merge")) => {}
        Some(Some("replace")) => {
            let mut fresh = Map::new();
            let mut rest = patch.clone();
            rest.remove(PATCH);
            merge_map(&mut fresh, &rest)?;
            *target = fresh;
            return Ok(Outcome::Keep);
        }
        Some(Some("delete")) => return Ok(Outcome::Delete),
        Some(other) => return Err(format!("unknown patch directive \"$patch\": {other:?}")),
    }
    let mut orders = Vec::new();
    for (key, value) in patch {
        if key == PATCH || key == RETAIN_KEYS {
            continue;
        }
        if let Some(field) = key.strip_prefix(SET_ORDER) {
            orders.push((field, value));
        } else if let Some(field) = key.strip_prefix(DELETE_FROM) {
            delete_from_list(target, field, value)?;
        } else if value.is_null() {
            target.remove(key);
        } else {
            merge_field(target, key, value)?;
        }
    }
    for (field, order) in orders {
        if let Some(Value::Array(list)) = target.get_mut(field) {
            reorder(list, field, order)?;
        }
    }
    if let Some(retain) = patch.get(RETAIN_KEYS) {
        let Some(keep) = retain.as_array() else {
            return Err("\"$retainKeys\" must be a list of field names".into());
        };
        target.retain(|k, _| keep.iter().any(|r| r.as_str() == Some(k)));
    }
    Ok(Outcome::Keep)
}

fn merge_field(target: &mut Map<String, Value>, key: &str, value: &Value) -> Result<(), String> {
    match value {
        Value::Object(p) => {
            let entry = target
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let outcome = match entry.as_object_mut() {
                Some(map) => merge_map(map, p)?,
                None => Outcome::Keep,
            };
            if outcome == Outcome::Delete {
                target.remove(key);
            }
        }
        Value::Array(items) => {
            let merged = merge_list(key, target.remove(key), items)?;
            target.insert(key.to_string(), Value::Array(merged));
        }
        scalar => {
            target.insert(key.to_string(), scalar.clone());
        }
    }
    Ok(())
}

/// A patch element with its directives resolved against an empty map.
fn strip(element: &Value) -> Result<Value, String> {
    match element {
        Value::Object(p) => {
            let mut fresh = Map::new();
            merge_map(&mut fresh, p)?;
            Ok(Value::Object(fresh))
        }
        other => Ok(other.clone()),
    }
}

fn merge_list(field: &str, stored: Option<Value>, patch: &[Value]) -> Result<Vec<Value>, String> {
    let mut base = match stored {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let is_replace = |e: &Value| e.get(PATCH).and_then(Value::as_str) == Some("replace");
    match list_strategy(field) {
        ListStrategy::Replace => patch.iter().map(strip).collect(),
        _ if patch.iter().any(is_replace) => {
            patch.iter().filter(|e| !is_replace(e)).map(strip).collect()
        }
        ListStrategy::MergePrimitive => {
            for item in patch {
                if !base.contains(item) {
                    base.push(item.clone());
                }
            }
            Ok(base)
        }
        ListStrategy::MergeKey(key) => {
            for item in patch {
                merge_element(&mut base, key, item)?;
            }
            Ok(base)
        }
    }
}

fn merge_element(base: &mut Vec<Value>, key: &str, item: &Value) -> Result<(), String> {
    let Some(p) = item.as_object() else {
        base.push(item.clone());
        return Ok(());
    };
    let id = p.get(key);
    let position = id.and_then(|id| base.iter().position(|e| e.get(key) == Some(id)));
    if p.get(PATCH).and_then(Value::as_str) == Some("delete") {
        if let Some(id) = id {
            base.retain(|e| e.get(key) != Some(id));
        }
        return Ok(());
    }
    match position
        .and_then(|i| base.get_mut(i))
        .and_then(Value::as_object_mut)
    {
        Some(existing) => {
            merge_map(existing, p)?;
        }
        None => base.push(strip(item)?),
    }
    Ok(())
}

fn delete_from_list(
    target: &mut Map<String, Value>,
    field: &str,
    values: &Value,
) -> Result<(), String> {
    let Some(remove) = values.as_array() else {
        return Err(format!("\"{DELETE_FROM}{field}\" must be a list"));
    };
    if let Some(Value::Array(list)) = target.get_mut(field) {
        list.retain(|v| !remove.contains(v));
    }
    Ok(())
}

/// `$setElementOrder/<field>`: elements named in `order` first, in that order, then the rest.
fn reorder(list: &mut Vec<Value>, field: &str, order: &Value) -> Result<(), String> {
    let Some(order) = order.as_array() else {
        return Err(format!("\"{SET_ORDER}{field}\" must be a list"));
    };
    let same = |element: &Value, wanted: &Value| match (list_strategy(field), wanted) {
        (ListStrategy::MergeKey(key), Value::Object(w)) => {
            element.get(key).is_some() && element.get(key) == w.get(key)
        }
        _ => element == wanted,
    };
    let mut rest = std::mem::take(list);
    for wanted in order {
        if let Some(i) = rest.iter().position(|e| same(e, wanted)) {
            list.push(rest.remove(i));
        }
    }
    list.extend(rest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(target: Value, patch: Value) -> Value {
        let mut t = target;
        apply(&mut t, &patch).expect("patch applies");
        t
    }

    #[test]
    fn containers_merge_by_name_and_env_by_name() {
        let stored = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}
        ]}});
        let out = patched(
            stored,
            json!({"spec": {"containers": [
                {"name": "a", "env": [{"name": "Y", "value": "2"}, {"name": "X", "$patch": "delete"}]},
                {"name": "c", "image": "c:1"}
            ]}}),
        );
        let cs = &out["spec"]["containers"];
        assert_eq!(cs[0]["image"], "a:1");
        assert_eq!(cs[0]["env"], json!([{"name": "Y", "value": "2"}]));
        assert_eq!(cs[1]["name"], "b");
        assert_eq!(cs[2]["name"], "c");
    }

    #[test]
    fn tolerations_replace_and_null_deletes() {
        let stored =
            json!({"spec": {"tolerations": [{"key": "a"}], "nodeSelector": {"x": "1", "y": "2"}}});
        let out = patched(
            stored,
            json!({"spec": {"tolerations": [{"key": "b"}], "nodeSelector": {"x": null}}}),
        );
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "b"}]));
        assert_eq!(out["spec"]["nodeSelector"], json!({"y": "2"}));
    }

    #[test]
    fn directives_replace_retain_order_and_primitive_delete() {
        let stored = json!({
            "metadata": {"finalizers": ["a", "b"]},
            "spec": {
                "template": {"metadata": {"labels": {"old": "1"}}, "spec": {"containers": [{"name": "x"}]}},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                "ports": [{"containerPort": 80}, {"containerPort": 81}]
            }
        });
        let out = patched(
            stored,
            json!({
                "metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["c"]},
                "spec": {
                    "template": {"$patch": "replace", "metadata": {"labels": {"new": "1"}}},
                    "updateStrategy": {"$retainKeys": ["type"], "type": "OnDelete"},
                    "$setElementOrder/ports": [{"containerPort": 81}, {"containerPort": 80}],
                    "ports": [{"containerPort": 81, "name": "alt"}]
                }
            }),
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["b", "c"]));
        assert_eq!(
            out["spec"]["template"],
            json!({"metadata": {"labels": {"new": "1"}}})
        );
        assert_eq!(out["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
        assert_eq!(
            out["spec"]["ports"],
            json!([{"containerPort": 81, "name": "alt"}, {"containerPort": 80}])
        );
    }

    #[test]
    fn unknown_directive_is_an_error() {
        let mut t = json!({});
        assert!(apply(&mut t, &json!({"spec": {"$patch": "explode"}})).is_err());
        assert!(apply(&mut t, &json!([1])).is_err());
    }
}
