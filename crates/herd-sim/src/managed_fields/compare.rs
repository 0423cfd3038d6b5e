//! Which field paths a write changed, after upstream's `TypedValue.Compare`
//! (sigs.k8s.io/structured-merge-diff/typed/compare.go): leaves (scalars, atomic lists and
//! structs, maps empty on both sides) are changed when added or given a new value and removed
//! when gone; a map or list item that appears or disappears is itself a path too (the `.` of
//! FieldsV1), and a removed one takes everything below it along.

use serde_json::{Map, Value};

use super::Subresource;
use super::field_set::FieldSet;
use crate::api::strategic::{ListStrategy, list_strategy};

/// What one write did to the object's fields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Added or modified: the writer takes these from every other manager.
    pub changed: FieldSet,
    /// Gone from the object: no manager keeps them.
    pub removed: FieldSet,
}

impl Comparison {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }

    fn insert(&mut self, element: String, child: Comparison) {
        self.changed.insert_child(element.clone(), child.changed);
        self.removed.insert_child(element, child.removed);
    }
}

/// Metadata nobody owns: the server sets it or it names the object (upstream
/// kubernetes/staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/stripmeta.go).
const UNOWNED_METADATA: [&str; 8] = [
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "generation",
    "managedFields",
    "resourceVersion",
];

/// Compares two versions of an object as JSON (`old` is `{}` for a create). A main-resource
/// write covers everything but `status`; a status write covers `status` only, as the reset
/// fields of upstream's registry strategies do.
pub fn compare(old: &Value, new: &Value, scope: Subresource) -> Comparison {
    let mut walker = Walker {
        scope,
        path: Vec::new(),
    };
    walker.map(old.as_object(), new.as_object())
}

struct Walker<'a> {
    scope: Subresource,
    /// Field names from the root; "" stands for a list item.
    path: Vec<&'a str>,
}

/// How a node is compared.
enum Shape<'a> {
    Leaf,
    Map(
        Option<&'a Map<String, Value>>,
        Option<&'a Map<String, Value>>,
    ),
    /// A list whose items are tracked one by one: (element, item) in list order.
    Items(Vec<(String, &'a Value)>, Vec<(String, &'a Value)>),
}

impl<'a> Walker<'a> {
    fn map(
        &mut self,
        old: Option<&'a Map<String, Value>>,
        new: Option<&'a Map<String, Value>>,
    ) -> Comparison {
        let mut out = Comparison::default();
        let keys = old.into_iter().flat_map(|m| m.keys()).chain(
            new.into_iter().flat_map(|m| m.keys()).filter(|k| {
                // Keys on both sides are visited once, from the old side.
                !old.is_some_and(|o| o.contains_key(*k))
            }),
        );
        for key in keys {
            let both = old.is_some_and(|m| m.contains_key(key))
                && new.is_some_and(|m| m.contains_key(key));
            if !self.tracked(key) || (both && self.bumped_by_the_server(key)) {
                continue;
            }
            self.path.push(key);
            let child = self.value(old.and_then(|m| m.get(key)), new.and_then(|m| m.get(key)));
            self.path.pop();
            out.insert(format!("f:{key}"), child);
        }
        out
    }

