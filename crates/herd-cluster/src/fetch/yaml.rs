//! JSON values printed as block YAML, the way `kubectl get -o yaml` reads (keys sorted, as
//! kubectl sorts them; strings quoted only when YAML would misread them).

use serde_json::Value;

pub fn to_yaml(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    emit(value, 0, &mut out);
    out
}

fn emit(value: &Value, indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push(format!("{pad}{}:", key(k)));
                        emit(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push(format!("{pad}{}:", key(k)));
                        emit(v, indent, out);
                    }
                    _ => out.push(format!("{pad}{}: {}", key(k), scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let mut sub = Vec::new();
                emit(item, indent + 2, &mut sub);
                match (item, sub.first_mut()) {
                    (Value::Object(_) | Value::Array(_), Some(first)) => {
                        first.replace_range(indent..indent + 2, "- ");
                        out.extend(sub);
                    }
                    _ => out.push(format!("{pad}- {}", scalar(item))),
                }
            }
        }
        other => out.push(format!("{pad}{}", scalar(other))),
    }
}

fn key(k: &str) -> String {
    if needs_quotes(k) {
        format!("{k:?}")
    } else {
        k.to_string()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if needs_quotes(s) => format!("{s:?}"),
        Value::String(s) => s.clone(),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// Strings YAML would read as something else, or that contain syntax.
fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || matches!(
            s,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        )
        || s.parse::<f64>().is_ok()
        || s.starts_with(|c: char| " -?:,[]{}#&*!|>'\"%@`".contains(c))
        || s.ends_with(' ')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains('\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_objects_and_lists_print_as_block_yaml() {
        let v = json!({"metadata": {"name": "falco", "labels": {"app": "falco"}},
                       "spec": {"tolerations": [{"key": "a", "operator": "Exists"}], "ports": [80, 443]},
                       "empty": {}, "s": "true"});
        assert_eq!(
            to_yaml(&v),
            vec![
                "empty: {}",
                "metadata:",
                "  labels:",
                "    app: falco",
                "  name: falco",
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
}
