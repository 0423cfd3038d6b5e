//! PATCH bodies: the content type picks JSON merge (RFC 7386), JSON patch (RFC 6902) or
//! strategic merge; server-side apply is refused with 415.

use serde_json::Value;

use super::status::ApiError;
use super::strategic;

/// A patch body, parsed and ready to apply.
#[derive(Debug, Clone)]
pub enum Patch {
    Merge(Value),
    Json(json_patch::Patch),
    Strategic(Value),
}

/// Parses the body according to its `Content-Type` (parameters such as charset ignored).
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Patch, ApiError> {
    let media = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = || {
        serde_json::from_slice::<Value>(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch body: {e}")))
    };
    match media.as_str() {
        "application/merge-patch+json" => Ok(Patch::Merge(json()?)),
        "application/strategic-merge-patch+json" => {
            let v = json()?;
            if !v.is_object() {
                return Err(ApiError::bad_request(
                    "a strategic merge patch must be a JSON object",
                ));
            }
            Ok(Patch::Strategic(v))
        }
        "application/json-patch+json" => serde_json::from_value(json()?)
            .map(Patch::Json)
            .map_err(|e| ApiError::bad_request(format!("error decoding JSON patch: {e}"))),
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            "server-side apply (application/apply-patch+yaml) is not supported by the herd simulator: use client-side `kubectl apply`, or `kubectl patch` with a merge, JSON or strategic patch",
        )),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// Applies the patch to the stored object's JSON. A patch that cannot apply is a 422.
pub fn apply(target: &mut Value, patch: &Patch) -> Result<(), ApiError> {
    let unprocessable = |e: String| {
        ApiError::new(
            422,
            "Invalid",
            format!("the patch could not be applied: {e}"),
        )
    };
    match patch {
        Patch::Merge(p) => {
            json_patch::merge(target, p);
            Ok(())
        }
        Patch::Json(p) => json_patch::patch(target, &p.0).map_err(|e| unprocessable(e.to_string())),
        Patch::Strategic(p) => strategic::apply(target, p).map_err(unprocessable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_types_choose_the_patch_kind() {
        let mut doc = json!({"metadata": {"labels": {"a": "1"}}});
        let merge = parse(
            Some("application/merge-patch+json"),
            br#"{"metadata":{"labels":{"b":"2"}}}"#,
        )
        .expect("merge");
        apply(&mut doc, &merge).expect("applies");
        assert_eq!(doc["metadata"]["labels"], json!({"a": "1", "b": "2"}));
        let jp = parse(
            Some("application/json-patch+json; charset=utf-8"),
            br#"[{"op":"remove","path":"/metadata/labels/a"}]"#,
        )
        .expect("json patch");
        apply(&mut doc, &jp).expect("applies");
        assert_eq!(doc["metadata"]["labels"], json!({"b": "2"}));
        let failing = parse(
            Some("application/json-patch+json"),
            br#"[{"op":"test","path":"/x","value":1}]"#,
        )
        .expect("parses");
        assert_eq!(apply(&mut doc, &failing).map_err(|e| e.code), Err(422));
        assert_eq!(
            parse(Some("text/plain"), b"{}").map_err(|e| e.code).err(),
            Some(415)
        );
        assert_eq!(
            parse(Some("application/apply-patch+yaml"), b"{}")
                .map_err(|e| e.code)
                .err(),
            Some(415)
        );
        assert_eq!(
            parse(Some("application/merge-patch+json"), b"{oops")
                .map_err(|e| e.code)
                .err(),
            Some(400)
        );
    }
}
