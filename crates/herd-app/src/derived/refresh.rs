//! Bringing the cached analysis up to date after a burst of events: only the DaemonSets the
//! events touched are walked again, so one pod update costs one DaemonSet's pass, not the
//! fleet's (docs/BENCHMARKS.md: event to screen ≤ 100 ms at 150,000 pods).

use jiff::Timestamp;

use std::sync::Arc;

use super::{Derived, count_rows, fleet_row};
use herd_core::analysis::coverage;
use herd_core::analysis::hogs;
use herd_core::analysis::thresholds::{Level, Thresholds};
use herd_core::model::fleet::{Changes, Fleet};

impl Derived {
    /// Applies `changes` (from [`Fleet::take_changes`]) to figures computed earlier from the
    /// same fleet; the result equals [`Derived::compute`] on the fleet as it is now, except
    /// that untouched DaemonSets keep the clock of their last pass.
    pub fn refresh(
        &mut self,
        fleet: &Fleet,
        thresholds: &Thresholds,
        now: Timestamp,
        changes: &Changes,
    ) {
        let known = |uid: &str| fleet.daemon_set(uid).is_none() || self.by_uid.contains_key(uid);
        let whole = changes.everything
            || self.at.is_none()
            || self.node_counts.len() != fleet.nodes().len()
            || !changes.daemon_sets.iter().all(|uid| known(uid));
        if whole {
            let node_view = self.node_view.take();
            let rollout_view = self.rollout_view.take();
            *self = Derived::compute(fleet, thresholds, now);
            self.node_view = node_view;
            self.rollout_view = rollout_view;
            return;
        }
        // Verdicts move with the clock alone: past `VERDICT_REFRESH` every DaemonSet is judged
        // again, not only those the events touched.
        if self.verdicts_due(now) {
            let uids: Vec<_> = self.fleet_rows.iter().map(|r| Arc::clone(&r.uid)).collect();
            for uid in &uids {
                self.redo_coverage(fleet, uid, now);
            }
            self.judged_at = Some(now);
        } else {
            for uid in &changes.daemon_sets {
                self.redo_coverage(fleet, uid, now);
            }
        }
        for uid in &changes.daemon_sets {
            self.redo_hogs(fleet, uid, thresholds);
        }
        if changes.metrics
            && let Some(report) = self.hogs.as_mut()
        {
            // A poll moves usage, not pods: the ratings are redone in place from the usage.
            hogs::rerate_usage(fleet, &mut report.pods, thresholds);
        }
        if changes.metrics || !changes.daemon_sets.is_empty() {
            self.sum_hogs(fleet, thresholds);
        }
        self.mark_hogs();
        self.generation = fleet.generation();
        self.at = Some(now);
    }

    /// One DaemonSet's coverage again, with its share of the per-node counts and its row.
    fn redo_coverage(&mut self, fleet: &Fleet, uid: &str, now: Timestamp) {
        let Some(&i) = self.by_uid.get(uid) else {
            return;
        };
        let (Some(ds), Some(fresh)) =
            (fleet.daemon_set(uid), coverage::daemon_set(fleet, uid, now))
        else {
            return;
        };
        let Some(slot) = self.coverage.daemon_sets.get_mut(i) else {
            return;
        };
        count_rows(&mut self.node_counts, &slot.rows, -1);
        count_rows(&mut self.node_counts, &fresh.rows, 1);
        *slot = fresh;
        if let Some(row) = self.fleet_rows.get_mut(i) {
            let (hog, hogs) = (row.hog, row.hogs);
            *row = fleet_row(fleet, ds, slot, None, now);
            // The hog marks come back from the footprints in `mark_hogs`; keep them meanwhile.
            (row.hog, row.hogs) = (hog, hogs);
        }
    }

    /// Re-rates one DaemonSet's pods in place in `hogs.pods`.
    fn redo_hogs(&mut self, fleet: &Fleet, uid: &str, thresholds: &Thresholds) {
        let (Some(&i), Some(ds)) = (self.by_uid.get(uid), fleet.daemon_set(uid)) else {
            return;
        };
        let (Some(report), Some(range)) = (self.hogs.as_mut(), self.hog_ranges.get(i).cloned())
        else {
            return;
        };
        let fresh = hogs::rate_daemon_set(fleet, ds, thresholds);
        for old in &report.pods[range.clone()] {
            self.hog_by_pod.remove(&old.pod);
        }
        let shift = fresh.len() as isize - range.len() as isize;
        let end = range.start + fresh.len();
        report.pods.splice(range.clone(), fresh);
        if shift == 0 {
            for (at, hog) in report.pods.iter().enumerate().take(end).skip(range.start) {
                self.hog_by_pod.insert(hog.pod, at);
            }
            return;
        }
        // The slices after this one moved: shift them, and re-point every pod after it.
        if let Some(r) = self.hog_ranges.get_mut(i) {
            r.end = end;
        }
        for r in self.hog_ranges.iter_mut().skip(i + 1) {
            r.start = r.start.saturating_add_signed(shift);
            r.end = r.end.saturating_add_signed(shift);
        }
        for (at, hog) in report.pods.iter().enumerate().skip(range.start) {
            self.hog_by_pod.insert(hog.pod, at);
        }
    }

    /// The per-DaemonSet footprints and per-node tax, summed again from the pod ratings.
    fn sum_hogs(&mut self, fleet: &Fleet, thresholds: &Thresholds) {
        let Some(report) = self.hogs.as_mut() else {
            return;
        };
        report.footprints = hogs::footprints(fleet, &report.pods, thresholds);
        report.node_tax = hogs::node_tax(fleet, &report.pods);
        report.metrics = fleet.metrics().clone();
    }

    /// Each Fleet row's hog marker from the current footprints.
    fn mark_hogs(&mut self) {
        let Some(report) = &self.hogs else {
            return;
        };
        for f in &report.footprints {
            let Some(row) = self
                .by_uid
                .get(&f.ds_uid)
                .and_then(|&i| self.fleet_rows.get_mut(i))
            else {
                continue;
            };
            row.hog = f.worst.as_ref().map_or(Level::Ok, |w| w.level);
            row.hogs = f.hogs;
        }
    }
}
