//! JSON values printed as block YAML the way `kubectl get -o yaml` reads, by serde-saphyr.
//!
//! Keys come in the order the object has them, indented two spaces, list items level with
//! their key. Strings that a YAML 1.1 reader (kubectl's, through go-yaml) would take for
//! something else — `yes`, `on`, `~`, `0x1`, `012` — are quoted, so what herd shows can be
//! pasted back into `kubectl apply`.

use serde_json::Value;
use serde_saphyr::{SerializerOptions, ser_options};

pub fn to_yaml(value: &Value) -> Result<Vec<String>, String> {
    let text = serde_saphyr::to_string_with_options(value, options())
        .map_err(|e| format!("cannot print YAML: {e}"))?;
    Ok(text.lines().map(String::from).collect())
}

fn options() -> SerializerOptions {
    ser_options! {
        indent_step: 2,
        // `containers:` then `- image: …` at the same column, as kubectl prints lists.
        compact_list_indent: true,
        // Multi-line strings print as `|` blocks, as kubectl prints them...
        prefer_block_scalars: true,
        // ...but a long single-line string stays on one line (the screen scrolls sideways)
        // rather than being folded into a `>` block kubectl would not show.
        folded_wrap_chars: usize::MAX,
        // Quote YAML 1.1's extra booleans and numbers too: kubectl reads YAML 1.1.
        yaml_12: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_objects_and_lists_print_as_block_yaml() {
        let v = json!({"metadata": {"name": "falco", "labels": {"app": "falco"}},
                       "spec": {"tolerations": [{"key": "a", "operator": "Exists"}], "ports": [80, 443]},
                       "empty": {}, "none": [], "s": "true"});
        assert_eq!(
            to_yaml(&v).unwrap(),
            vec![
                "empty: {}",
                "metadata:",
                "  labels:",
                "    app: falco",
                "  name: falco",
                "none: []",
                "s: \"true\"",
                "spec:",
                "  ports:",
                "  - 80",
                "  - 443",
                "  tolerations:",
                "  - key: a",
                "    operator: Exists",
            ]
        );
    }

    /// Strings a YAML reader would take for booleans, nulls, numbers, dates, aliases,
    /// anchors, tags, comments or mappings, or would trim.
    #[rustfmt::skip]
    const TRICKY: &[&str] = &[
        "yes", "no", "on", "off", "y", "n", "Yes", "NO", "~", "null", "Null", "true",
        "false", "0x1", "0o17", "1e3", "012", "1_000", "3.", ".5", "-1", "+1", ".inf",
        "-.Inf", ".nan", "1:20", "2025-06-01", "*alias", "&anchor", "!tag", "%dir",
        "@at", "`tick", "key: value", "a #comment", "#comment", "- item", "? key",
        "[list]", "{map}", "'single'", "\"double\"", "|", ">", " leading", "trailing ",
        "  both  ", "", "two\nlines", "ends with newline\n", "\ttab", "ünïcödé",
    ];

    /// ...come back as the same strings, as values, as keys and as list items.
    #[test]
    fn strings_that_look_like_other_things_read_back_as_themselves() {
        let mut object = serde_json::Map::new();
        for (i, s) in TRICKY.iter().enumerate() {
            object.insert(format!("k{i:02}"), json!(s));
            object.insert((*s).to_string(), json!(i));
        }
        object.insert("list".into(), json!(TRICKY));
        let value = Value::Object(object);

        let printed = to_yaml(&value).unwrap().join("\n");
        let read: Value = serde_saphyr::from_str(&printed).unwrap();
        assert_eq!(read, value, "printed:\n{printed}");
    }

    #[test]
    fn a_multi_line_string_prints_as_a_literal_block() {
        let v = json!({"script": "set -e\necho hi\n"});
        assert_eq!(
            to_yaml(&v).unwrap(),
            vec!["script: |", "  set -e", "  echo hi"]
        );
    }

    #[test]
    fn a_long_line_stays_one_line() {
        let long = "x ".repeat(100);
        let v = json!({"args": long.trim_end()});
        assert_eq!(to_yaml(&v).unwrap().len(), 1);
    }
}
