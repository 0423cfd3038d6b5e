//! Which rows the top view shows and in what order: the namespace scope, the `/` filter and the
//! sort applied to the view's source rows. Runs in `update`, so render only slices.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::filter::Filter;
use crate::state::{Mode, State};
use crate::update::rollout::record_of;
use crate::view::{Fetched, Sort, SortKey, View};
use herd_core::analysis::coverage::{self, Coverage};
use herd_core::analysis::verdict::Verdict;
use herd_core::engine::progress;
use herd_core::model::node::{ConditionStatus, Node};

/// Recomputes the top page's rows (and the node view it may need), keeping the cursor on the
/// same row index range.
pub fn refresh(state: &mut State) {
    let page = state.ui.page();
    let filter = Filter::parse(&page.filter).unwrap_or(Filter::All);
    let sort = page.sort;
    let view = page.view.clone();
    if let View::Node { name } = &view {
        state.derived.node_view = coverage::node_view(&state.fleet, name, state.now);
    }
    refresh_rollout_view(state);
    let rows = match &view {
        View::Fleet => fleet_rows(state, &filter, sort),
        View::DaemonSet { uid } => ds_rows(state, uid, &filter, sort),
        View::Nodes => node_rows(state, &filter, sort),
        View::Node { .. } => node_ds_rows(state, &filter, sort),
        View::Hogs => hog_rows(state, &filter, sort),
        View::Events { .. }
        | View::History { .. }
        | View::Yaml { .. }
        | View::Logs { .. }
        | View::ObjectEvents { .. }
        | View::Describe { .. } => text_rows(state, &filter),
    };
    let visible = state.ui.visible_rows();
    let page = state.ui.page_mut();
    page.rows = rows;
    page.cursor = page.cursor.min(page.rows.len().saturating_sub(1));
    clamp_offset(page, visible);
}

/// Works out again where the managed rollout on screen stands: the controls' DaemonSet when
/// they are open, else the DaemonSet screen's, while its rollout has not ended.
pub fn refresh_rollout_view(state: &mut State) {
    let view = &state.ui.page().view;
    let uid = match (&state.ui.mode, view) {
        (Mode::RolloutPanel { uid }, _) | (_, View::DaemonSet { uid }) => Some(Arc::clone(uid)),
        _ => None,
    };
    let record = uid.and_then(|uid| {
        let record = record_of(state, &uid).filter(|r| !r.state.is_final())?;
        Some((uid, record))
    });
    let Some((uid, record)) = record else {
        state.derived.rollout_view = None;
        return;
    };
    let (fleet, nodes) = (&state.fleet, &mut state.rollout_nodes);
    state.derived.rollout_view = fleet.daemon_set(&uid).map(|ds| {
        let standing = progress::standing(fleet, nodes, ds, &record, state.now);
        (uid, standing)
    });
}

/// Keeps the cursor inside the visible window.
pub fn clamp_offset(page: &mut crate::view::Page, visible: usize) {
    if page.cursor < page.offset {
        page.offset = page.cursor;
    } else if page.cursor >= page.offset + visible {
        page.offset = page.cursor + 1 - visible;
    }
    let max_offset = page.rows.len().saturating_sub(visible);
    page.offset = page.offset.min(max_offset);
}

fn in_scope(state: &State, namespace: &str) -> bool {
    state
        .ui
        .namespace
        .as_deref()
        .is_none_or(|ns| ns == namespace)
}

/// Sorts by `key`, reversed when descending, then by `tie` always ascending, so equal rows keep
/// a stable, name-like order either way. Each `key` compares in its natural ascending sense:
/// Status puts problems first, Weight the lightest first (its first press is descending, so
/// the heaviest come first).
fn ordered(
    mut rows: Vec<u32>,
    sort: Sort,
    key: impl Fn(u32, u32) -> Ordering,
    tie: impl Fn(u32, u32) -> Ordering,
) -> Vec<u32> {
    rows.sort_by(|&a, &b| {
        let o = key(a, b);
        let o = if sort.descending { o.reverse() } else { o };
        o.then_with(|| tie(a, b))
    });
    rows
}

