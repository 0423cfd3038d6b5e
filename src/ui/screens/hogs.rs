//! Hogs: the heaviest DaemonSets (footprint across the fleet) on top, then daemon pods by
//! pressure with usage against request and limit and a sparkline of recent samples.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;

use crate::ui::Scene;
use crate::ui::glyph;
use crate::ui::table::{self, Col, col, styled};
use crate::ui::theme::Slot;
use herd_core::analysis::hogs::{Footprint, PodHog, Resource, Utilization};
use herd_core::analysis::units;

const DS_COLS: [Col; 7] = [
    col("DAEMONSET", 26, 0),
    col("PODS", 5, 2),
    col("Σ CPU REQ/USE", 16, 1),
    col("Σ MEM REQ/USE", 18, 0),
    col("HOGS", 5, 0),
    col("NO LIMITS", 9, 3),
    col("WORST", 30, 1),
];

const POD_COLS: [Col; 8] = [
    col("POD", 28, 0),
    col("NODE", 16, 1),
    col("CPU USE/REQ/LIM", 17, 2),
    col("MEM USE/REQ/LIM", 21, 0),
    col("PRESSURE", 12, 0),
    col("CPU", 16, 4),
    col("MEM", 16, 3),
    col("FLAGS", 20, 2),
];

pub fn render(state: &Scene, frame: &mut Frame, area: Rect) {
    let Some(report) = &state.derived.hogs else {
        return;
    };
    // The ranking takes at most a third of the screen; the pods below are what one scrolls.
    let shown = crate::ui::layout::hogs_ranking_rows(area.height, report.footprints.len());
    let [top, bottom] =
        Layout::vertical([Constraint::Length(shown + 3), Constraint::Min(4)]).areas(area);
    let cells = report
        .footprints
        .iter()
        .take(usize::from(shown))
        .map(|f| footprint_row(state, f))
        .collect();
    let block = table::block(state, "heaviest daemonsets".into(), report.footprints.len());
    table::draw(frame, top, state, block, &DS_COLS, cells, None);

    let page = state.ui.page();
    let (from, to) = table::window(page, usize::from(bottom.height.saturating_sub(3)));
    let cells = page.rows[from..to]
        .iter()
        .filter_map(|&i| report.pods.get(i as usize))
        .map(|h| pod_row(state, h))
        .collect();
    let block = table::block(state, "daemon pods by pressure".into(), page.rows.len());
    table::draw(
        frame,
        bottom,
        state,
        block,
        &POD_COLS,
        cells,
        page.cursor.checked_sub(from),
    );
}

fn footprint_row(state: &Scene, f: &Footprint) -> Vec<Line<'static>> {
    let ds = state.fleet.daemon_set(&f.ds_uid);
    let worst = f.worst.as_ref().map_or("-".to_string(), |w| {
        format!(
            "{} {} on {}",
            resource_name(w.resource),
            units::percent(w.ratio),
            w.node.as_deref().unwrap_or("-")
        )
    });
    let (mark, slot) = glyph::level(f.worst.as_ref().map(|w| w.level).unwrap_or_default());
    vec![
        table::plain(ds.map_or("-".to_string(), |d| d.key())),
        table::plain(f.pods.to_string()),
        table::plain(format!(
            "{}/{}",
            units::cpu(f.requests.cpu_millis),
            units::cpu(f.usage.cpu_millis)
        )),
        table::plain(format!(
            "{}/{}",
            units::memory(f.requests.memory_bytes),
            units::memory(f.usage.memory_bytes)
        )),
        styled(
            state,
            if f.hogs > 0 {
                format!("{mark}{}", f.hogs)
            } else {
                "0".into()
            },
            slot,
        ),
        table::plain(f.without_limits.to_string()),
        styled(state, worst, slot),
    ]
}

fn use_req_lim(u: &Utilization, fmt: fn(i64) -> String) -> String {
    let part = |v: Option<i64>| v.map_or("-".to_string(), fmt);
    format!("{}/{}/{}", part(u.usage), part(u.request), part(u.limit))
}

fn pod_row(state: &Scene, h: &PodHog) -> Vec<Line<'static>> {
    let pod = state.fleet.pod(h.pod);
    let (mark, slot) = glyph::level(h.level());
    let pressure = h.pressure().map_or("-".to_string(), |(r, v)| {
        format!("{mark}{} {}", units::percent(v), resource_name(r))
            .trim()
            .to_string()
    });
    let history = state.fleet.usage_history(h.pod);
    let spark = |pick: fn(herd_core::model::resources::Usage) -> i64| {
        history.map_or(String::new(), |hist| {
            let values: Vec<u64> = hist.samples().map(|u| pick(u).max(0) as u64).collect();
            glyph::sparkline(&values)
        })
    };
    let mut flags = Vec::new();
    if h.oom_killed {
        flags.push("OOMKilled");
    }
    if h.no_requests.any() {
        flags.push("no requests");
    }
    match (h.no_limits.cpu, h.no_limits.memory) {
        (true, true) => flags.push("no limits"),
        (true, false) => flags.push("no cpu limit"),
        (false, true) => flags.push("no memory limit"),
        (false, false) => {}
    }
    vec![
        table::plain(pod.map_or("-".to_string(), |p| p.name.to_string())),
        table::plain(h.node.as_deref().unwrap_or("-").to_string()),
        table::plain(use_req_lim(&h.cpu, units::cpu)),
        table::plain(use_req_lim(&h.memory, units::memory)),
        styled(state, pressure, slot),
        styled(state, spark(|u| u.cpu_millis), Slot::Gauge),
        styled(state, spark(|u| u.memory_bytes), Slot::Gauge),
        styled(state, flags.join(","), Slot::Warn),
    ]
}

fn resource_name(r: Resource) -> &'static str {
    match r {
        Resource::Cpu => "cpu",
        Resource::Memory => "memory",
    }
}
