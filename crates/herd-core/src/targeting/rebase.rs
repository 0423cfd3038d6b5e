//! A targeting edit made over a DaemonSet that changed meanwhile, carried over onto what it is
//! now: a three-way merge per field, so their change and the person's both survive, and the
//! fields both touched are named rather than settled silently.

use crate::model::placement::PlacementSpec;

/// `wanted` (the person's edit of `base`) applied to `current` (what the DaemonSet has now).
/// `Err` names the fields both changed differently; the caller shows both and lets the
/// person decide.
pub fn rebase(
    base: &PlacementSpec,
    wanted: &PlacementSpec,
    current: &PlacementSpec,
) -> Result<PlacementSpec, Vec<&'static str>> {
    let mut out = current.clone();
    let mut clashes = Vec::new();
    // nodeSelector, key by key.
    let keys: std::collections::BTreeSet<&String> = base
        .node_selector
        .keys()
        .chain(wanted.node_selector.keys())
        .collect();
    for key in keys {
        let (b, w, c) = (
            base.node_selector.get(key),
            wanted.node_selector.get(key),
            current.node_selector.get(key),
        );
        if w == b {
            continue;
        }
        if c != b && c != w {
            clashes.push("nodeSelector");
            continue;
        }
        match w {
            Some(v) => out.node_selector.insert(key.clone(), v.clone()),
            None => out.node_selector.remove(key),
        };
    }
    // Required affinity: one value.
    if wanted.required_terms != base.required_terms {
        if current.required_terms != base.required_terms
            && current.required_terms != wanted.required_terms
        {
            clashes.push("node affinity");
        } else {
            out.required_terms = wanted.required_terms.clone();
        }
    }
    // Tolerations, as a set: the person's removals and additions over theirs.
    // A toleration stays unless the person removed it (it was in the base, not in theirs).
    out.tolerations
        .retain(|t| !base.tolerations.contains(t) || wanted.tolerations.contains(t));
    for t in &wanted.tolerations {
        if !base.tolerations.contains(t) && !out.tolerations.contains(t) {
            out.tolerations.push(t.clone());
        }
    }
    clashes.dedup();
    if clashes.is_empty() {
        Ok(out)
    } else {
        Err(clashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::placement::Toleration;
    use crate::targeting::spelling::parse_affinity;

    fn spec(selector: &[(&str, &str)], tolerations: &[&str]) -> PlacementSpec {
        PlacementSpec {
            node_selector: selector
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            tolerations: tolerations
                .iter()
                .map(|k| Toleration::exists(*k, None))
                .collect(),
            ..PlacementSpec::default()
        }
    }

    #[test]
    fn both_changes_survive_when_they_touch_different_things() {
        let base = spec(&[("pool", "gpu")], &["a"]);
        let wanted = spec(&[("pool", "gpu")], &["a", "gpu"]);
        let current = spec(&[("pool", "gpu"), ("zone", "1")], &["a", "b"]);
        let rebased = rebase(&base, &wanted, &current).unwrap();
        assert_eq!(
            rebased,
            spec(&[("pool", "gpu"), ("zone", "1")], &["a", "b", "gpu"])
        );
        // A removal carries over too.
        let wanted = spec(&[("pool", "gpu")], &[]);
        let rebased = rebase(&base, &wanted, &current).unwrap();
        assert_eq!(rebased.tolerations, spec(&[], &["b"]).tolerations);
    }

    #[test]
    fn the_same_field_changed_two_ways_is_named() {
        let base = spec(&[("pool", "gpu")], &[]);
        let wanted = spec(&[("pool", "cpu")], &[]);
        let current = spec(&[("pool", "storage")], &[]);
        assert_eq!(rebase(&base, &wanted, &current), Err(vec!["nodeSelector"]));
        let mut wanted = base.clone();
        wanted.required_terms = parse_affinity("a", "zone Exists").unwrap();
        let mut current = base.clone();
        current.required_terms = parse_affinity("a", "zone DoesNotExist").unwrap();
        assert_eq!(rebase(&base, &wanted, &current), Err(vec!["node affinity"]));
        // The same change made by both is no clash.
        assert_eq!(rebase(&base, &wanted, &wanted), Ok(wanted.clone()));
    }
}