    fn items(&mut self, old: &[(String, &'a Value)], new: &[(String, &'a Value)]) -> Comparison {
        let find = |list: &[(String, &'a Value)], element: &str| {
            list.iter().find(|(e, _)| e == element).map(|(_, v)| *v)
        };
        let mut out = Comparison::default();
        let elements = old.iter().map(|(e, _)| e).chain(
            new.iter()
                .map(|(e, _)| e)
                .filter(|e| find(old, e).is_none()),
        );
        for element in elements {
            self.path.push("");
            let child = self.value(find(old, element), find(new, element));
            self.path.pop();
            out.insert(element.clone(), child);
        }
        out
    }

    fn value(&mut self, old: Option<&'a Value>, new: Option<&'a Value>) -> Comparison {
        // An explicit null is an absent field to the typed objects the server keeps.
        let old = old.filter(|v| !v.is_null());
        let new = new.filter(|v| !v.is_null());
        let mut out = match self.shape(old, new) {
            Shape::Leaf => {
                let mut leaf = Comparison::default();
                match (old, new) {
                    (None, Some(_)) => leaf.changed.set_member(),
                    (Some(_), None) => leaf.removed.set_member(),
                    (Some(a), Some(b)) if a != b => leaf.changed.set_member(),
                    _ => {}
                }
                return leaf;
            }
            Shape::Map(a, b) => self.map(a, b),
            Shape::Items(a, b) => self.items(&a, &b),
        };
        if !always_present(&self.path) {
            if old.is_none() {
                out.changed.set_member();
            }
            if new.is_none() {
                out.removed.set_member();
            }
        }
        out
    }

    fn shape(&self, old: Option<&'a Value>, new: Option<&'a Value>) -> Shape<'a> {
        let field = self.path.last().copied().unwrap_or("");
        if atomic_struct(field) {
            return Shape::Leaf;
        }
        let same_type = match (old, new) {
            (Some(a), Some(b)) => std::mem::discriminant(a) == std::mem::discriminant(b),
            _ => true,
        };
        let Some(sample) = new.or(old).filter(|_| same_type) else {
            return Shape::Leaf;
        };
        match sample {
            Value::Object(_) => {
                let (a, b) = (
                    old.and_then(Value::as_object),
                    new.and_then(Value::as_object),
                );
                // Empty (or absent) on both sides: a leaf, so `{}` stays distinct from absent.
                if a.is_none_or(Map::is_empty) && b.is_none_or(Map::is_empty) {
                    Shape::Leaf
                } else {
                    Shape::Map(a, b)
                }
            }
            Value::Array(_) => {
                let (a, b) = (
                    old.and_then(Value::as_array).map(Vec::as_slice),
                    new.and_then(Value::as_array).map(Vec::as_slice),
                );
                if a.is_none_or(<[Value]>::is_empty) && b.is_none_or(<[Value]>::is_empty) {
                    return Shape::Leaf;
                }
                let kind = list_kind(field);
                match (index(a, kind), index(b, kind)) {
                    (Some(a), Some(b)) => Shape::Items(a, b),
                    // Atomic, or items the list's key cannot name: owned as a whole.
                    _ => Shape::Leaf,
                }
            }
            _ => Shape::Leaf,
        }
    }

    /// Whether a field present before and after changes only by the server's bookkeeping.
    fn bumped_by_the_server(&self, key: &str) -> bool {
        self.path.as_slice() == ["metadata", "annotations"] && key == TEMPLATE_GENERATION
    }

    /// Whether a field under the current path is tracked at all.
    fn tracked(&self, key: &str) -> bool {
        match self.path.as_slice() {
            [] => {
                !matches!(key, "apiVersion" | "kind")
                    && match self.scope {
                        Subresource::Main => key != "status",
                        Subresource::Status => key == "status",
                    }
            }
            ["metadata"] => !UNOWNED_METADATA.contains(&key),
            _ => true,
        }
    }
}

/// The DaemonSet template generation: upstream's strategy bumps it in `PrepareForUpdate`
/// (kubernetes/pkg/registry/apps/daemonset/strategy.go), after the field manager has run, so a
/// bump is nobody's change; only a create, where it first appears, gives it an owner.
const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

/// Fields Go never omits (non-pointer structs, and `containers` without `omitempty`), so
/// upstream's empty object at a create already has them, and adding them does not make the
/// field itself a path (no `.` under `f:spec` or `f:containers`).
fn always_present(path: &[&str]) -> bool {
    matches!(
        path,
        ["metadata" | "spec" | "status"]
            | ["spec", "template" | "updateStrategy" | "containers"]
            | ["spec", "template", "metadata" | "spec"]
            | ["spec", "template", "spec", "containers"]
            | ["status", "nodeInfo" | "daemonEndpoints"]
            | ["status", "daemonEndpoints", "kubeletEndpoint"]
    )
}

