//! DaemonSet defaulting, validation and generation bookkeeping (docs/SEMANTICS.md#admission).
//! Upstream: kubernetes/pkg/apis/apps/v1/defaults.go,
//! kubernetes/pkg/apis/apps/validation/validation.go and
//! kubernetes/pkg/registry/apps/daemonset/strategy.go.

mod defaults;
mod validation;

use k8s_openapi::api::apps::v1::DaemonSet;

pub use validation::FieldError;

use crate::controller::daemonset::podutil::TEMPLATE_GENERATION_ANNOTATION;
use crate::controller::daemonset::{template_generation, template_value};

/// A rejected object, with the field path and what is wrong, as the API server words it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("DaemonSet.apps \"{name}\" is invalid: {causes}")]
pub struct Invalid {
    pub name: String,
    /// The field errors joined as `errs.ToAggregate()` prints them (`[a, b]` when several).
    pub causes: String,
    /// The same errors one by one (the Status `details.causes`).
    pub fields: Vec<FieldError>,
}

impl Invalid {
    /// The 422 the API answers, with one cause per field error.
    pub fn into_rejection(self) -> super::Rejection {
        super::Rejection::InvalidFields {
            message: self.to_string(),
            causes: self
                .fields
                .into_iter()
                .map(|f| super::Cause {
                    kind: f.reason,
                    field: f.field,
                    body: f.body,
                })
                .collect(),
        }
    }
}

fn check(ds: &DaemonSet, errs: Vec<FieldError>) -> Result<(), Invalid> {
    if errs.is_empty() {
        return Ok(());
    }
    let mut texts: Vec<String> = Vec::new();
    for e in &errs {
        let t = e.to_string();
        if !texts.contains(&t) {
            texts.push(t);
        }
    }
    let causes = if texts.len() == 1 {
        texts.remove(0)
    } else {
        format!("[{}]", texts.join(", "))
    };
    let name = ds
        .metadata
        .name
        .clone()
        .or_else(|| ds.metadata.generate_name.clone())
        .unwrap_or_default();
    Err(Invalid {
        name,
        causes,
        fields: errs,
    })
}

/// The template generation the client sent in the annotation (apps/v1 conversion).
fn sent_template_generation(ds: &DaemonSet) -> Result<Option<i64>, Vec<FieldError>> {
    let Some(raw) = ds
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(TEMPLATE_GENERATION_ANNOTATION))
    else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(vec![FieldError {
            field: format!("metadata.annotations[{TEMPLATE_GENERATION_ANNOTATION}]"),
            reason: "FieldValueInvalid",
            body: format!("Invalid value: {raw:?}: must be an integer"),
        }]),
    }
}

fn set_template_generation(ds: &mut DaemonSet, generation: i64) {
    ds.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            TEMPLATE_GENERATION_ANNOTATION.into(),
            generation.to_string(),
        );
}

/// Defaults and validates a DaemonSet being created; sets generation 1 and template generation 1
/// (or the annotation's value when the client sent a larger one), and clears status.
pub fn admit_create(ds: &mut DaemonSet) -> Result<(), Invalid> {
    let sent = match sent_template_generation(ds) {
        Ok(v) => v,
        Err(errs) => return check(ds, errs),
    };
    defaults::apply(ds);
    ds.status = None;
    ds.metadata.generation = Some(1);
    set_template_generation(ds, sent.unwrap_or(0).max(1));
    let mut errs = validation::name(ds);
    errs.extend(validation::spec(ds));
    check(ds, errs)
}

/// Defaults and validates an update of the main resource (status is kept from `old`), and bumps
/// generation / template generation as upstream's `daemonSetStrategy.PrepareForUpdate` does
/// (docs/SEMANTICS.md#admission). `status_only` is the `status` subresource (spec and metadata are
/// kept from `old`, only status is taken from `new`).
pub fn admit_update(
    old: &DaemonSet,
    new: &mut DaemonSet,
    status_only: bool,
) -> Result<(), Invalid> {
    if status_only {
        let status = new.status.take();
        let resource_version = new.metadata.resource_version.take();
        *new = old.clone();
        new.status = status;
        // The client's resourceVersion still guards the write.
        new.metadata.resource_version = resource_version;
        return check(
            new,
            validation::status(old.status.as_ref(), new.status.as_ref()),
        );
    }
    defaults::apply(new);
    new.status = old.status.clone();
    let old_generation = old.metadata.generation.unwrap_or(1);
    let old_template_generation = template_generation(old).unwrap_or(1);
    let (generation, template_gen) = if template_changed(old, new) {
        (old_generation + 1, old_template_generation + 1)
    } else if spec_changed(old, new) {
        (old_generation + 1, old_template_generation)
    } else {
        (old_generation, old_template_generation)
    };
    new.metadata.generation = Some(generation);
    set_template_generation(new, template_gen);
    let mut errs = validation::selector_unchanged(old, new);
    errs.extend(validation::spec(new));
    check(new, errs)
}

/// Semantic comparison of the templates (normalised JSON), so a no-op write bumps nothing.
fn template_changed(old: &DaemonSet, new: &DaemonSet) -> bool {
    let t = |d: &DaemonSet| template_value(&d.spec.template);
    t(old) != t(new)
}

fn spec_changed(old: &DaemonSet, new: &DaemonSet) -> bool {
    let v = |d: &DaemonSet| {
        let mut v = serde_json::to_value(&d.spec).unwrap_or_default();
        crate::controller::daemonset::normalize_template(&mut v);
        v
    };
    v(old) != v(new)
}

#[cfg(test)]
mod tests;
