//! What the user asks for comes back even during a flood: effect results travel on their own
//! channel, so a feed channel filled by watch events the loop has not drained yet cannot
//! drop a theme switch or a fetched view.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use herd::runtime::Outcome;
use herd_app::action::Action;
use herd_app::view::{Fetched, View, YamlTarget};

use common::server::DEADLINE;
use common::tui::{frozen_demo, synced};

/// Types `line` at the `:` prompt and submits it, as the keys would.
fn command(tui: &mut herd::runtime::headless::Headless, line: &str) {
    tui.send(Action::StartCommand);
    for c in line.chars() {
        tui.send(Action::Input(c));
    }
    tui.send(Action::InputSubmit);
}

async fn next_outcome(tui: &mut herd::runtime::headless::Headless) -> Outcome {
    tokio::time::timeout(DEADLINE, tui.outcomes.recv())
        .await
        .expect("an outcome before the deadline")
        .expect("the outcome channel is open")
}

#[tokio::test]
async fn effect_results_arrive_while_the_feed_channel_is_full() {
    let sim = frozen_demo().await;
    let mut tui = synced(&sim, 120, 36).await;

    // A flood: the feed channel filled to capacity, nothing drained.
    let feeds = tui.feed_sender();
    let now = tui.state.now;
    while feeds.try_send(Action::Tick(now)).is_ok() {}
    assert_eq!(feeds.capacity(), 0, "the feed channel is full");

    // A theme switch: read off the loop, reported back with the theme.
    command(&mut tui, "theme light");
    let themed = next_outcome(&mut tui).await;
    match &themed {
        Outcome::Theme(Ok(theme)) => assert_eq!(theme.name(), "light"),
        other => panic!("expected the light theme, got {other:?}"),
    }

    // A fetch through the API server: a node's YAML.
    let node = tui.state.fleet.nodes().next().expect("a node").name.clone();
    let target = YamlTarget::Node {
        name: Arc::clone(&node),
    };
    tui.send(Action::Show(View::Yaml { target }));
    let loaded = next_outcome(&mut tui).await;
    let Outcome::Action(Action::Loaded { result, .. }) = &loaded else {
        panic!("expected the node's YAML, got {loaded:?}");
    };
    let lines = result.as_ref().expect("the YAML loads");
    assert!(
        lines.iter().any(|l| l.contains(&*node)),
        "the YAML names {node}: {lines:?}"
    );
    assert_eq!(
        feeds.capacity(),
        0,
        "the feed channel stayed full throughout"
    );

    // Applied, the user sees both.
    tui.apply(themed);
    assert_eq!(tui.state.theme.current, "light");
    assert_eq!(tui.theme.name(), "light");
    tui.apply(loaded);
    let page = tui.state.ui.page();
    assert!(matches!(page.view, View::Yaml { .. }), "{:?}", page.view);
    assert!(
        matches!(page.fetched, Fetched::Lines(_)),
        "the YAML is on screen: {:?}",
        page.fetched
    );
}