/// Structs upstream marks `+structType=atomic` among the kinds served: label selectors and the
/// required node affinity are owned whole.
fn atomic_struct(field: &str) -> bool {
    matches!(
        field,
        "selector"
            | "labelSelector"
            | "namespaceSelector"
            | "requiredDuringSchedulingIgnoredDuringExecution"
    )
}

/// How a list's items are identified, after its `+listType` upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    /// Owned as a whole (`f:args: {}`).
    Atomic,
    /// Items named by key fields (`k:{"name":"agent"}`); the second key is optional.
    Keyed(&'static str, Option<&'static str>),
    /// Items named by value (`v:"foregroundDeletion"`).
    Set,
}

/// The strategic-merge knowledge of each list, with upstream's two-key lists on top (the
/// strategic patch merges those by their first key only).
fn list_kind(field: &str) -> ListKind {
    match field {
        "ports" => ListKind::Keyed("containerPort", Some("protocol")),
        "topologySpreadConstraints" => ListKind::Keyed("topologyKey", Some("whenUnsatisfiable")),
        _ => match list_strategy(field) {
            ListStrategy::Replace => ListKind::Atomic,
            ListStrategy::MergeKey(key) => ListKind::Keyed(key, None),
            ListStrategy::MergePrimitive => ListKind::Set,
        },
    }
}

/// Each item's path element, in list order, repeats dropped (upstream ignores them too); `None`
/// when the list is atomic or an item cannot be named.
fn index(items: Option<&[Value]>, kind: ListKind) -> Option<Vec<(String, &Value)>> {
    let mut out: Vec<(String, &Value)> = Vec::new();
    for item in items.unwrap_or_default() {
        let element = match kind {
            ListKind::Atomic => return None,
            ListKind::Keyed(first, second) => keyed_element(item, first, second)?,
            ListKind::Set if is_scalar(item) => format!("v:{item}"),
            ListKind::Set => return None,
        };
        if !out.iter().any(|(e, _)| *e == element) {
            out.push((element, item));
        }
    }
    Some(out)
}

