//! The frame around every view: the header (cluster, scope, read-only badge, feed health), the
//! footer (prompt, flash or key hints, and the breadcrumbs), and the confirmation dialog.

use herd_core::model::others::PodScope;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::ui::Scene;
use crate::ui::keymap;
use crate::ui::layout;
use crate::ui::safe;
use crate::ui::table;
use crate::ui::theme::Slot;
use herd_app::action::Write;
use herd_app::state::{FeedHealth, FeedState, Flash, Level, Mode};
use herd_core::analysis::units;
use herd_core::model::feed::FeedKind;
use herd_core::model::usage::MetricsState;
use jiff::SignedDuration;
use std::time::Duration;

pub fn header(state: &Scene, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let info = &state.session.info;
    let key = |k: &str| Span::styled(format!("{k} "), theme.style(Slot::HeaderKey));
    let val = |v: String| Span::styled(format!("{v}  "), theme.style(Slot::Header));
    let mut first = vec![
        Span::styled(" herd ", theme.style(Slot::Badge)),
        Span::raw(" "),
    ];
    // Most important first: a narrow terminal cuts the line from the right, and the read-only
    // badge, the context and the namespace scope must survive 80 columns.
    if state.session.readonly {
        first.push(Span::styled(" READ-ONLY ", theme.style(Slot::Badge)));
        first.push(Span::raw(" "));
    }
    first.extend([
        key("ctx"),
        val(or_dash(&info.context)),
        key("ns"),
        val(state.ui.namespace.as_deref().unwrap_or("all").to_string()),
        key("cluster"),
        val(or_dash(&info.cluster)),
        key("user"),
        val(or_dash(&info.user)),
        key("k8s"),
        val(info.server_version.clone().unwrap_or_else(|| "-".into())),
    ]);
    let lines = vec![Line::from(first), health_line(state)];
    // Context, cluster and user names and feed errors are text from outside too. Escaped
    // before the cut measures them; a line too wide ends in `…` as a cut table cell does, so
    // a clipped name or age never passes for a whole one.
    frame.render_widget(Paragraph::new(cut_lines(lines, area.width)), area);
}

/// `lines` escaped, each cut to `width` columns with a trailing `…` when it is wider.
fn cut_lines(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    safe::lines(lines)
        .into_iter()
        .map(|line| table::cut(line, width))
        .collect()
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

/// Fleet totals with the nodes in trouble, and the health of every feed:
/// `nodes 40 · 1 NotReady · 2 cordoned  daemonsets 9  pods 285  ● live (last event 2s ago)  metrics: ok`.
/// While a feed is stale or the connection failed, the health leads instead: a narrow screen
/// cuts the line from the right, and the totals are then the last good list's, worth less than
/// knowing which feeds failed, since when and why.
fn health_line(state: &Scene) -> Line<'static> {
    let theme = &state.theme;
    let mut health = match &state.session.connected {
        Some(Err(e)) => vec![Span::styled(
            format!("✗ not connected: {e}"),
            theme.style(Slot::Critical),
        )],
        None => vec![Span::styled("◌ connecting…", theme.style(Slot::Pending))],
        Some(Ok(())) => watch_health(state),
    };
    health.extend(metrics_health(state));
    let trouble = matches!(state.session.connected, Some(Err(_)))
        || stale_watches(state).next().is_some()
        || failed_polls(state).next().is_some();
    let (first, second) = if trouble {
        (health, totals(state))
    } else {
        (totals(state), health)
    };
    let mut spans = vec![Span::raw(" ")];
    spans.extend(first);
    spans.push(Span::raw("  "));
    spans.extend(second);
    Line::from(spans)
}

/// `nodes 40 · 1 NotReady · 2 cordoned  daemonsets 9  pods 285`, or `daemon pods 285` when
/// only the DaemonSets' pods are watched: the header says what herd reads.
fn totals(state: &Scene) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let fleet = &state.fleet;
    let mut spans = vec![Span::styled(
        format!("nodes {}", fleet.nodes().len()),
        theme.style(Slot::Header),
    )];
    spans.extend(node_trouble(state));
    let pods = match fleet.pod_scope() {
        PodScope::Daemon => "daemon pods",
        PodScope::All => "pods",
    };
    spans.push(Span::styled(
        format!(
            "  daemonsets {}  {pods} {}",
            fleet.daemon_set_count(),
            fleet.pod_count()
        ),
        theme.style(Slot::Header),
    ));
    spans
}