fn fleet_rows(state: &State, filter: &Filter, sort: Sort) -> Vec<u32> {
    let rows = &state.derived.fleet_rows;
    let picked = (0..rows.len() as u32)
        .filter(|&i| {
            let r = &rows[i as usize];
            let labels = state.fleet.daemon_set(&r.uid).map(|d| &d.labels);
            in_scope(state, &r.namespace)
                && filter.matches([&*r.namespace, &*r.name, r.images.as_str()], labels)
        })
        .collect();
    let row = |i: u32| &rows[i as usize];
    let by_namespace = |a: u32, b: u32| {
        let (a, b) = (row(a), row(b));
        (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
    };
    let weight = |r: &crate::derived::FleetRow| r.gaps + r.failing + r.node_down;
    // Most severe first, and among equals the one with more nodes in trouble.
    let severity = |r: &crate::derived::FleetRow| (r.severity, std::cmp::Reverse(weight(r)));
    ordered(
        picked,
        sort,
        |a, b| {
            let (a, b) = (row(a), row(b));
            match sort.key {
                SortKey::Name => a.name.cmp(&b.name),
                SortKey::Namespace => Ordering::Equal,
                SortKey::Age => b.created.cmp(&a.created),
                SortKey::Status => severity(a)
                    .cmp(&severity(b))
                    .then(coverage_share(a).total_cmp(&coverage_share(b))),
                SortKey::Weight => weight(a).cmp(&weight(b)),
            }
        },
        by_namespace,
    )
}

fn coverage_share(r: &crate::derived::FleetRow) -> f64 {
    if r.eligible == 0 {
        1.0
    } else {
        f64::from(r.served) / f64::from(r.eligible)
    }
}

/// What a (DaemonSet, node) pair shows: its verdict, so every screen, the coverage map and
/// `herd check` say the same word for the same pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(pub Verdict);

impl Mark {
    pub fn of(row: &Coverage) -> Mark {
        Mark(row.verdict)
    }

    pub fn label(self) -> &'static str {
        self.0.as_str()
    }

    /// Most severe first: the order a person scanning a DaemonSet's nodes wants.
    pub fn rank(self) -> u8 {
        self.0 as u8
    }
}

fn ds_rows(state: &State, uid: &str, filter: &Filter, sort: Sort) -> Vec<u32> {
    let Some(cov) = state.derived.coverage_of(uid) else {
        return Vec::new();
    };
    let rows: &[Coverage] = &cov.rows;
    let picked = (0..rows.len() as u32)
        .filter(|&i| {
            let r = &rows[i as usize];
            let node = state.fleet.node(&r.node);
            let pool = node.and_then(|n| n.pool.as_deref()).unwrap_or("");
            let words = [&*r.node, r.verdict.as_str(), r.status.as_str(), pool];
            filter.matches(words, node.map(|n| &n.labels))
        })
        .collect();
    let rank = |i: u32| Mark::of(&rows[i as usize]).rank();
    ordered(
        picked,
        sort,
        |a, b| match sort.key {
            SortKey::Status => rank(a).cmp(&rank(b)),
            SortKey::Weight => rank(b).cmp(&rank(a)),
            _ => Ordering::Equal,
        },
        |a, b| rows[a as usize].node.cmp(&rows[b as usize].node),
    )
}

fn node_rows(state: &State, filter: &Filter, sort: Sort) -> Vec<u32> {
    let nodes: Vec<&Node> = state.fleet.nodes().collect();
    let picked = (0..nodes.len() as u32)
        .filter(|&i| {
            let n = nodes[i as usize];
            let pool = n.pool.as_deref().unwrap_or("");
            filter.matches([&*n.name, pool], Some(&n.labels))
        })
        .collect();
    let tax = |n: &Node| {
        state.derived.tax_of(&n.name).map_or(0.0_f64, |t| {
            t.cpu_request_share
                .unwrap_or(0.0)
                .max(t.memory_request_share.unwrap_or(0.0))
        })
    };
    ordered(
        picked,
        sort,
        |a, b| {
            let (a, b) = (nodes[a as usize], nodes[b as usize]);
            match sort.key {
                SortKey::Age => b.created.cmp(&a.created),
                SortKey::Status => node_rank(a).cmp(&node_rank(b)),
                SortKey::Weight => tax(a).total_cmp(&tax(b)),
                SortKey::Name => a.name.cmp(&b.name),
                SortKey::Namespace => Ordering::Equal,
            }
        },
        |a, b| nodes[a as usize].name.cmp(&nodes[b as usize].name),
    )
}

