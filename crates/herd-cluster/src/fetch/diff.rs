//! A line diff (longest common subsequence) between two revisions' templates, printed with
//! `+ `/`- ` signs and a few lines of context around each change.

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

fn ops<'a>(old: &'a [String], new: &'a [String]) -> Vec<Op<'a>> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: common length of old[i..] and new[j..]; templates are small.
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push(Op::Same(&old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removals before additions, as `diff -u` prints a changed line.
            out.push(Op::Del(&old[i]));
            i += 1;
        } else {
            out.push(Op::Add(&new[j]));
            j += 1;
        }
    }
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
    fn identical_inputs_have_no_diff() {
        assert!(diff(&lines("a\nb"), &lines("a\nb")).is_empty());
    }
}
