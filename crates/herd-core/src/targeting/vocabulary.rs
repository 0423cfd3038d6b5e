//! The labels and taints the fleet's nodes carry, with how many nodes carry each: what the
//! targeting editor completes from.

use std::collections::BTreeMap;

use crate::model::fleet::Fleet;
use crate::model::placement::Taint;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// key → value → nodes.
    pub labels: BTreeMap<String, BTreeMap<String, usize>>,
    /// taint → nodes.
    pub taints: BTreeMap<String, (Taint, usize)>,
}

impl Vocabulary {
    pub fn of(fleet: &Fleet) -> Self {
        let mut v = Vocabulary::default();
        for node in fleet.nodes() {
            for (key, value) in &node.labels {
                *v.labels
                    .entry(key.clone())
                    .or_default()
                    .entry(value.clone())
                    .or_default() += 1;
            }
            for taint in &node.taints {
                v.taints
                    .entry(taint.to_string())
                    .or_insert_with(|| (taint.clone(), 0))
                    .1 += 1;
            }
        }
        v
    }

    /// Completions for the word being typed: label keys (or, after `key=`, its values), with
    /// node counts, most nodes first, at most `limit`.
    pub fn complete_label(&self, word: &str, limit: usize) -> Vec<(String, usize)> {
        let mut found: Vec<(String, usize)> = match word.split_once('=') {
            Some((key, prefix)) => self
                .labels
                .get(key)
                .into_iter()
                .flatten()
                .filter(|(v, _)| v.starts_with(prefix))
                .map(|(v, n)| (format!("{key}={v}"), *n))
                .collect(),
            None => self
                .labels
                .iter()
                .filter(|(k, _)| k.starts_with(word))
                .map(|(k, values)| (k.clone(), values.values().sum()))
                .collect(),
        };
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(limit);
        found
    }

    /// The taints whose spelling starts with `word`, most nodes first, at most `limit`.
    pub fn complete_taint(&self, word: &str, limit: usize) -> Vec<(String, usize)> {
        let mut found: Vec<(String, usize)> = self
            .taints
            .iter()
            .filter(|(text, _)| text.starts_with(word))
            .map(|(text, (_, n))| (text.clone(), *n))
            .collect();
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(limit);
        found
    }
}
