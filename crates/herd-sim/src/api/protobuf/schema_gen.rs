//! Derives `generated.rs` from its two sources, so no field number is typed by hand: the
//! prost attributes of k8s-pb (tag, wire type, repeated, the message a field holds) and the
//! serde names of k8s-openapi (the JSON name of each Rust field). The test fails when the file
//! in the tree differs from what the sources give; `HERD_WRITE_PROTOBUF_SCHEMA=1` rewrites it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::schema::{ROOTS, special};

/// A field as k8s-pb declares it.
#[derive(Debug, Clone)]
struct RawField {
    tag: u32,
    rust: String,
    /// The first word of the attribute: `string`, `message`, `btree_map = "string, message"`…
    kind: String,
    repeated: bool,
    /// The full name of the message it holds (or a map's value), if any.
    message: Option<String>,
}

/// The source directory of a package the workspace depends on, from `cargo metadata`.
fn package_src(name: &str) -> PathBuf {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let manifest = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["manifest_path"].as_str())
        .unwrap_or_else(|| panic!("{name} is a dependency"));
    Path::new(manifest).with_file_name("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable source dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The dotted module of a file under `root`: `api/core/v1/mod.rs` → `api.core.v1`.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under root");
    let mut parts: Vec<String> = rel
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let stem = rel.file_stem().expect("stem").to_string_lossy();
    if stem != "mod" && stem != "lib" {
        parts.push(stem.into_owned());
    }
    parts.join(".")
}

/// `super::super::X::Y` seen from `module` → the dotted full name.
fn resolve(module: &str, path: &str) -> String {
    let mut base: Vec<&str> = module.split('.').filter(|s| !s.is_empty()).collect();
    let mut rest = path.trim_start_matches("::");
    while let Some(r) = rest.strip_prefix("super::") {
        base.pop();
        rest = r;
    }
    base.extend(rest.split("::"));
    base.join(".")
}

/// The message type named in a field's Rust type, if any.
fn held_message(module: &str, ty: &str) -> Option<String> {
    let inner = ty
        .trim_end_matches(',')
        .trim()
        .trim_start_matches("::core::option::Option<")
        .trim_start_matches("::prost::alloc::vec::Vec<")
        .trim_start_matches("::prost::alloc::boxed::Box<");
    let inner = if let Some(map) = inner.strip_prefix("::prost::alloc::collections::BTreeMap<") {
        map.split_once(',')?.1
    } else if let Some(map) = inner.strip_prefix("::std::collections::BTreeMap<") {
        map.split_once(',')?.1
    } else {
        inner
    };
    let name = inner
        .trim_end_matches(',')
        .trim_end_matches('>')
        .trim_end_matches(',');
    if name.starts_with("::prost::alloc::") || matches!(name, "bool" | "i32" | "i64" | "f64") {
        return None;
    }
    Some(resolve(module, name))
}

fn parse_k8s_pb(src: &Path) -> BTreeMap<String, Vec<RawField>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut messages = BTreeMap::new();
    for file in files {
        let module = module_of(src, &file);
        let text = std::fs::read_to_string(&file).expect("readable");
        let mut current: Option<(String, Vec<RawField>)> = None;
        let mut attr: Option<String> = None;
        // A declaration rustfmt spread over several lines, joined until its brackets close.
        let mut split: Option<String> = None;
        for line in text.lines() {
            let t = line.trim();
            let joined;
            let t = match split.take() {
                Some(head) => {
                    let all = format!("{head}{t}");
                    if all.matches('<').count() == all.matches('>').count() && all.ends_with(',') {
                        joined = all;
                        joined.as_str()
                    } else {
                        split = Some(all);
                        continue;
                    }
                }
                None => t,
            };
            if let Some(name) = line
                .strip_prefix("pub struct ")
                .and_then(|r| r.split_once(' '))
            {
                let full = format!("{module}.{}", name.0);
                if t.ends_with("{}") {
                    messages.insert(full, Vec::new());
                } else {
                    current = Some((full, Vec::new()));
                }
            } else if line == "}" {
                if let Some((name, fields)) = current.take() {
                    messages.insert(name, fields);
                }
            } else if let Some(a) = t.strip_prefix("#[prost(") {
                attr = Some(a.trim_end_matches(")]").to_string());
            } else if attr.is_some() && t.starts_with("pub ") && !t.ends_with(',') {
                split = Some(t.to_string());
            } else if let (Some(a), Some(decl)) = (attr.take(), t.strip_prefix("pub ")) {
                let (rust, ty) = decl.split_once(':').expect("a field declaration");
                let ty: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
                let tag = a
                    .split("tag = \"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .and_then(|n| n.parse().ok())
                    .expect("a tag");
                let kind = a.split(", ").next().unwrap_or_default().to_string();
                let kind = if kind.starts_with("btree_map") {
                    a.split(", tag").next().unwrap_or_default().to_string()
                } else {
                    kind
                };
                let field = RawField {
                    tag,
                    rust: rust.trim_start_matches("r#").to_string(),
                    repeated: a.contains("repeated"),
                    message: held_message(&module, &ty),
                    kind,
                };
                if let Some((_, fields)) = current.as_mut() {
                    fields.push(field);
                }
            }
        }
    }
    messages
}

