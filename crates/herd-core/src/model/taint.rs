//! Taints, tolerations, and the tolerations the DaemonSet controller adds
//! (docs/SEMANTICS.md#taints-and-tolerations, #automatic-tolerations; upstream
//! `Toleration.ToleratesTaint` in kubernetes/staging/src/k8s.io/api/core/v1/toleration.go and
//! `AddOrUpdateDaemonPodTolerations` in kubernetes/pkg/controller/daemon/util/daemonset_util.go).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Feature gate `TaintTolerationComparisonOperators` (alpha in v1.35, off by default). herd
/// models a cluster with the gate off: `Lt`/`Gt` tolerations never match. Tests and future
/// callers can still ask for gated behaviour through [`Toleration::tolerates_with`].
pub const TAINT_TOLERATION_COMPARISON_OPERATORS: bool = false;

/// An API string that names no known variant, e.g. a taint effect `"NoRun"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

impl FromStr for TaintEffect {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "NoSchedule" => Ok(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(TaintEffect::NoExecute),
            _ => Err(UnknownValue {
                what: "taint effect",
                value: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for TaintEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: TaintEffect,
}

impl Taint {
    pub fn new(key: impl Into<String>, value: impl Into<String>, effect: TaintEffect) -> Self {
        Taint {
            key: key.into(),
            value: value.into(),
            effect,
        }
    }
}

/// `key=value:Effect`, or `key:Effect` without a value, as `kubectl taint` writes it.
impl fmt::Display for Taint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect)
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TolerationOperator {
    Exists,
    Equal,
    Lt,
    Gt,
}

impl TolerationOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            TolerationOperator::Exists => "Exists",
            TolerationOperator::Equal => "Equal",
            TolerationOperator::Lt => "Lt",
            TolerationOperator::Gt => "Gt",
        }
    }
}

impl FromStr for TolerationOperator {
    type Err = UnknownValue;
    /// The empty operator means `Equal`, as in the API.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "Equal" => Ok(TolerationOperator::Equal),
            "Exists" => Ok(TolerationOperator::Exists),
            "Lt" => Ok(TolerationOperator::Lt),
            "Gt" => Ok(TolerationOperator::Gt),
            _ => Err(UnknownValue {
                what: "toleration operator",
                value: s.to_owned(),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Toleration {
    /// Empty matches every key (the API allows that only with `Exists`).
    pub key: String,
    pub operator: TolerationOperator,
    pub value: String,
    /// `None` matches every effect.
    pub effect: Option<TaintEffect>,
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    pub fn exists(key: impl Into<String>, effect: Option<TaintEffect>) -> Self {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect,
            toleration_seconds: None,
        }
    }

    pub fn equal(
        key: impl Into<String>,
        value: impl Into<String>,
        effect: Option<TaintEffect>,
    ) -> Self {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Equal,
            value: value.into(),
            effect,
            toleration_seconds: None,
        }
    }

    /// Upstream `Toleration.ToleratesTaint` with the cluster's gate setting
    /// ([`TAINT_TOLERATION_COMPARISON_OPERATORS`]).
    pub fn tolerates(&self, taint: &Taint) -> bool {
        self.tolerates_with(taint, TAINT_TOLERATION_COMPARISON_OPERATORS)
    }

    /// Upstream `Toleration.ToleratesTaint`; `comparison_operators` is the
    /// `TaintTolerationComparisonOperators` gate. `tolerationSeconds` never affects matching.
    pub fn tolerates_with(&self, taint: &Taint, comparison_operators: bool) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
            TolerationOperator::Lt | TolerationOperator::Gt if comparison_operators => {
                match (decimal_integer(&taint.value), decimal_integer(&self.value)) {
                    (Some(taint), Some(limit)) if self.operator == TolerationOperator::Lt => {
                        taint < limit
                    }
                    (Some(taint), Some(limit)) => taint > limit,
                    _ => false,
                }
            }
            TolerationOperator::Lt | TolerationOperator::Gt => false,
        }
    }

    /// Same key, operator, value and effect: the identity the controller's merge uses.
    fn same_target(&self, other: &Toleration) -> bool {
        self.key == other.key
            && self.operator == other.operator
            && self.value == other.value
            && self.effect == other.effect
    }
}

/// Canonical decimal integer as upstream's `content.IsDecimalInteger` wants it: `0` or an
/// optional `-` and digits without a leading zero.
fn decimal_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (!digits.starts_with('0') || s == "0");
    if canonical { s.parse().ok() } else { None }
}

/// kubectl describe's form: `key=value:Effect op=Exists for 300s`.
impl fmt::Display for Toleration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)?;
        if !self.value.is_empty() {
            write!(f, "={}", self.value)?;
        }
        if let Some(effect) = self.effect {
            write!(f, ":{effect}")?;
        }
        if self.operator != TolerationOperator::Equal {
            let sep = if self.key.is_empty() && self.effect.is_none() && self.value.is_empty() {
                ""
            } else {
                " "
            };
            write!(f, "{sep}op={}", self.operator.as_str())?;
        }
        if let Some(seconds) = self.toleration_seconds {
            write!(f, " for {seconds}s")?;
        }
        Ok(())
    }
}

/// Whether any of `tolerations` tolerates `taint`.
pub fn is_tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// The taints with one of `effects` that no toleration tolerates, in node order. The
/// scheduler's TaintToleration filter asks this with NoSchedule and NoExecute.
pub fn untolerated_taints<'t>(
    tolerations: &[Toleration],
    taints: &'t [Taint],
    effects: &[TaintEffect],
) -> Vec<&'t Taint> {
    taints
        .iter()
        .filter(|t| effects.contains(&t.effect) && !is_tolerated(tolerations, t))
        .collect()
}

/// The controller's automatic tolerations (docs/SEMANTICS.md#automatic-tolerations), in upstream's
/// order.
fn defaults(host_network: bool) -> impl Iterator<Item = Toleration> {
    use TaintEffect::{NoExecute, NoSchedule};
    let always = [
        ("node.kubernetes.io/not-ready", NoExecute),
        ("node.kubernetes.io/unreachable", NoExecute),
        ("node.kubernetes.io/disk-pressure", NoSchedule),
        ("node.kubernetes.io/memory-pressure", NoSchedule),
        ("node.kubernetes.io/pid-pressure", NoSchedule),
        ("node.kubernetes.io/unschedulable", NoSchedule),
    ];
    let network = host_network.then_some(("node.kubernetes.io/network-unavailable", NoSchedule));
    always
        .into_iter()
        .chain(network)
        .map(|(key, effect)| Toleration::exists(key, Some(effect)))
}

/// The user's tolerations plus the automatic ones, merged as `AddOrUpdateTolerationInPodSpec`
/// does: user tolerations with the same key, operator, value and effect are replaced in place
/// by the controller's version (dropping their `tolerationSeconds`) unless one of them is
/// already identical; otherwise the default is appended.
pub fn daemon_tolerations(user: &[Toleration], host_network: bool) -> Vec<Toleration> {
    let mut merged = user.to_vec();
    for default in defaults(host_network) {
        let mut matched = merged.iter().filter(|t| t.same_target(&default)).peekable();
        if matched.peek().is_none() {
            merged.push(default);
        } else if !matched.any(|t| *t == default) {
            for t in merged.iter_mut().filter(|t| t.same_target(&default)) {
                *t = default.clone();
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests;
