//! Completion of the word being typed in the targeting editor and the node edit, from the labels
//! and taints the fleet's nodes carry: the overlays list the candidates under the field, and
//! `→` takes the first one.

use crate::state::{NodeEditForm, TargetForm};
use herd_core::targeting::vocabulary::Vocabulary;

/// Candidates listed at most.
const LIMIT: usize = 5;

const VERBS: [&str; 6] = ["label", "unlabel", "taint", "untaint", "cordon", "uncordon"];

/// The candidates for the word that starts at byte `start` of the text, each with the number
/// of nodes that carry it, most first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completions {
    pub start: usize,
    pub found: Vec<(String, usize)>,
    /// What follows a taken candidate when it is a label key alone (`=` or a space), so the
    /// next key press types its value or operator.
    after_key: Option<char>,
}

impl Completions {
    /// `pool=gpu (6)  pool=general (28)` (a verb has no count), or `None` when there is
    /// nothing to offer.
    pub fn hint(&self) -> Option<String> {
        if self.found.is_empty() {
            return None;
        }
        let shown: Vec<String> = self
            .found
            .iter()
            .map(|(text, nodes)| {
                if *nodes > 0 {
                    format!("{text} ({nodes})")
                } else {
                    text.trim_end().to_string()
                }
            })
            .collect();
        Some(shown.join("  "))
    }

    /// Replaces the word being typed in `text` with the first candidate; false when there is
    /// none, or the word is that candidate already.
    pub fn accept(&self, text: &mut String) -> bool {
        let Some((first, _)) = self.found.first() else {
            return false;
        };
        let mut taken = first.clone();
        if let Some(c) = self.after_key
            && !taken.contains('=')
        {
            taken.push(c);
        }
        if text.get(self.start..) == Some(taken.as_str()) || self.start > text.len() {
            return false;
        }
        text.truncate(self.start);
        text.push_str(&taken);
        true
    }
}

/// Where the last word starts: after the last of `separators`, and any spaces after it.
fn last_word_start(text: &str, separators: &[char]) -> usize {
    let after = text.rfind(separators).map_or(0, |i| i + 1);
    after + (text.len() - after - text[after..].trim_start().len())
}

fn labels(v: &Vocabulary, text: &str, start: usize, after_key: Option<char>) -> Completions {
    Completions {
        start,
        found: v.complete_label(&text[start..], LIMIT),
        after_key,
    }
}

fn taints(v: &Vocabulary, text: &str, start: usize) -> Completions {
    Completions {
        start,
        found: v.complete_taint(&text[start..], LIMIT),
        after_key: None,
    }
}

