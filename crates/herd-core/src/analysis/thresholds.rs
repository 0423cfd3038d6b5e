//! Where usage becomes a warning and where it becomes critical, from configuration or defaults.

use serde::{Deserialize, Serialize};

/// Fractions of a limit (or of a request when no limit is set).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    pub warn: f64,
    pub critical: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warn: 0.8,
            critical: 0.95,
        }
    }
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
}

impl Thresholds {
    /// Checks values read from a config file.
    pub fn validate(&self) -> Result<(), ThresholdError> {
        for (name, value) in [("warn", self.warn), ("critical", self.critical)] {
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
        Ok(())
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
    }

    #[test]
    fn config_overrides_defaults_field_by_field_and_rejects_nonsense() {
        let t: Thresholds = serde_json::from_str(r#"{"warn": 0.5}"#).unwrap();
        assert_eq!(
            t,
            Thresholds {
                warn: 0.5,
                critical: 0.95
            }
        );
        assert!(serde_json::from_str::<Thresholds>(r#"{"warm": 0.5}"#).is_err());
        let inverted = Thresholds {
            warn: 0.9,
            critical: 0.7,
        };
        assert!(matches!(
            inverted.validate(),
            Err(ThresholdError::WarnAboveCritical { .. })
        ));
        let zero = Thresholds {
            warn: 0.0,
            critical: 0.7,
        };
        assert!(matches!(
            zero.validate(),
            Err(ThresholdError::NotPositive { name: "warn", .. })
        ));
    }
}