/// ` · 1 NotReady · 1 Unknown · 2 cordoned`, each count only when it is not zero. Unknown is
/// its own count: a kubelet that stopped reporting is another failure than a node that says
/// it is not ready. Kept by the fleet as nodes change, so a frame at 5,000 nodes walks none.
fn node_trouble(state: &Scene) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let tally = state.fleet.node_tally();
    [
        (tally.not_ready, "NotReady", Slot::Critical),
        (tally.unknown, "Unknown", Slot::Critical),
        (tally.cordoned, "cordoned", Slot::Warn),
    ]
    .into_iter()
    .filter(|(count, ..)| *count > 0)
    .flat_map(|(count, word, slot)| {
        [
            Span::styled(" · ", theme.style(Slot::Header)),
            Span::styled(format!("{count} {word}"), theme.style(slot)),
        ]
    })
    .collect()
}

/// The watches: `● live (last event 2s ago)`, or every stale one named with its age and
/// reason, `✗ STALE nodes, pods for 12s: <reason>`, and those still listing.
fn watch_health(state: &Scene) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let stale = stale_groups(state, stale_watches(state), "");
    let listing: Vec<&str> = state
        .session
        .feeds
        .iter()
        .filter(|f| f.kind.is_watch() && f.state == FeedState::Syncing)
        .map(|f| f.kind.name())
        .collect();
    if stale.is_empty() && listing.is_empty() {
        let lag = state
            .session
            .last_event
            .map(|t| units::age(state.now.duration_since(t)))
            .map_or_else(String::new, |a| format!(" (last event {a} ago)"));
        return vec![Span::styled(format!("● live{lag}"), theme.style(Slot::Ok))];
    }
    let mut spans = Vec::new();
    if !stale.is_empty() {
        spans.push(Span::styled(
            format!("✗ STALE {}", stale.join(" · ")),
            theme.style(Slot::Critical),
        ));
    }
    if !listing.is_empty() {
        let gap = if spans.is_empty() { "" } else { "  " };
        spans.push(Span::styled(
            format!("{gap}◌ listing {}…", listing.join(", ")),
            theme.style(Slot::Pending),
        ));
    }
    spans
}

/// The metrics: `metrics: ok` (or waiting, unavailable, spaced out), and every metrics feed
/// whose poll failed, named with how long ago it last worked: `▲ node metrics stale for 45s:
/// <reason>`. A failed poll leaves the last usage on screen; without this the header would go
/// on saying "ok" over it. (No metrics-server at all is `metrics: unavailable`, said once.)
fn metrics_health(state: &Scene) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let mut spans = Vec::new();
    if !failed_polls(state).any(|f| f.kind == FeedKind::Metrics) {
        spans.push(Span::styled(
            format!(
                "  {}",
                metrics_text(state.fleet.metrics(), !state.session.usage_focus.is_empty())
            ),
            theme.style(Slot::Dim),
        ));
    }
    let stale = stale_groups(state, failed_polls(state), " stale");
    if !stale.is_empty() {
        spans.push(Span::styled(
            format!("  ▲ {}", stale.join(" · ")),
            theme.style(Slot::Warn),
        ));
    }
    spans
}

/// The watches that are stale: failing, or re-listing after they failed.
fn stale_watches<'a>(state: &'a Scene) -> impl Iterator<Item = &'a FeedHealth> + 'a {
    state
        .session
        .feeds
        .iter()
        .filter(|f| f.kind.is_watch() && matches!(f.state, FeedState::Stale { .. }))
}

/// The metrics feeds whose last poll failed. An absent metrics API is not among them: it is a
/// state of the cluster, said as `metrics: unavailable`, and no reason to sound the alarm.
fn failed_polls<'a>(state: &'a Scene) -> impl Iterator<Item = &'a FeedHealth> + 'a {
    let unavailable = matches!(state.fleet.metrics(), MetricsState::Unavailable { .. });
    state.session.feeds.iter().filter(move |f| {
        !f.kind.is_watch() && !unavailable && matches!(f.state, FeedState::Stale { .. })
    })
}