/// `KEY:Effect` of the fleet's taints (what `untaint` and `taint …-` take), most nodes first.
fn taint_keys(v: &Vocabulary, text: &str, start: usize) -> Completions {
    let word = &text[start..];
    let mut found: Vec<(String, usize)> = Vec::new();
    for (taint, nodes) in v.taints.values() {
        let spelled = format!("{}:{}", taint.key, taint.effect);
        if !spelled.starts_with(word) {
            continue;
        }
        match found.iter_mut().find(|(s, _)| *s == spelled) {
            Some((_, n)) => *n += nodes,
            None => found.push((spelled, *nodes)),
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    found.truncate(LIMIT);
    Completions {
        start,
        found,
        after_key: None,
    }
}

/// The focused field of the targeting editor.
pub fn target_field(form: &TargetForm) -> Completions {
    let text = form.values()[form.focus];
    let v = &form.vocabulary;
    match form.focus {
        0 => labels(v, text, last_word_start(text, &[',']), Some('=')),
        2 => taints(v, text, last_word_start(text, &[','])),
        _ => {
            // In affinity, a key is the first word of a requirement.
            let start = last_word_start(text, &[',', '|', '[', ']']);
            if text[start..].contains(' ') {
                return Completions::default();
            }
            labels(v, text, start, Some(' '))
        }
    }
}

/// The node edit: the verb, then its argument.
pub fn node_edit(form: &NodeEditForm) -> Completions {
    let text = form.input.as_str();
    let start = text.len() - text.trim_start().len();
    let Some(space) = text[start..].find(' ').map(|i| start + i) else {
        let word = &text[start..];
        return Completions {
            start,
            found: VERBS
                .iter()
                .filter(|verb| verb.starts_with(word))
                .map(|verb| (format!("{verb} "), 0))
                .collect(),
            after_key: None,
        };
    };
    let verb = &text[start..space];
    let arg = last_word_start(text, &[' ']);
    let v = &form.vocabulary;
    match verb {
        "label" => labels(v, text, arg, Some('=')),
        "unlabel" => labels(v, text, arg, None),
        "taint" => taints(v, text, arg),
        "untaint" => taint_keys(v, text, arg),
        _ => Completions::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use herd_core::model::fleet::Record;
    use herd_core::model::placement::{PlacementSpec, Taint, TaintEffect};
    use herd_core::model::testkit::{fleet_of, node};

    fn vocabulary() -> Arc<Vocabulary> {
        let nodes = [("g1", "gpu"), ("g2", "gpu"), ("n1", "general")].map(|(name, pool)| {
            let mut n = node(name);
            n.labels.clear();
            n.labels.insert("pool".into(), pool.into());
            if pool == "gpu" {
                n.taints.push(Taint::new(
                    "nvidia.com/gpu",
                    "present",
                    TaintEffect::NoSchedule,
                ));
            }
            Record::Node(n)
        });
        Arc::new(Vocabulary::of(&fleet_of(nodes)))
    }

    fn form(focus: usize, text: &str) -> TargetForm {
        let mut form = TargetForm::new(
            Arc::from("uid"),
            PlacementSpec::default(),
            &PlacementSpec::default(),
            vocabulary(),
        );
        form.focus = focus;
        *form.field_mut() = text.to_string();
        form
    }

    #[test]
    fn arrow_takes_the_first_candidate_of_the_word_being_typed() {
        let mut f = form(0, "zone=a, po");
        let c = target_field(&f);
        assert_eq!(c.hint().as_deref(), Some("pool (3)"));
        assert!(c.accept(f.field_mut()));
        assert_eq!(f.node_selector, "zone=a, pool=");
        let c = target_field(&f);
        assert_eq!(c.hint().as_deref(), Some("pool=gpu (2)  pool=general (1)"));
        assert!(c.accept(f.field_mut()));
        assert_eq!(f.node_selector, "zone=a, pool=gpu");
        // Complete already: nothing more to take.
        assert!(!target_field(&f).accept(f.field_mut()));

        let mut f = form(2, "nv");
        assert!(target_field(&f).accept(f.field_mut()));
        assert_eq!(f.tolerations, "nvidia.com/gpu=present:NoSchedule");

        let mut f = form(1, "zone In [a], p");
        assert!(target_field(&f).accept(f.field_mut()));
        assert_eq!(f.affinity, "zone In [a], pool ");
        // An operator is not a key.
        assert_eq!(target_field(&form(1, "pool I")).hint(), None);
    }

    #[test]
    fn the_node_edit_completes_its_verb_then_its_argument() {
        let mut f = NodeEditForm {
            nodes: vec![Arc::from("g1")],
            input: "unt".into(),
            preview: Err(Vec::new()),
            vocabulary: vocabulary(),
        };
        assert!(node_edit(&f).accept(&mut f.input));
        assert_eq!(f.input, "untaint ");
        assert!(node_edit(&f).accept(&mut f.input));
        assert_eq!(f.input, "untaint nvidia.com/gpu:NoSchedule");
        f.input = "label po".into();
        assert!(node_edit(&f).accept(&mut f.input));
        assert_eq!(f.input, "label pool=");
    }
}
