//! The TUI's first screen on the demo cluster, through the real connection and feeds.

mod common;

use common::tui::{frame, frozen_demo, synced};

#[tokio::test]
async fn the_fleet_screen_lists_every_demo_daemon_set_with_its_gaps() {
    let sim = frozen_demo().await;
    let tui = synced(&sim, 160, 40).await;
    let screen = frame(&tui.state);
    for name in [
        "cilium",
        "falco",
        "fluent-bit",
        "node-exporter",
        "otel-agent",
    ] {
        assert!(screen.contains(name), "{name} missing from:\n{screen}");
    }
    let falco = screen
        .lines()
        .find(|l| l.contains("falco "))
        .expect("falco row");
    assert!(falco.contains("33/39") || falco.contains("/"), "{falco}");
    println!("{screen}");
}
