//! Fault injection, switchable at run time: drop open watches, compact the watch history,
//! fail a share of requests with a chosen code, add latency.
//!
//! Admin endpoint (admin token only; never subject to the faults themselves):
//! - `GET /sim/faults` returns the current settings and what has been injected so far:
//!   `{"failRate":0.3,"failCode":500,"latencyMs":200,"cutLists":false,"watchDrops":1,"compactions":1,"injectedFailures":17}`
//! - `POST /sim/faults` with any subset of
//!   `{"dropWatches":true,"compact":true,"failRate":0.3,"failCode":500,"latencyMs":200,"cutLists":true}`.
//!   `failRate` (0..=1), `failCode` (429 or 500, or any other 4xx/5xx), `latencyMs` and
//!   `cutLists` (every list body breaks off after its first chunk) persist until changed; `dropWatches` (end every open watch now; clients resume from their last
//!   resourceVersion) and `compact` (forget the watch history, so a resume from any version
//!   older than the latest write gets 410 Gone and the client must re-list) act once.
//!   The answer is the same document as `GET`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::status::ApiError;
use crate::store::mix;

/// The persistent part of the fault settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSettings {
    pub fail_rate: f64,
    pub fail_code: u16,
    pub latency_ms: u64,
    /// List bodies break off after their first chunk, as when a load balancer or a dying API
    /// server drops the connection mid-list.
    #[serde(default)]
    pub cut_lists: bool,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            fail_rate: 0.0,
            fail_code: 500,
            latency_ms: 0,
            cut_lists: false,
        }
    }
}

/// The body of `POST /sim/faults`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRequest {
    pub drop_watches: Option<bool>,
    pub compact: Option<bool>,
    pub fail_rate: Option<f64>,
    pub fail_code: Option<u16>,
    pub latency_ms: Option<u64>,
    pub cut_lists: Option<bool>,
}

/// What `GET /sim/faults` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultReport {
    #[serde(flatten)]
    pub settings: FaultSettings,
    pub watch_drops: u64,
    pub compactions: u64,
    pub injected_failures: u64,
}

/// Shared fault state of one server.
#[derive(Debug)]
pub struct Faults {
    settings: Mutex<FaultSettings>,
    /// Bumped to end every open watch; each watch stream listens for a change.
    drops: watch::Sender<u64>,
    draws: AtomicU64,
    compactions: AtomicU64,
    injected: AtomicU64,
}

impl Faults {
    pub fn new(settings: FaultSettings) -> Self {
        Faults {
            settings: Mutex::new(settings),
            drops: watch::Sender::new(0),
            draws: AtomicU64::new(0),
            compactions: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        }
    }

    pub fn settings(&self) -> FaultSettings {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a request body and updates the persistent settings. Returns whether the
    /// one-shot actions were asked for: (drop watches, compact). Nothing changes on error.
    pub fn apply(&self, request: &FaultRequest) -> Result<(bool, bool), ApiError> {
        let mut next = self.settings();
        if let Some(rate) = request.fail_rate {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ApiError::bad_request(format!(
                    "failRate {rate} is out of range: give a share between 0 and 1"
                )));
            }
            next.fail_rate = rate;
        }
        if let Some(code) = request.fail_code {
            if !(400..=599).contains(&code) {
                return Err(ApiError::bad_request(format!(
                    "failCode {code} is not an error status: give 429, 500 or another 4xx/5xx code"
                )));
            }
            next.fail_code = code;
        }
        if let Some(ms) = request.latency_ms {
            next.latency_ms = ms;
        }
        if let Some(cut) = request.cut_lists {
            next.cut_lists = cut;
        }
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = next;
        Ok((
            request.drop_watches.unwrap_or(false),
            request.compact.unwrap_or(false),
        ))
    }

    /// Ends every open watch (their streams see the change and close).
    pub fn drop_watches(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    pub fn note_compaction(&self) {
        self.compactions.fetch_add(1, Ordering::Relaxed);
    }

    /// A receiver that changes when watches are to be dropped.
    pub fn drop_signal(&self) -> watch::Receiver<u64> {
        self.drops.subscribe()
    }

    /// An injected failure for this request, drawn at the configured rate.
    pub fn draw_failure(&self) -> Option<ApiError> {
        let settings = self.settings();
        if settings.fail_rate <= 0.0 {
            return None;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let x = (mix(n ^ 0xFA17) >> 11) as f64 / (1u64 << 53) as f64;
        if x >= settings.fail_rate {
            return None;
        }
        self.injected.fetch_add(1, Ordering::Relaxed);
        Some(match settings.fail_code {
            429 => ApiError::too_many_requests(),
            500 => ApiError::internal("injected fault"),
            code => ApiError::new(code, "InternalError", format!("injected fault ({code})")),
        })
    }

    pub fn report(&self) -> FaultReport {
        FaultReport {
            settings: self.settings(),
            watch_drops: *self.drops.borrow(),
            compactions: self.compactions.load(Ordering::Relaxed),
            injected_failures: self.injected.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_rate_is_roughly_honoured_and_bad_settings_change_nothing() {
        let f = Faults::new(FaultSettings::default());
        assert!(f.draw_failure().is_none());
        let ok = FaultRequest {
            fail_rate: Some(0.5),
            fail_code: Some(429),
            ..Default::default()
        };
        assert_eq!(f.apply(&ok), Ok((false, false)));
        let failures = (0..1000).filter_map(|_| f.draw_failure()).count();
        assert!((350..650).contains(&failures), "{failures}");
        let bad = FaultRequest {
            fail_rate: Some(0.1),
            fail_code: Some(200),
            ..Default::default()
        };
        assert!(f.apply(&bad).is_err());
        assert_eq!(f.settings().fail_rate, 0.5);
        assert_eq!(f.report().injected_failures, failures as u64);
    }
}
