//! Cluster text drawn through `render` as a user sees it: escaped the same way in the table,
//! the breadcrumbs and the text views, cut with `…`, and a deleted DaemonSet still named.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::render;
use super::theme::Theme;
use herd_app::action::Action;
use herd_app::state::State;
use herd_app::update::{derive, update};
use herd_app::view::{View, YamlTarget};
use herd_core::model::display_text::needs_escape;
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, RecordKey, Relist};
use herd_core::model::testkit::{self, t};

/// A bidi override, an ESC, a newline, a tab and a C1 control (NEL) in one name.
const HOSTILE: &str = "a\u{202E}\x1b\n\t\u{85}b";
/// How every view shows it (`display_text`): 24 columns, as wide as the fleet's NAME column.
const SHOWN: &str = "a<U+202E>^[\\n\\t<U+0085>b";

fn send(state: &mut State, event: FleetEvent) {
    let feed = Feed::Event(event);
    update(state, Action::Feed { epoch: 0, feed });
}

/// A connected state with one DaemonSet named `name` on one node.
fn fleet_with(name: &str) -> State {
    let mut state = State::new(Default::default(), false, t(60));
    let info = Ok(Default::default());
    update(&mut state, Action::Connected { epoch: 0, info });
    let ds = testkit::ds(name);
    let pod = testkit::pod(&ds, "n1", "pod-n1");
    send(
        &mut state,
        FleetEvent::Relisted(Relist::Nodes(vec![testkit::node("n1")])),
    );
    send(
        &mut state,
        FleetEvent::Relisted(Relist::DaemonSets(vec![ds.clone()])),
    );
    send(&mut state, FleetEvent::Relisted(Relist::Pods(vec![pod])));
    derive(&mut state);
    state
}

fn screen(state: &State, width: u16, height: u16) -> Vec<String> {
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| render(state, &theme, frame)).unwrap();
    let buffer = terminal.backend().buffer();
    let cells: Vec<&str> = buffer.content.iter().map(|c| c.symbol()).collect();
    let drawn: String = cells.concat();
    assert!(
        !drawn.chars().any(needs_escape),
        "a control or bidi character reached the terminal: {drawn:?}"
    );
    cells
        .chunks(usize::from(width))
        .map(|row| row.concat())
        .collect()
}

fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{}", lines.join("\n")))
}

fn uid(name: &str) -> std::sync::Arc<str> {
    format!("uid-{name}").into()
}

#[test]
fn hostile_names_are_escaped_alike_in_the_table_the_crumbs_and_the_yaml() {
    let mut state = fleet_with(HOSTILE);
    let fleet = screen(&state, 200, 30);
    assert!(line_with(&fleet, "NAME").contains("NAMESPACE"));
    assert!(
        line_with(&fleet, SHOWN).contains(testkit::NS),
        "fleet table"
    );

    update(
        &mut state,
        Action::Show(View::DaemonSet { uid: uid(HOSTILE) }),
    );
    let page = screen(&state, 200, 30);
    let crumbs = page.last().map(String::as_str).unwrap_or_default();
    assert!(crumbs.contains(&format!("<{SHOWN}>")), "crumb: {crumbs}");

    let target = YamlTarget::DaemonSet {
        namespace: testkit::NS.into(),
        name: HOSTILE.into(),
    };
    let view = View::Yaml { target };
    update(&mut state, Action::Show(view.clone()));
    let lines = vec!["metadata:".to_string(), format!("  name: {HOSTILE}")];
    update(
        &mut state,
        Action::Loaded {
            view,
            result: Ok(lines),
        },
    );
    let yaml = screen(&state, 200, 30);
    assert!(
        line_with(&yaml, "name:").contains(&format!("name: {SHOWN}")),
        "yaml"
    );
}

#[test]
fn flash_messages_and_failed_fetches_quoting_names_are_escaped() {
    let mut state = fleet_with("agent");
    update(&mut state, Action::Show(View::Events { uid: uid("agent") }));
    let result = Err(format!("events of {HOSTILE}: forbidden"));
    update(
        &mut state,
        Action::Loaded {
            view: View::Events { uid: uid("agent") },
            result,
        },
    );
    let lines = screen(&state, 200, 30);
    assert!(line_with(&lines, "forbidden").contains(SHOWN));
}

#[test]
fn a_deleted_daemon_sets_crumb_keeps_its_name() {
    let mut state = fleet_with("agent");
    update(
        &mut state,
        Action::Show(View::DaemonSet { uid: uid("agent") }),
    );
    update(&mut state, Action::Show(View::Events { uid: uid("agent") }));
    send(
        &mut state,
        FleetEvent::Delete(RecordKey::DaemonSet { uid: uid("agent") }),
    );
    derive(&mut state);
    assert!(state.fleet.daemon_set("uid-agent").is_none(), "deleted");
    let lines = screen(&state, 200, 30);
    let crumbs = lines.last().map(String::as_str).unwrap_or_default();
    assert!(
        crumbs.contains("<agent>") && crumbs.contains("<events agent>"),
        "crumbs name the deleted DaemonSet: {crumbs}"
    );
    assert!(!crumbs.contains("uid-agent"), "never its uid: {crumbs}");
}

#[test]
fn a_name_too_long_for_its_column_ends_in_an_ellipsis() {
    let long = "a-daemon-set-with-a-name-far-too-long";
    let state = fleet_with(long);
    // At 200 columns NAME grows to fit the whole name.
    let wide = screen(&state, 200, 30);
    assert!(line_with(&wide, "a-daemon-set-with").contains(long));
    // At 80 it gets its own 20 columns plus the little spare: cut, and marked as cut.
    let lines = screen(&state, 80, 30);
    let row = line_with(&lines, "a-daemon-set-with");
    let shown = row
        .split(|c: char| c.is_whitespace() || c == '│')
        .find(|w| w.starts_with("a-daemon"))
        .unwrap_or_else(|| panic!("{row}"));
    assert!(shown.ends_with('…'), "{row}");
    assert!(long.starts_with(shown.trim_end_matches('…')), "{row}");
    assert!(!row.contains(long), "{row}");
}
