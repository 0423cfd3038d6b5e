//! Hogs: DaemonSets worst first (their worst pod's level, then how far Σ usage is from Σ
//! request), then daemon pods with usage against request and limit, what presses them
//! (the limit, or the node where no limit is set), how far above or below their request they
//! run, and sparklines of recent samples. Every amount carries its unit and every ratio says
//! what it is a ratio of.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;

use crate::ui::Scene;
use crate::ui::glyph;
use crate::ui::table::{self, Col, col, styled};
use crate::ui::theme::Slot;
use herd_core::analysis::hogs::{Footprint, Measure, PerResource, PodHog, Utilization};
use herd_core::analysis::thresholds::{Fit, Level};
use herd_core::analysis::units;

const DS_COLS: [Col; 8] = [
    col("DAEMONSET", 26, 0),
    col("PODS", 4, 3),
    col("Σ CPU USE/REQ", 20, 1),
    col("Σ MEM USE/REQ", 13, 1),
    col("Σ USE VS REQ", 14, 0),
    col("NOT SET", 12, 1),
    col("HOGS", 4, 0),
    col("WORST POD", 18, 1),
];

const POD_COLS: [Col; 8] = [
    col("POD", 28, 0),
    col("NODE", 12, 1),
    col("CPU USE/REQ/LIM", 17, 1),
    col("MEM USE/REQ/LIM", 21, 0),
    col("PRESSURE", 17, 0),
    col("VS REQUEST", 14, 0),
    col("CPU", 16, 4),
    col("MEM", 16, 3),
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
    let block = table::block(
        state,
        "daemonsets, worst first".into(),
        report.footprints.len(),
    );
    table::draw(frame, top, state, block, &DS_COLS, cells, None);

    let page = state.ui.page();
    let (from, to) = table::window(page, usize::from(bottom.height.saturating_sub(3)));
    let cells = page.rows[from..to]
        .iter()
        .filter_map(|&i| report.pods.get(i as usize))
        .map(|h| pod_row(state, h))
        .collect();
    let block = table::block(state, "daemon pods".into(), page.rows.len());
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
    let level = f.worst.as_ref().map(|w| w.level).unwrap_or_default();
    let (mark, slot) = glyph::level(level);
    // The worst pod's figure; the pods below, worst first, say which pod and node it is.
    // No mark: HOGS beside it carries the level's glyph.
    let worst = f.worst.as_ref().map_or("-".to_string(), |w| {
        let oom = state.fleet.pod(w.pod).is_some_and(|p| p.was_oom_killed());
        let by = w.by.map_or("no usage".to_string(), |m| m.short());
        if oom { format!("OOM-killed; {by}") } else { by }
    });
    // Σ usage covers the pods metrics reported; with none, there is no sum to show.
    let usage = |amount: i64, fmt: fn(i64) -> String| {
        if f.measured_pods == 0 {
            "-".to_string()
        } else {
            fmt(amount)
        }
    };
    vec![
        table::plain(ds.map_or("-".to_string(), |d| d.key())),
        table::plain(f.pods.to_string()),
        table::plain(format!(
            "{}/{}",
            usage(f.usage.cpu_millis, units::cores),
            units::cores(f.requests.cpu_millis)
        )),
        table::plain(format!(
            "{}/{}",
            usage(f.usage.memory_bytes, units::bytes),
            units::bytes(f.requests.memory_bytes)
        )),
        fit_cell(state, f.furthest_from_request(), |m| {
            f.fit.get(m.resource) == Fit::UnderRequested
        }),
        styled(state, not_set(f), Slot::Warn),
        styled(
            state,
            if f.hogs > 0 {
                format!("{mark}{}", f.hogs)
            } else {
                "0".into()
            },
            slot,
        ),
        styled(state, worst, slot),
    ]
}

/// What the DaemonSet's pods leave unset, said once for all of them: "no cpu limit", or
/// "no cpu limit (6 pods)" when only some do.
fn not_set(f: &Footprint) -> String {
    let part = |what: &str, counts: PerResource<u32>| {
        let names: Vec<String> = [("cpu", counts.cpu), ("mem", counts.memory)]
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(name, n)| {
                if n == f.pods {
                    name.to_string()
                } else {
                    format!("{name} ({n} pods)")
                }
            })
            .collect();
        (!names.is_empty()).then(|| format!("no {} {what}", names.join("+")))
    };
    let parts: Vec<String> = [
        part("limit", f.without_limits),
        part("request", f.without_requests),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(", ")
    }
}

/// Usage against request: marked when it is far above (the pod is a hog for it).
fn fit_cell(
    state: &Scene,
    measure: Option<Measure>,
    under: impl Fn(&Measure) -> bool,
) -> Line<'static> {
    match measure {
        Some(m) if under(&m) => {
            let (mark, slot) = glyph::level(Level::Warn);
            styled(state, format!("{mark}{}", m.short()), slot)
        }
        Some(m) => table::plain(m.short()),
        None => table::plain("-"),
    }
}

fn use_req_lim(u: &Utilization, fmt: fn(i64) -> String) -> String {
    let part = |v: Option<i64>| v.map_or("-".to_string(), fmt);
    format!("{}/{}/{}", part(u.usage), part(u.request), part(u.limit))
}

fn pod_row(state: &Scene, h: &PodHog) -> Vec<Line<'static>> {
    let pod = state.fleet.pod(h.pod);
    // The ceiling that ranks the pod if one does, else the nearest one. Its mark is the
    // ceiling's level, which counts only above the request: a pod near its limit while
    // within its request is shown the figure, not a warning.
    let nearest = match h.rank.by {
        Some(m) if m.against.is_ceiling() && h.is_hog() => Some(m),
        _ => h.nearest_ceiling(),
    };
    let level = nearest.map_or(Level::Ok, |m| h.ceiling.get(m.resource));
    let level = if h.oom_killed { Level::Critical } else { level };
    let (mark, slot) = glyph::level(level);
    let pressure = nearest.map_or("-".to_string(), |m| m.short());
    let pressure = if h.oom_killed {
        format!("{mark}OOM-killed; {pressure}")
    } else if nearest.is_some() {
        format!("{mark}{pressure}")
    } else {
        pressure
    };
    let history = state.fleet.usage_history(h.pod);
    let spark = |pick: fn(herd_core::model::resources::Usage) -> i64| {
        history.map_or(String::new(), |hist| {
            let values: Vec<u64> = hist.samples().map(|u| pick(u).max(0) as u64).collect();
            glyph::sparkline(&values)
        })
    };
    vec![
        table::plain(pod.map_or("-".to_string(), |p| p.name.to_string())),
        table::plain(h.node.as_deref().unwrap_or("-").to_string()),
        table::plain(use_req_lim(&h.cpu, units::cores)),
        table::plain(use_req_lim(&h.memory, units::bytes)),
        styled(state, pressure, slot),
        fit_cell(state, h.most_over_request(), |m| {
            h.fit.get(m.resource) == Fit::UnderRequested
        }),
        styled(state, spark(|u| u.cpu_millis), Slot::Gauge),
        styled(state, spark(|u| u.memory_bytes), Slot::Gauge),
    ]
}