/// The stale feeds among `feeds`, those of one age and reason said together in the order of
/// [`FeedKind::ALL`]: `nodes, pods{after_names} for 12s: <reason>`. When the API server goes,
/// every watch fails alike, and one group names them all without repeating the reason.
fn stale_groups<'a>(
    state: &Scene,
    feeds: impl Iterator<Item = &'a FeedHealth>,
    after_names: &str,
) -> Vec<String> {
    let mut groups: Vec<(String, &str, Vec<&str>)> = Vec::new();
    for feed in feeds {
        let FeedState::Stale { since, reason } = &feed.state else {
            continue;
        };
        let age = units::age(state.now.duration_since(*since));
        match groups
            .iter_mut()
            .find(|(a, r, _)| *a == age && *r == reason)
        {
            Some((.., names)) => names.push(feed.kind.name()),
            None => groups.push((age, reason, vec![feed.kind.name()])),
        }
    }
    groups
        .into_iter()
        .map(|(age, reason, names)| {
            let names = names.join(", ");
            format!("{names}{after_names} for {age}: {reason}")
        })
        .collect()
}

/// `metrics: ok`, or how far apart fleet-wide polls are on a large fleet, and how often the
/// usage this screen shows is read (`in_view`: the screen shows some).
fn metrics_text(m: &MetricsState, in_view: bool) -> String {
    let every = |d: Duration| units::age(SignedDuration::try_from(d).unwrap_or_default());
    match m {
        MetricsState::Unknown => "metrics: waiting".into(),
        MetricsState::Available {
            stretched: Some(stretched),
            ..
        } if in_view => format!(
            "metrics: ok, fleet every {}, this screen every {} (large fleet)",
            every(stretched.fleet),
            every(stretched.in_view)
        ),
        MetricsState::Available {
            stretched: Some(stretched),
            ..
        } => format!(
            "metrics: ok, every {} (large fleet)",
            every(stretched.fleet)
        ),
        MetricsState::Available { .. } => "metrics: ok".into(),
        MetricsState::Unavailable { reason, .. } => format!("metrics: unavailable ({reason})"),
    }
}

pub fn footer(state: &Scene, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = usize::from(area.width);
    let first = match &state.ui.mode {
        // A selector that does not parse says why next to the prompt, where the eyes are.
        Mode::Filter { input, .. } => {
            let mut spans = vec![
                Span::styled("/", theme.style(Slot::Key)),
                Span::styled(format!("{input}▏"), theme.style(Slot::Filter)),
            ];
            if let Some(flash) = state.ui.flash.as_ref().filter(|f| f.level != Level::Info) {
                spans.push(Span::raw("  "));
                spans.push(flash_span(state, flash));
            }
            fit(Line::from(spans), width, more(state))
        }
        Mode::Command { input } => Line::from(vec![
            Span::styled(":", theme.style(Slot::Key)),
            Span::styled(format!("{input}▏"), theme.style(Slot::Text)),
        ]),
        _ => match &state.ui.flash {
            Some(flash) => fit(Line::from(flash_span(state, flash)), width, more(state)),
            None => hints(state),
        },
    };
    let crumbs: Vec<Span> = state
        .ui
        .stack
        .iter()
        .flat_map(|p| {
            [
                Span::styled(format!("<{}>", crumb(state, p)), theme.style(Slot::Title)),
                Span::raw(" "),
            ]
        })
        .collect();
    // Flash messages quote names, crumbs are names: escaped like every cluster text, and cut
    // with `…` like the header (the flash line has already made room for its own ending).
    let lines = cut_lines(vec![first, Line::from(crumbs)], area.width);
    frame.render_widget(Paragraph::new(lines), area);
}

fn flash_span(state: &Scene, flash: &Flash) -> Span<'static> {
    let (mark, slot) = match flash.level {
        Level::Info => ("•", Slot::Info),
        Level::Warn => ("▲", Slot::Warn),
        Level::Error => ("✗", Slot::Critical),
    };
    // Escaped before `fit` measures it, so an escape never pushes the line past the edge.
    let text = safe::text(&flash.text);
    Span::styled(format!("{mark} {text}"), state.theme.style(slot))
}

/// What ends a flash line too long for the screen: the key that shows it whole.
fn more(state: &Scene) -> Vec<Span<'static>> {
    let theme = &state.theme;
    vec![
        Span::styled("… ", theme.style(Slot::Dim)),
        Span::styled("<!>", theme.style(Slot::Key)),
        Span::styled(" full text", theme.style(Slot::Dim)),
    ]
}

/// `line` as it is if it fits in `width` columns; else cut to leave room for `tail`, so a long
/// message (an API server's refusal runs to 200 characters) never just stops at the edge.
fn fit(line: Line<'static>, width: usize, tail: Vec<Span<'static>>) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let tail_width: usize = tail.iter().map(Span::width).sum();
    let mut spans = table::take_width(line.spans, width.saturating_sub(tail_width));
    spans.extend(tail);
    Line::from(spans)
}