fn node_rank(n: &Node) -> u8 {
    match (n.ready.status, n.unschedulable) {
        (ConditionStatus::Unknown, _) => 0,
        (ConditionStatus::False, _) => 1,
        (ConditionStatus::True, true) => 2,
        (ConditionStatus::True, false) => 3,
    }
}

/// The node's DaemonSets; rows come in namespace/name order, which is also what Name and
/// Namespace keep.
fn node_ds_rows(state: &State, filter: &Filter, sort: Sort) -> Vec<u32> {
    let Some(view) = &state.derived.node_view else {
        return Vec::new();
    };
    let picked = (0..view.rows.len() as u32)
        .filter(|&i| {
            let (uid, c) = &view.rows[i as usize];
            let ds = state.fleet.daemon_set(uid);
            let name = ds.map_or("", |d| &d.name);
            in_scope(state, ds.map_or("", |d| &d.namespace))
                && filter.matches(
                    [name, c.verdict.as_str(), c.status.as_str()],
                    ds.map(|d| &d.labels),
                )
        })
        .collect();
    let ds = |i: u32| state.fleet.daemon_set(&view.rows[i as usize].0);
    let rank = |i: u32| Mark::of(&view.rows[i as usize].1).rank();
    let name = |i: u32| ds(i).map(|d| Arc::clone(&d.name));
    let created = |i: u32| ds(i).and_then(|d| d.created);
    ordered(
        picked,
        sort,
        |a, b| match sort.key {
            SortKey::Status => rank(a).cmp(&rank(b)),
            SortKey::Weight => rank(b).cmp(&rank(a)),
            SortKey::Name => name(a).cmp(&name(b)),
            SortKey::Age => created(b).cmp(&created(a)),
            SortKey::Namespace => Ordering::Equal,
        },
        |a, b| a.cmp(&b),
    )
}

fn hog_rows(state: &State, filter: &Filter, sort: Sort) -> Vec<u32> {
    let Some(report) = &state.derived.hogs else {
        return Vec::new();
    };
    let pods = &report.pods;
    let picked = (0..pods.len() as u32)
        .filter(|&i| {
            let h = &pods[i as usize];
            let ds = state.fleet.daemon_set(&h.ds_uid);
            let pod = state.fleet.pod(h.pod);
            in_scope(state, ds.map_or("", |d| &d.namespace))
                && filter.matches(
                    [
                        ds.map_or("", |d| &d.name),
                        pod.map_or("", |p| &p.name),
                        h.node.as_deref().unwrap_or(""),
                    ],
                    ds.map(|d| &d.labels),
                )
        })
        .collect();
    // The analysis's order (`Rank::worse`): OOM-killed or at a ceiling, near one, far above
    // a request; a pod within its requests never ranks above one that is a hog.
    let weight = |a: u32, b: u32| pods[a as usize].rank.worse(&pods[b as usize].rank);
    let name = |i: u32| {
        state
            .fleet
            .pod(pods[i as usize].pod)
            .map(|p| p.name.clone())
    };
    ordered(
        picked,
        sort,
        |a, b| match sort.key {
            SortKey::Weight => weight(a, b),
            // Problems first, as Status is everywhere.
            SortKey::Status => weight(b, a),
            _ => name(a).cmp(&name(b)),
        },
        |a, b| a.cmp(&b),
    )
}

fn text_rows(state: &State, filter: &Filter) -> Vec<u32> {
    let Fetched::Lines(lines) = &state.ui.page().fetched else {
        return Vec::new();
    };
    (0..lines.len() as u32)
        .filter(|&i| {
            matches!(filter, Filter::Labels(_))
                || filter.matches([lines[i as usize].as_str()], None)
        })
        .collect()
}

#[cfg(test)]
mod hog_tests;
