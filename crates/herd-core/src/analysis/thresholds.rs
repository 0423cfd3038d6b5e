//! Where usage becomes a warning and where it becomes critical, and how far from its request
//! usage must be to count as under- or over-requested; from configuration or defaults.

use serde::{Deserialize, Serialize};

/// `warn` and `critical` are fractions of a ceiling: the limit, or the node's allocatable where
/// no limit is set. `under_requested` and `over_requested` are multiples of the request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    pub warn: f64,
    pub critical: f64,
    /// Usage at or above this many times its request is under-requested: the scheduler
    /// counted a fraction of what the pod takes from its node.
    pub under_requested: f64,
    /// Usage at or below this share of its request is over-requested: the node keeps room
    /// for it that nothing uses.
    pub over_requested: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        // A factor of two either way from the request: small drifts are normal, and a
        // factor of two is what a person resizing requests would act on.
        Thresholds {
            warn: 0.8,
            critical: 0.95,
            under_requested: 2.0,
            over_requested: 0.5,
        }
    }
}

/// Where usage stands against its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Between the two bounds, or nothing to compare (no usage, or no request).
    #[default]
    Fits,
    /// Far above its request (see [`Thresholds::under_requested`]).
    UnderRequested,
    /// Far below its request (see [`Thresholds::over_requested`]).
    OverRequested,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Ok,
    Warn,
    Critical,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    #[error("threshold {name} = {value} must be a number above 0")]
    NotPositive { name: &'static str, value: f64 },
    #[error("threshold warn = {warn} must not be above critical = {critical}")]
    WarnAboveCritical { warn: f64, critical: f64 },
    #[error(
        "thresholds over_requested = {over} and under_requested = {under} must lie on either side of 1 (the request)"
    )]
    RequestBand { over: f64, under: f64 },
}

impl Thresholds {
    /// Checks values read from a config file.
    pub fn validate(&self) -> Result<(), ThresholdError> {
        let all = [
            ("warn", self.warn),
            ("critical", self.critical),
            ("under_requested", self.under_requested),
            ("over_requested", self.over_requested),
        ];
        for (name, value) in all {
            if !(value.is_finite() && value > 0.0) {
                return Err(ThresholdError::NotPositive { name, value });
            }
        }
        if self.warn > self.critical {
            return Err(ThresholdError::WarnAboveCritical {
                warn: self.warn,
                critical: self.critical,
            });
        }
        if !(self.over_requested < 1.0 && self.under_requested > 1.0) {
            return Err(ThresholdError::RequestBand {
                over: self.over_requested,
                under: self.under_requested,
            });
        }
        Ok(())
    }

    /// Where usage at `of_request` times its request stands.
    pub fn fit(&self, of_request: f64) -> Fit {
        if of_request >= self.under_requested {
            Fit::UnderRequested
        } else if of_request <= self.over_requested {
            Fit::OverRequested
        } else {
            Fit::Fits
        }
    }

    pub fn level(&self, ratio: f64) -> Level {
        if ratio >= self.critical {
            Level::Critical
        } else if ratio >= self.warn {
            Level::Warn
        } else {
            Level::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_switch_at_the_configured_fractions() {
        let t = Thresholds::default();
        assert_eq!(t.level(0.79), Level::Ok);
        assert_eq!(t.level(0.8), Level::Warn);
        assert_eq!(t.level(0.95), Level::Critical);
        assert_eq!(t.level(3.0), Level::Critical);
        assert_eq!(t.fit(2.0), Fit::UnderRequested);
        assert_eq!(t.fit(1.9), Fit::Fits);
        assert_eq!(t.fit(0.51), Fit::Fits);
        assert_eq!(t.fit(0.5), Fit::OverRequested);
    }

    #[test]
    fn config_overrides_defaults_field_by_field_and_rejects_nonsense() {
        let t: Thresholds = serde_json::from_str(r#"{"warn": 0.5}"#).unwrap();
        assert_eq!(
            t,
            Thresholds {
                warn: 0.5,
                ..Thresholds::default()
            }
        );
        assert!(serde_json::from_str::<Thresholds>(r#"{"warm": 0.5}"#).is_err());
        let inverted = Thresholds {
            warn: 0.9,
            critical: 0.7,
            ..Thresholds::default()
        };
        assert!(matches!(
            inverted.validate(),
            Err(ThresholdError::WarnAboveCritical { .. })
        ));
        let zero = Thresholds {
            warn: 0.0,
            critical: 0.7,
            ..Thresholds::default()
        };
        assert!(matches!(
            zero.validate(),
            Err(ThresholdError::NotPositive { name: "warn", .. })
        ));
        let band = Thresholds {
            under_requested: 0.9,
            ..Thresholds::default()
        };
        assert!(matches!(
            band.validate(),
            Err(ThresholdError::RequestBand { .. })
        ));
        assert_eq!(Thresholds::default().validate(), Ok(()));
    }
}