/// k8s-openapi's serde names: full name → Rust field → JSON name.
fn parse_k8s_openapi(src: &Path) -> HashMap<String, HashMap<String, String>> {
    let version = src.join("v1_37");
    let mut files = Vec::new();
    rust_files(&version, &mut files);
    let mut out = HashMap::new();
    for file in files {
        let module = module_of(&version, &file);
        let module = module.rsplit_once('.').map_or("", |(m, _)| m).to_string();
        let text = std::fs::read_to_string(&file).expect("readable");
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("pub struct ") {
                let name = name
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or_default();
                // Keyed in lower case: k8s-pb writes `AwsElastic…` where k8s-openapi keeps
                // upstream's `AWSElastic…`.
                current = Some(format!("{module}.{name}").to_lowercase());
            }
            let t = line.trim();
            if let (Some(owner), Some((json, rust))) = (
                current.as_ref(),
                t.strip_suffix(',')
                    .and_then(|t| t.split_once(" => Field::Key_")),
            ) {
                let json = json.trim_matches('"');
                out.entry(owner.clone())
                    .or_insert_with(HashMap::new)
                    .insert(key(rust), json.to_string());
            }
        }
    }
    out
}

/// A Rust field name as both crates' spellings meet: k8s-openapi writes `type_` and
/// `target_wwns` where prost writes `r#type` and `target_ww_ns`.
fn key(rust: &str) -> String {
    rust.trim_start_matches("r#")
        .replace('_', "")
        .to_lowercase()
}

/// `snake_case` → `camelCase`, for the messages k8s-openapi has no struct for (lists and
/// metrics), whose fields are all plain words.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The generated file's text.
fn generate() -> String {
    let pb = parse_k8s_pb(&package_src("k8s-pb"));
    let openapi = parse_k8s_openapi(&package_src("k8s-openapi"));
    // Walk from the roots.
    let mut reached = BTreeSet::new();
    let mut stack: Vec<String> = ROOTS.iter().map(|r| r.to_string()).collect();
    while let Some(name) = stack.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        let fields = pb
            .get(&name)
            .unwrap_or_else(|| panic!("k8s-pb has no message {name}"));
        if special(&name) != super::schema::Special::None {
            continue;
        }
        stack.extend(fields.iter().filter_map(|f| f.message.clone()));
    }
    let embedded_names: HashMap<String, String> = reached
        .iter()
        .filter_map(|n| openapi.get(&n.to_lowercase()))
        .flat_map(|names| names.iter().map(|(r, j)| (r.clone(), j.clone())))
        .collect();
    let index: HashMap<&String, usize> = reached.iter().enumerate().map(|(i, n)| (n, i)).collect();
    let mut out = String::from(
        "//! Generated from k8s-pb's prost attributes and k8s-openapi's serde names by\n\
         //! `schema_gen`; do not edit. `HERD_WRITE_PROTOBUF_SCHEMA=1 cargo test -p herd-sim\n\
         //! protobuf_schema` rewrites it.\n\n\
         use super::schema::{Field, Message, Scalar, Special, Ty};\n\n\
         #[rustfmt::skip]\npub static MESSAGES: &[Message] = &[\n",
    );
    for name in &reached {
        let sp = special(name);
        out.push_str(&format!(
            "    Message {{ name: \"{name}\", special: Special::{sp:?}, fields: &[\n"
        ));
        let names = openapi.get(&name.to_lowercase());
        let plain = sp != super::schema::Special::None;
        for f in &pb[name] {
            let json = match names {
                _ if plain => f.rust.clone(),
                Some(names) => match names.get(&key(&f.rust)) {
                    Some(json) => json.clone(),
                    // A Go struct embedded `json:",inline"`: its fields sit in this object.
                    None if f.kind == "message"
                        && pb[f.message.as_ref().expect("held")]
                            .iter()
                            .all(|inner| names.contains_key(&key(&inner.rust))) =>
                    {
                        String::new()
                    }
                    None => panic!("k8s-openapi's {name} has no field {} (k8s-pb's)", f.rust),
                },
                None if name.ends_with("List") || name.starts_with("metrics.") => camel(&f.rust),
                None if name == "apimachinery.pkg.apis.meta.v1.WatchEvent" => camel(&f.rust),
                // A struct only ever embedded inline (EphemeralContainerCommon): its fields
                // are named as in the struct that embeds it.
                None => embedded_names
                    .get(&key(&f.rust))
                    .cloned()
                    .unwrap_or_else(|| panic!("no JSON name for {name}.{}", f.rust)),
            };
            let held = |f: &RawField| index[f.message.as_ref().expect("a message field")];
            let ty = match f.kind.as_str() {
                "string" => "Ty::Scalar(Scalar::String)".to_string(),
                "bytes = \"vec\"" => "Ty::Scalar(Scalar::Bytes)".to_string(),
                "bool" => "Ty::Scalar(Scalar::Bool)".to_string(),
                "int32" => "Ty::Scalar(Scalar::Int32)".to_string(),
                "int64" => "Ty::Scalar(Scalar::Int64)".to_string(),
                "double" => "Ty::Scalar(Scalar::Double)".to_string(),
                "message" => format!("Ty::Message({})", held(f)),
                "btree_map = \"string, string\"" => "Ty::StringMap".to_string(),
                "btree_map = \"string, bytes\"" => "Ty::BytesMap".to_string(),
                "btree_map = \"string, message\"" => format!("Ty::MessageMap({})", held(f)),
                other => panic!(
                    "{name}.{}: a field kind the transcoder lacks: {other}",
                    f.rust
                ),
            };
            out.push_str(&format!(
                "        Field {{ tag: {}, json: \"{json}\", ty: {ty}, repeated: {} }},\n",
                f.tag, f.repeated
            ));
        }
        out.push_str("    ]},\n");
    }
    out.push_str("];\n");
    out
}

#[test]
fn protobuf_schema_is_what_k8s_pb_and_k8s_openapi_give() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api/protobuf/generated.rs");
    let want = generate();
    if std::env::var_os("HERD_WRITE_PROTOBUF_SCHEMA").is_some() {
        std::fs::write(&path, &want).expect("writable");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "generated.rs differs from its sources; rerun with HERD_WRITE_PROTOBUF_SCHEMA=1"
    );
}