/// A page's crumb: the object's name, never its uid. A DaemonSet's name is the one the page
/// kept when it opened, so the crumb outlives the DaemonSet's deletion.
fn crumb(state: &Scene, page: &herd_app::view::Page) -> String {
    use herd_app::view::View;
    let ds_name = |uid: &str| {
        page.name
            .as_deref()
            .or_else(|| state.fleet.daemon_set(uid).map(|d| &*d.name))
            .unwrap_or("daemonset")
            .to_string()
    };
    match &page.view {
        View::DaemonSet { uid } => ds_name(uid),
        View::Node { name } => name.to_string(),
        View::Events { uid } => format!("events {}", ds_name(uid)),
        View::History { uid } => format!("history {}", ds_name(uid)),
        View::ObjectEvents {
            target:
                herd_app::view::YamlTarget::Pod { name, .. } | herd_app::view::YamlTarget::Node { name },
        } => format!("events {name}"),
        View::Describe {
            target:
                herd_app::view::YamlTarget::Pod { name, .. }
                | herd_app::view::YamlTarget::Node { name }
                | herd_app::view::YamlTarget::DaemonSet { name, .. },
        } => format!("describe {name}"),
        _ => page.view.title().to_string(),
    }
}

/// The view's own keys first (`m`, `e`, `r`...), then the global ones: the line is cut at the
/// screen's edge, and the keys that only work here are the ones a user cannot guess.
fn hints(state: &Scene) -> Line<'static> {
    let theme = &state.theme;
    let (global, local): (Vec<_>, Vec<_>) = keymap::active(state)
        .filter(|b| b.hint)
        .partition(|b| b.scope == keymap::Scope::Global);
    let spans: Vec<Span> = local
        .into_iter()
        .chain(global)
        .flat_map(|b| {
            [
                Span::styled(format!("<{}>", b.label), theme.style(Slot::Key)),
                Span::styled(format!(" {} ", b.short.trim()), theme.style(Slot::Dim)),
            ]
        })
        .collect();
    Line::from(spans)
}

pub fn confirm(state: &Scene, write: &Write, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let rect = layout::centered(area, 70, 7);
    let text = vec![
        Line::from(Span::styled(write.describe(), theme.style(Slot::Text))),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", theme.style(Slot::Key)),
            Span::raw(" yes   "),
            Span::styled("n / esc", theme.style(Slot::Key)),
            Span::raw(" no (the default)"),
        ]),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::Warn))
        .title(Span::styled(
            " ▲ change the cluster? ",
            theme.style(Slot::Warn),
        ));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(safe::lines(text))
            .block(block)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

#[cfg(test)]
mod tests {

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::ui::theme::Theme;
    use herd_app::action::Action;
    use herd_app::state::State;
    use herd_app::update::{derive, update};
    use herd_core::model::feed::{Feed, FeedKind};
    use herd_core::model::fleet::{FleetEvent, Relist};
    use herd_core::model::node::ConditionStatus;
    use herd_core::model::resources::Usage;
    use herd_core::model::testkit::{self, t};
    use herd_core::model::usage::Stretched;
    use herd_core::model::usage::{MetricsSnapshot, NodeUsage};

    fn send(state: &mut State, feed: Feed) {
        update(state, Action::Feed { epoch: 0, feed });
    }

    /// Every feed listed once and a metrics poll with node usage in: all live.
    fn live() -> State {
        let mut state = State::new(Default::default(), false, t(60));
        let info = Ok(Default::default());
        update(&mut state, Action::Connected { epoch: 0, info });
        let agent = testkit::ds("agent");
        let pod = testkit::pod(&agent, "n1", "agent-n1");
        let node = NodeUsage {
            name: "n1".into(),
            usage: Usage {
                cpu_millis: 100,
                memory_bytes: 1 << 20,
            },
        };
        for event in [
            FleetEvent::Relisted(Relist::Nodes(vec![testkit::node("n1")])),
            FleetEvent::Relisted(Relist::DaemonSets(vec![agent.clone()])),
            FleetEvent::Relisted(Relist::Pods(vec![pod])),
            FleetEvent::Relisted(Relist::Revisions(vec![testkit::revision(&agent, 1, "a1")])),
            FleetEvent::Metrics(MetricsSnapshot {
                stretched: None,
                reach: Default::default(),
                at: t(50),
                pods: Vec::new(),
                nodes: vec![node],
            }),
        ] {
            send(&mut state, Feed::Event(event));
        }
        derive(&mut state);
        state
    }

