//! A set of field paths in the shape `FieldsV1` nests them, and its JSON encoding: each key an
//! encoded path element (`f:spec`, `k:{"name":"c"}`, `v:"x"`), `.` marking a path that is
//! itself in the set while its children are too (upstream
//! sigs.k8s.io/structured-merge-diff/fieldpath/serialize.go).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The key under which a node that is itself a member lists its own presence.
const SELF: &str = ".";

/// A tree of path elements; `member` says the path ending here is in the set. Children that are
/// empty are never kept, so an empty set is one without members anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    member: bool,
    children: BTreeMap<String, FieldSet>,
}

impl FieldSet {
    /// A set holding only the path that ends here.
    pub fn leaf() -> Self {
        FieldSet {
            member: true,
            children: BTreeMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    pub(super) fn set_member(&mut self) {
        self.member = true;
    }

    /// Adds `child` under the encoded element `element`, merging with what is there.
    pub(super) fn insert_child(&mut self, element: String, child: FieldSet) {
        if child.is_empty() {
            return;
        }
        match self.children.get_mut(&element) {
            Some(existing) => existing.union_with(&child),
            None => {
                self.children.insert(element, child);
            }
        }
    }

    pub fn union_with(&mut self, other: &FieldSet) {
        self.member |= other.member;
        for (element, child) in &other.children {
            self.insert_child(element.clone(), child.clone());
        }
    }

    /// Removes exactly the paths `other` holds (a member's descendants stay unless listed too),
    /// as upstream's `Set.Difference`.
    pub fn subtract(&mut self, other: &FieldSet) {
        if other.member {
            self.member = false;
        }
        for (element, theirs) in &other.children {
            if let Some(mine) = self.children.get_mut(element) {
                mine.subtract(theirs);
                if mine.is_empty() {
                    self.children.remove(element);
                }
            }
        }
    }

    /// Whether the path of encoded elements is in the set.
    pub fn contains(&self, path: &[&str]) -> bool {
        self.node(path).is_some_and(|n| n.member)
    }

    /// Whether the set holds the path or anything below it.
    pub fn touches(&self, path: &[&str]) -> bool {
        self.node(path).is_some()
    }

    fn node(&self, path: &[&str]) -> Option<&FieldSet> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.children.get(*first)?.node(rest),
        }
    }

    /// The `fieldsV1` JSON: `{}` for a member without children, `.` beside children for a member
    /// with some. Keys go in sorted order whichever map serde_json is built with.
    pub fn to_fields_v1(&self) -> Value {
        let mut map = Map::new();
        if self.member && !self.children.is_empty() {
            map.insert(SELF.to_string(), Value::Object(Map::new()));
        }
        for (element, child) in &self.children {
            map.insert(element.clone(), child.to_fields_v1());
        }
        Value::Object(map)
    }

    /// Reads `fieldsV1` JSON back. The error says what is malformed (the caller then falls back
    /// to the live object's entries, as upstream does for undecodable managedFields).
    pub fn from_fields_v1(value: &Value) -> Result<Self, String> {
        let Some(map) = value.as_object() else {
            return Err(format!("fieldsV1 must be a JSON object, not {value}"));
        };
        let mut set = FieldSet::default();
        for (key, child) in map {
            if key == SELF {
                set.member = true;
                continue;
            }
            if !["f:", "k:", "v:", "i:"].iter().any(|p| key.starts_with(p)) {
                return Err(format!("unknown path element {key:?} in fieldsV1"));
            }
            let mut child = FieldSet::from_fields_v1(child)?;
            if child.children.is_empty() {
                // `{}`: the path itself, with nothing below it.
                child.member = true;
            }
            set.children.insert(key.clone(), child);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(v: Value) -> FieldSet {
        FieldSet::from_fields_v1(&v).expect("valid fieldsV1")
    }

    #[test]
    fn round_trips_upstream_encoding() {
        let v = json!({
            "f:metadata": {"f:annotations": {".": {}, "f:herd.dev/rollout": {}}},
            "f:spec": {
                "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"agent\"}": {".": {}, "f:args": {}, "f:image": {}, "f:name": {}}
                }}},
                "f:updateStrategy": {"f:type": {}}
            }
        });
        let set = decode(v.clone());
        assert_eq!(set.to_fields_v1(), v);
        assert!(set.contains(&["f:spec", "f:updateStrategy", "f:type"]));
        assert!(set.contains(&["f:metadata", "f:annotations"]));
        assert!(set.contains(&["f:metadata", "f:annotations", "f:herd.dev/rollout"]));
        assert!(!set.contains(&["f:spec", "f:updateStrategy"]));
        assert!(set.touches(&["f:spec", "f:updateStrategy"]));
        let item = ["f:spec", "f:template", "f:spec", "f:containers"];
        assert!(set.touches(&item));
        assert!(!set.contains(&item));
    }

    #[test]
    fn rejects_what_is_not_fields_v1() {
        assert!(FieldSet::from_fields_v1(&json!([])).is_err());
        assert!(FieldSet::from_fields_v1(&json!({"spec": {}})).is_err());
        assert!(FieldSet::from_fields_v1(&json!({"f:spec": 1})).is_err());
    }

    #[test]
    fn difference_is_exact_and_drops_what_empties() {
        let mut set = decode(json!({
            "f:spec": {"f:updateStrategy": {"f:type": {}, "f:rollingUpdate": {".": {}, "f:maxSurge": {}}},
                       "f:minReadySeconds": {}}
        }));
        set.subtract(&decode(
            json!({"f:spec": {"f:updateStrategy": {"f:type": {}}}}),
        ));
        assert!(!set.touches(&["f:spec", "f:updateStrategy", "f:type"]));
        assert!(set.contains(&["f:spec", "f:minReadySeconds"]));
        // Taking the member `rollingUpdate` leaves the field below it owned.
        set.subtract(&decode(
            json!({"f:spec": {"f:updateStrategy": {"f:rollingUpdate": {}}}}),
        ));
        let rolling = ["f:spec", "f:updateStrategy", "f:rollingUpdate"];
        assert!(!set.contains(&rolling));
        assert!(set.contains(&[
            "f:spec",
            "f:updateStrategy",
            "f:rollingUpdate",
            "f:maxSurge"
        ]));
        set.subtract(&decode(json!({
            "f:spec": {"f:updateStrategy": {"f:rollingUpdate": {"f:maxSurge": {}}}, "f:minReadySeconds": {}}
        })));
        assert!(set.is_empty());
        assert_eq!(set.to_fields_v1(), json!({}));
    }

    #[test]
    fn union_merges_members_and_children() {
        let mut set = decode(json!({"f:spec": {"f:minReadySeconds": {}}}));
        set.union_with(&decode(
            json!({"f:spec": {"f:updateStrategy": {"f:type": {}}}}),
        ));
        assert_eq!(
            set.to_fields_v1(),
            json!({"f:spec": {"f:minReadySeconds": {}, "f:updateStrategy": {"f:type": {}}}})
        );
    }
}