/// `k:{"containerPort":80,"protocol":"TCP"}`: the key fields present, in name order, as compact JSON.
fn keyed_element(item: &Value, first: &str, second: Option<&str>) -> Option<String> {
    let fields = item.as_object()?;
    let mut parts = Vec::with_capacity(2);
    for (i, key) in std::iter::once(first).chain(second).enumerate() {
        match fields.get(key) {
            Some(v) if is_scalar(v) => parts.push(format!("{}:{v}", Value::from(key))),
            // The first key names the item; without it the list cannot be tracked by item.
            None if i > 0 => {}
            _ => return None,
        }
    }
    Some(format!("k:{{{}}}", parts.join(",")))
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn main(old: Value, new: Value) -> Comparison {
        compare(&old, &new, Subresource::Main)
    }

    fn ds() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "default", "uid": "u", "resourceVersion": "5",
                         "generation": 1, "labels": {"app": "agent"}},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}},
                             "spec": {"containers": [{"name": "agent", "image": "a:1", "args": ["-v"],
                                                      "ports": [{"containerPort": 80, "protocol": "TCP"}],
                                                      "resources": {}}]}},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
            },
            "status": {"numberReady": 0}
        })
    }

    #[test]
    fn a_create_owns_every_field_in_upstream_shape() {
        let c = main(json!({}), ds());
        assert!(c.removed.is_empty());
        let template = json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"agent\"}": {
                ".": {}, "f:args": {}, "f:image": {}, "f:name": {},
                "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                    ".": {}, "f:containerPort": {}, "f:protocol": {}}},
                "f:resources": {}
            }}}
        });
        assert_eq!(
            c.changed.to_fields_v1(),
            json!({
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:selector": {},
                    "f:template": template,
                    "f:updateStrategy": {"f:rollingUpdate": {".": {}, "f:maxUnavailable": {}}, "f:type": {}}
                }
            })
        );
    }

    #[test]
    fn an_update_names_only_what_changed() {
        let mut new = ds();
        new["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        new["metadata"]["resourceVersion"] = json!("6");
        new["metadata"]["generation"] = json!(2);
        new["status"]["numberReady"] = json!(3);
        let c = main(ds(), new);
        assert_eq!(
            c.changed.to_fields_v1(),
            json!({"f:spec": {"f:updateStrategy": {"f:type": {}}}})
        );
        assert_eq!(
            c.removed.to_fields_v1(),
            json!({"f:spec": {"f:updateStrategy": {"f:rollingUpdate": {".": {}, "f:maxUnavailable": {}}}}})
        );
        assert!(main(ds(), ds()).is_empty());
    }

    #[test]
    fn status_writes_see_only_status() {
        let mut new = ds();
        new["status"]["numberReady"] = json!(3);
        new["status"]["observedGeneration"] = json!(1);
        new["spec"]["updateStrategy"]["type"] = json!("OnDelete");
        let c = compare(&ds(), &new, Subresource::Status);
        assert_eq!(
            c.changed.to_fields_v1(),
            json!({"f:status": {"f:numberReady": {}, "f:observedGeneration": {}}})
        );
        assert!(c.removed.is_empty());
    }

    #[test]
    fn lists_by_kind_atomic_keyed_and_set() {
        let old = json!({"metadata": {"finalizers": ["a"]},
                         "spec": {"template": {"spec": {"containers": [
                             {"name": "one", "image": "x:1", "args": ["-v"]},
                             {"name": "two", "image": "y:1"}]}}}});
        let new = json!({"metadata": {"finalizers": ["a", "b"]},
                         "spec": {"template": {"spec": {"containers": [
                             {"name": "one", "image": "x:2", "args": ["-v", "-q"]}]}}}});
        let c = main(old, new);
        assert_eq!(
            c.changed.to_fields_v1(),
            json!({
                "f:metadata": {"f:finalizers": {"v:\"b\"": {}}},
                "f:spec": {"f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"one\"}": {"f:args": {}, "f:image": {}}}}}}
            })
        );
        assert_eq!(
            c.removed.to_fields_v1(),
            json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"two\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
        );
    }

    #[test]
    fn unnamed_items_make_the_list_atomic_and_keys_keep_their_dots() {
        let old = json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}});
        let new = json!({"spec": {"template": {"spec": {"containers": [{"image": "y"}]}}}});
        assert_eq!(
            main(old, new).changed.to_fields_v1(),
            json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}})
        );
        let c = main(
            json!({"metadata": {"annotations": {"a": "1"}}}),
            json!({"metadata": {"annotations": {"a": "1", "herd.dev/rollout": "{}"}}}),
        );
        assert_eq!(
            c.changed.to_fields_v1(),
            json!({"f:metadata": {"f:annotations": {"f:herd.dev/rollout": {}}}})
        );
    }

    #[test]
    fn the_template_generation_is_owned_from_its_create_only() {
        let annotated = |g: &str| json!({"metadata": {"annotations": {TEMPLATE_GENERATION: g}}});
        assert_eq!(
            main(json!({}), annotated("1")).changed.to_fields_v1(),
            json!({"f:metadata": {"f:annotations": {".": {}, "f:deprecated.daemonset.template.generation": {}}}})
        );
        assert!(main(annotated("1"), annotated("2")).is_empty());
    }

    #[test]
    fn metadata_that_names_the_object_is_nobodys() {
        let c = main(
            json!({}),
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": "x", "uid": "u", "creationTimestamp": "t", "managedFields": []}}),
        );
        assert!(c.is_empty(), "{c:?}");
    }
}