    /// Rows of one pane drawn alone into a `width`×`height` test terminal.
    fn drawn(
        state: &State,
        width: u16,
        height: u16,
        pane: fn(&Scene, &mut Frame, Rect),
    ) -> Vec<String> {
        let theme = Theme::default();
        let scene = Scene {
            state,
            theme: &theme,
        };
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| {
                let area = frame.area();
                pane(&scene, frame, area)
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        buffer
            .content
            .chunks(usize::from(width))
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
            .collect()
    }

    fn header_text(state: &State) -> String {
        drawn(state, 200, 2, header).concat()
    }

    /// The header's second row, fleet totals and feed health, on a screen wide enough for all.
    fn health_row(state: &State) -> String {
        drawn(state, 300, 2, header)[1].trim_end().to_string()
    }

    #[test]
    fn every_feeds_trouble_reaches_the_header() {
        let state = live();
        assert!(state.session.unhealthy().next().is_none(), "all live first");
        let calm = header_text(&state);
        assert!(!calm.contains("stale"), "{calm}");
        for kind in FeedKind::ALL {
            let mut state = live();
            let message = format!("503 from {kind} (test)");
            send(
                &mut state,
                Feed::Trouble {
                    kind,
                    message: message.clone(),
                    refused: false,
                    code: None,
                },
            );
            let text = header_text(&state);
            assert!(
                text.contains(kind.name()) && text.contains(&message),
                "{kind}'s trouble is not in the header: {text}"
            );
        }
    }

    fn fail(state: &mut State, kind: FeedKind, message: &str) {
        let message = message.to_string();
        let (refused, code) = (false, None);
        send(
            state,
            Feed::Trouble {
                kind,
                message,
                refused,
                code,
            },
        );
    }

    /// The API server gone: every feed fails, the watches at once, the metrics poll 10 s after
    /// the last one that worked. Each is named with its age; metrics are not called "ok".
    #[test]
    fn when_every_feed_fails_the_header_names_each_with_its_age() {
        let mut state = live();
        update(&mut state, Action::Tick(t(70)));
        for kind in FeedKind::WATCHES {
            fail(&mut state, kind, "could not reach the server");
        }
        fail(&mut state, FeedKind::Metrics, "could not reach the server");
        update(&mut state, Action::Tick(t(71)));
        fail(
            &mut state,
            FeedKind::NodeMetrics,
            "could not reach the server",
        );
        update(&mut state, Action::Tick(t(82)));
        let text = health_row(&state);
        assert!(
            text.contains(
                "✗ STALE nodes, pods, daemonsets, controllerrevisions for 12s: could not reach \
                 the server  ▲ metrics, node metrics stale for 22s: could not reach the server"
            ),
            "{text}"
        );
        assert!(!text.contains("metrics: ok"), "{text}");
        assert!(!text.contains("● live"), "{text}");
        // Trouble leads the line, the last good totals after it: a narrow screen keeps it.
        assert!(text.starts_with(" ✗ STALE nodes, pods"), "{text}");
        assert!(text.ends_with("  nodes 1  daemonsets 1  pods 1"), "{text}");

        // Back one by one: each leaves the header as it delivers again.
        send(
            &mut state,
            Feed::Recovered {
                kind: FeedKind::Pods,
            },
        );
        let text = health_row(&state);
        assert!(
            text.contains("✗ STALE nodes, daemonsets, controllerrevisions for 12s"),
            "{text}"
        );
    }

    #[test]
    fn the_header_counts_nodes_not_ready_unknown_and_cordoned_when_there_are_any() {
        let mut state = live();
        let calm = health_row(&state);
        assert!(
            calm.starts_with(" nodes 1  daemonsets 1  pods 1  ● live"),
            "{calm}"
        );
        let node = |name: &str, status, cordoned| {
            let mut n = testkit::node(name);
            n.ready.status = status;
            n.unschedulable = cordoned;
            n
        };
        let nodes = vec![
            node("n1", ConditionStatus::True, false),
            node("n2", ConditionStatus::False, false),
            node("n3", ConditionStatus::Unknown, true),
            node("n4", ConditionStatus::True, true),
        ];
        send(
            &mut state,
            Feed::Event(FleetEvent::Relisted(Relist::Nodes(nodes))),
        );
        let text = health_row(&state);
        assert!(
            text.starts_with(" nodes 4 · 1 NotReady · 1 Unknown · 2 cordoned  daemonsets 1"),
            "{text}"
        );
    }

    #[test]
    fn a_header_line_too_wide_for_the_screen_ends_with_an_ellipsis() {
        let mut state = live();
        state.session.info.cluster = "a-cluster-with-a-name-far-too-long-for-eighty-columns".into();
        fail(
            &mut state,
            FeedKind::Pods,
            "could not reach the server: connection refused",
        );
        let rows = drawn(&state, 80, 2, header);
        for row in &rows {
            assert_eq!(row.chars().count(), 80, "{row}");
            assert!(row.ends_with('…'), "cut, and says so: {row}");
        }
        assert!(
            rows[1].starts_with(" ✗ STALE pods for 0s: could not reach the server"),
            "{}",
            rows[1]
        );
        let wide = drawn(&state, 250, 2, header);
        assert!(wide.iter().all(|row| !row.contains('…')), "{wide:?}");
    }

    /// A cluster without metrics-server is not in trouble: the totals keep the lead.
    #[test]
    fn an_absent_metrics_api_is_said_in_its_place_and_sounds_no_alarm() {
        let mut state = live();
        let gone = FleetEvent::MetricsUnavailable {
            at: t(60),
            reason: "404 Not Found".into(),
        };
        send(&mut state, Feed::Event(gone));
        let text = health_row(&state);
        assert!(
            text.starts_with(" nodes 1  daemonsets 1  pods 1  ● live"),
            "{text}"
        );
        assert!(
            text.ends_with("metrics: unavailable (404 Not Found)"),
            "{text}"
        );
    }

    #[test]
    fn the_header_says_when_metrics_polls_are_spaced_out() {
        let ok = MetricsState::Available {
            at: t(0),
            stretched: None,
        };
        assert_eq!(metrics_text(&ok, false), "metrics: ok");
        assert_eq!(metrics_text(&ok, true), "metrics: ok");
        let stretched = MetricsState::Available {
            at: t(0),
            stretched: Some(Stretched {
                fleet: Duration::from_secs(228),
                in_view: Duration::from_secs(15),
            }),
        };
        assert_eq!(
            metrics_text(&stretched, false),
            "metrics: ok, every 3m (large fleet)"
        );
        assert_eq!(
            metrics_text(&stretched, true),
            "metrics: ok, fleet every 3m, this screen every 15s (large fleet)"
        );
    }

    fn footer_lines(state: &State, width: u16) -> Vec<String> {
        drawn(state, width, 2, footer)
    }

    fn refused(state: &mut State) -> String {
        let refusal = "daemonsets.apps \"agent\" is forbidden: User \"viewer\" cannot patch \
                       resource \"daemonsets\" in API group \"apps\" in the namespace \"default\"";
        update(
            state,
            Action::WriteDone {
                what: "restart DaemonSet default/agent".into(),
                result: Err(refusal.into()),
            },
        );
        refusal.to_string()
    }

    #[test]
    fn a_flash_too_long_for_the_screen_ends_with_the_key_that_shows_it_whole() {
        let mut state = live();
        let refusal = refused(&mut state);
        let lines = footer_lines(&state, 80);
        let first = lines[0].trim_end();
        assert!(
            first.starts_with("✗ restart DaemonSet default/agent failed: "),
            "{first}"
        );
        assert!(first.ends_with("… <!> full text"), "{first}");
        assert_eq!(
            first.chars().count(),
            80,
            "cut at the edge, not before: {first}"
        );
        assert_eq!(
            state.ui.last_error.as_deref(),
            Some(format!("restart DaemonSet default/agent failed: {refusal}").as_str())
        );

        let wide = footer_lines(&state, 250);
        assert!(
            wide[0].trim_end().ends_with("namespace \"default\""),
            "fits: {}",
            wide[0]
        );
        assert!(!wide[0].contains("<!>"), "nothing to open when it fits");
    }

    #[test]
    fn a_selector_that_does_not_parse_is_named_next_to_the_filter_prompt() {
        let mut state = live();
        update(&mut state, Action::StartFilter);
        for c in "app in (a".chars() {
            update(&mut state, Action::Input(c));
        }
        let first = footer_lines(&state, 120)[0].trim_end().to_string();
        assert_eq!(
            first,
            "/app in (a▏  ▲ invalid label selector \"app in (a\": missing closing \")\""
        );
    }
}
