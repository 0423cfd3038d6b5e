//! The crate graph is the architecture (docs/ARCHITECTURE.md): each crate's manifest may name
//! only the dependencies its layer allows. The compiler enforces what a manifest allows; this
//! test keeps a manifest from quietly allowing more.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

/// The dependencies (not dev-dependencies) a crate's manifest declares.
fn dependencies(krate: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates")
        .join(krate)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("the crate's manifest");
    let manifest: toml::Table = text.parse().expect("a TOML manifest");
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

fn assert_free_of(krate: &str, forbidden: &[&str]) {
    let deps = dependencies(krate);
    let wrong: Vec<_> = deps
        .iter()
        .filter(|d| forbidden.contains(&d.as_str()))
        .collect();
    assert!(wrong.is_empty(), "{krate} must not depend on {wrong:?}");
}

/// Whatever touches a terminal, a network, an async runtime or the Kubernetes client.
const IO: &[&str] = &[
    "tokio",
    "kube",
    "axum",
    "hyper",
    "ratatui",
    "crossterm",
    "rustls",
    "tokio-rustls",
    "mimalloc",
];

#[test]
fn the_core_is_pure_and_knows_no_api_types() {
    assert_free_of("herd-core", IO);
    assert_free_of(
        "herd-core",
        &["k8s-openapi", "herd-convert", "herd-cluster"],
    );
}

#[test]
fn conversion_is_pure() {
    assert_free_of("herd-convert", IO);
}

#[test]
fn the_tui_core_knows_neither_the_screen_nor_the_cluster() {
    assert_free_of("herd-app", IO);
    assert_free_of("herd-app", &["k8s-openapi", "herd-cluster", "herd-sim"]);
}

#[test]
fn the_simulator_never_shares_the_clients_code() {
    assert_free_of(
        "herd-sim",
        &["herd-cluster", "kube", "herd-app", "ratatui", "crossterm"],
    );
}

#[test]
fn the_client_knows_neither_the_simulator_nor_the_screen() {
    assert_free_of(
        "herd-cluster",
        &["herd-sim", "herd-app", "ratatui", "crossterm"],
    );
}
