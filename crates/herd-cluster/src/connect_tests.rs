//! Tests of finding the kubeconfig and the context, on temp files.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::*;

const SECRET: &str = "s3cr3t-token-value";

fn kubeconfig(current: &str, contexts: &[(&str, &str)]) -> String {
    let mut text = String::from("apiVersion: v1\nkind: Config\n");
    text.push_str(&format!("current-context: {current}\n"));
    text.push_str("clusters:\n");
    for (name, server) in contexts {
        text.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: {server}\n"
        ));
    }
    text.push_str("users:\n");
    for (name, _) in contexts {
        text.push_str(&format!("- name: {name}\n  user:\n    token: {SECRET}\n"));
    }
    text.push_str("contexts:\n");
    for (name, _) in contexts {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        ));
    }
    text
}

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

fn env_list(paths: &[&Path]) -> Option<OsString> {
    Some(std::env::join_paths(paths).expect("join paths"))
}

fn server_of(loaded: &Loaded, context: &str) -> Option<String> {
    loaded
        .kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone())
}

#[test]
fn flag_file_is_used_alone_even_when_kubeconfig_env_is_set() {
    let dir = tempfile::tempdir().expect("dir");
    let flag = write(dir.path(), "a", &kubeconfig("a", &[("a", "https://a:1")]));
    let env = write(dir.path(), "b", &kubeconfig("b", &[("b", "https://b:1")]));
    let loaded = load(Some(&flag), env_list(&[&env]), None).expect("loads");
    assert_eq!(select_context(&loaded, None).expect("context"), "a");
    assert!(select_context(&loaded, Some("b")).is_err());
}

#[test]
fn kubeconfig_env_merges_first_file_wins_and_skips_missing_files() {
    let dir = tempfile::tempdir().expect("dir");
    let first = write(
        dir.path(),
        "first",
        &kubeconfig(
            "one",
            &[("one", "https://first:1"), ("shared", "https://first:2")],
        ),
    );
    let second = write(
        dir.path(),
        "second",
        &kubeconfig(
            "two",
            &[("two", "https://second:1"), ("shared", "https://second:2")],
        ),
    );
    let missing = dir.path().join("missing");
    let loaded = load(None, env_list(&[&missing, &first, &second]), None).expect("loads");
    assert_eq!(select_context(&loaded, None).expect("context"), "one");
    assert_eq!(select_context(&loaded, Some("two")).expect("known"), "two");
    assert_eq!(
        server_of(&loaded, "shared").as_deref(),
        Some("https://first:2")
    );
}

#[test]
fn home_kube_config_is_the_fallback() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(dir.path().join(".kube")).expect("mkdir");
    write(
        &dir.path().join(".kube"),
        "config",
        &kubeconfig("home", &[("home", "https://home:1")]),
    );
    let loaded = load(None, None, Some(dir.path().to_path_buf())).expect("loads");
    assert_eq!(select_context(&loaded, None).expect("context"), "home");
}

#[test]
fn no_kubeconfig_anywhere_suggests_the_simulator() {
    let dir = tempfile::tempdir().expect("dir");
    let err = load(None, None, Some(dir.path().to_path_buf())).expect_err("nothing to load");
    let text = err.to_string();
    assert!(matches!(err, ConnectError::NoKubeconfig { .. }), "{text}");
    assert!(text.contains("herd sim"), "{text}");
    let missing = dir.path().join("nope");
    let err = load(None, env_list(&[&missing]), None).expect_err("only missing files");
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn unreadable_and_malformed_files_name_the_path() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("absent");
    let err = load(Some(&missing), None, None).expect_err("unreadable");
    assert!(matches!(err, ConnectError::Unreadable { .. }), "{err}");
    assert!(err.to_string().contains("absent"), "{err}");

    let bad = write(dir.path(), "bad", "clusters: [this is: not: valid\n");
    let err = load(Some(&bad), None, None).expect_err("malformed");
    assert!(matches!(err, ConnectError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("bad"), "{err}");
}

#[test]
fn unknown_context_lists_the_known_ones_and_no_token() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(
        dir.path(),
        "cfg",
        &kubeconfig("a", &[("a", "https://a:1"), ("b", "https://b:1")]),
    );
    let loaded = load(Some(&path), None, None).expect("loads");
    let err = select_context(&loaded, Some("prod")).expect_err("unknown");
    let text = err.to_string();
    assert!(text.contains("\"prod\""), "{text}");
    assert!(text.contains("a, b"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
}

#[test]
fn missing_current_context_asks_for_context() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(
        dir.path(),
        "cfg",
        &kubeconfig("\"\"", &[("a", "https://a:1")]),
    );
    let loaded = load(Some(&path), None, None).expect("loads");
    let err = select_context(&loaded, None).expect_err("no current context");
    assert!(err.to_string().contains("--context"), "{err}");
}

#[tokio::test]
async fn client_is_built_for_the_chosen_context() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(
        dir.path(),
        "cfg",
        &kubeconfig(
            "a",
            &[("a", "https://127.0.0.1:1"), ("b", "https://127.0.0.1:2")],
        ),
    );
    let loaded = load(Some(&path), None, None).expect("loads");
    let client = client_for(loaded, Some("b"), Compression::Auto)
        .await
        .expect("client");
    assert_eq!(client.default_namespace(), "default");
}
