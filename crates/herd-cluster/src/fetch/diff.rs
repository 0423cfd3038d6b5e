//! A line diff between two revisions' templates (similar's Myers diff), printed with `+ `/`- `
//! signs and a few lines of context around each change.

use similar::{Algorithm, DiffTag, capture_diff_slices};

const CONTEXT: usize = 2;

pub fn diff(old: &[String], new: &[String]) -> Vec<String> {
    let ops = ops(old, new);
    let changed: Vec<bool> = ops.iter().map(|op| !matches!(op, Op::Same(_))).collect();
    let near_change = |i: usize| {
        let from = i.saturating_sub(CONTEXT);
        let to = (i + CONTEXT + 1).min(changed.len());
        changed[from..to].iter().any(|c| *c)
    };
    let mut out = Vec::new();
    let mut skipped = false;
    for (i, op) in ops.iter().enumerate() {
        if !near_change(i) {
            skipped = true;
            continue;
        }
        if skipped && !out.is_empty() {
            out.push("  …".to_string());
        }
        skipped = false;
        out.push(match op {
            Op::Same(l) => format!("  {l}"),
            Op::Add(l) => format!("+ {l}"),
            Op::Del(l) => format!("- {l}"),
        });
    }
    out
}

enum Op<'a> {
    Same(&'a str),
    Add(&'a str),
    Del(&'a str),
}

/// The edit script, line by line. Between two unchanged lines every removal comes before
/// every addition, as `diff -u` prints a changed block, whichever order the diff's
/// operations arrive in.
fn ops<'a>(old: &'a [String], new: &'a [String]) -> Vec<Op<'a>> {
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let mut added: Vec<Op<'a>> = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let old_lines = old.get(old_range).unwrap_or_default();
        let new_lines = new.get(new_range).unwrap_or_default();
        match tag {
            DiffTag::Equal => {
                out.append(&mut added);
                out.extend(old_lines.iter().map(|l| Op::Same(l)));
            }
            DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                out.extend(old_lines.iter().map(|l| Op::Del(l)));
                added.extend(new_lines.iter().map(|l| Op::Add(l)));
            }
        }
    }
    out.append(&mut added);
    out
}

#[cfg(test)]
mod tests {
    use super::diff;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    #[test]
    fn a_changed_image_shows_as_one_removal_and_one_addition_with_context() {
        let old = lines("a\nb\nc\nimage: v1\nd\ne\nf\ng");
        let new = lines("a\nb\nc\nimage: v2\nd\ne\nf\ng");
        assert_eq!(
            diff(&old, &new),
            vec!["  b", "  c", "- image: v1", "+ image: v2", "  d", "  e"]
        );
    }

    #[test]
    fn a_replaced_block_prints_its_removals_before_its_additions() {
        let old = lines("a\nb\nx1\nx2\nc\nd");
        let new = lines("a\nb\ny1\ny2\ny3\nc\nd");
        assert_eq!(
            diff(&old, &new),
            vec![
                "  a", "  b", "- x1", "- x2", "+ y1", "+ y2", "+ y3", "  c", "  d"
            ]
        );
    }

    #[test]
    fn changes_far_apart_are_separated_by_an_ellipsis() {
        let old = lines("a\nb\nc\nd\ne\nf\ng\nh\ni");
        let new = lines("b\nc\nd\ne\nf\ng\nh\ni\nj");
        assert_eq!(
            diff(&old, &new),
            vec!["- a", "  b", "  c", "  …", "  h", "  i", "+ j"]
        );
    }

    #[test]
    fn identical_inputs_have_no_diff() {
        assert!(diff(&lines("a\nb"), &lines("a\nb")).is_empty());
    }
}
