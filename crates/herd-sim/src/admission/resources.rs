//! Container resource quantities as the API server takes them: a request body whose quantity
//! does not have a quantity's shape cannot be decoded at all (upstream `ParseQuantity` in
//! k8s.io/apimachinery/pkg/api/resource/quantity.go, a 400), and a negative one is invalid
//! (`ValidateNonnegativeQuantity` in kubernetes/pkg/apis/core/validation/validation.go, a 422).

use k8s_openapi::api::core::v1::Container;
use serde_json::Value;

use super::Cause;
use herd_core::model::quantity::Quantity;

/// Upstream's `ErrFormatWrong`.
pub const FORMAT_WRONG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Whether `text` matches `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`.
pub fn has_quantity_shape(text: &str) -> bool {
    let rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    if number_len == 0 {
        return false;
    }
    let suffix = &rest[number_len..];
    let letters = suffix
        .bytes()
        .take_while(|b| b"eEinumkKMGTP".contains(b))
        .count();
    let tail = &suffix[letters..];
    let tail = tail.strip_prefix(['+', '-']).unwrap_or(tail);
    tail.bytes().all(|b| b.is_ascii_digit())
}

/// The containers lists a body of a Pod or a DaemonSet carries.
const CONTAINER_LISTS: [&str; 4] = [
    "/spec/containers",
    "/spec/initContainers",
    "/spec/template/spec/containers",
    "/spec/template/spec/initContainers",
];

/// The first quantity in a request body's containers that is not shaped like one, as the
/// decoder refuses it.
pub fn check_body(body: &Value) -> Result<(), String> {
    for list in CONTAINER_LISTS {
        for container in body
            .pointer(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for part in ["requests", "limits"] {
                let Some(map) = container
                    .pointer(&format!("/resources/{part}"))
                    .and_then(Value::as_object)
                else {
                    continue;
                };
                if map
                    .values()
                    .filter_map(Value::as_str)
                    .any(|q| !has_quantity_shape(q))
                {
                    return Err(FORMAT_WRONG.to_string());
                }
            }
        }
    }
    Ok(())
}

/// Negative requests and limits of `containers`, at `path` (`spec.containers`).
pub fn negative(containers: &[Container], path: &str) -> Vec<Cause> {
    let mut out = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let Some(resources) = &c.resources else {
            continue;
        };
        for (part, map) in [
            ("requests", &resources.requests),
            ("limits", &resources.limits),
        ] {
            for (name, q) in map.iter().flatten() {
                if Quantity::parse(&q.0).is_ok_and(|v| v.nanos() < 0) {
                    out.push(Cause {
                        kind: "FieldValueInvalid",
                        field: format!("{path}[{i}].resources.{part}[{name}]"),
                        body: format!(
                            "Invalid value: {:?}: must be greater than or equal to 0",
                            q.0
                        ),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_upstreams_regular_expression() {
        for good in [
            "1", "100m", "1.5Gi", "-5Gi", "+2", "1e3", "1E-3", "1e400", "5Ki", ".5",
        ] {
            assert!(has_quantity_shape(good), "{good}");
        }
        for bad in ["abc", "NaN", "", "Gi", "1 Gi", "1GiB", "5x", "--1"] {
            assert!(!has_quantity_shape(bad), "{bad}");
        }
    }
}
