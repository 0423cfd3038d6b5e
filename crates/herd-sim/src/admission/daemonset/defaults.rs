//! DaemonSet defaulting (upstream `SetDefaults_DaemonSet` in
//! kubernetes/pkg/apis/apps/v1/defaults.go; docs/SEMANTICS.md#admission) plus the pod-template
//! defaults the API server applies, so a template read back and written again compares equal.

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetUpdateStrategy, RollingUpdateDaemonSet};
use k8s_openapi::api::core::v1::{Container, PodSecurityContext, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::controller::daemonset::normalize_template;

/// `SetDefaults_DaemonSet`, then the template defaults and normalisation.
pub fn apply(ds: &mut DaemonSet) {
    let spec = &mut ds.spec;
    let strategy = spec
        .update_strategy
        .get_or_insert_with(DaemonSetUpdateStrategy::default);
    if strategy.type_.as_deref().unwrap_or("").is_empty() {
        strategy.type_ = Some("RollingUpdate".into());
    }
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let rolling = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDaemonSet::default);
        rolling.max_unavailable.get_or_insert(IntOrString::Int(1));
        rolling.max_surge.get_or_insert(IntOrString::Int(0));
    }
    spec.revision_history_limit.get_or_insert(10);
    template(&mut spec.template);
}

/// `SetDefaults_PodSpec` and `SetDefaults_Container` (the fields that matter for a daemon
/// template), then empty lists/maps dropped as the API server's storage drops them.
fn template(template: &mut PodTemplateSpec) {
    let spec = template.spec.get_or_insert_with(PodSpec::default);
    fill(&mut spec.restart_policy, "Always");
    fill(&mut spec.dns_policy, "ClusterFirst");
    fill(&mut spec.scheduler_name, "default-scheduler");
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.security_context
        .get_or_insert_with(PodSecurityContext::default);
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        container(c);
    }
    let Ok(mut value) = serde_json::to_value(&*template) else {
        return;
    };
    normalize_template(&mut value);
    if let Ok(normalized) = serde_json::from_value(value) {
        *template = normalized;
    }
}

fn fill(field: &mut Option<String>, default: &str) {
    if field.as_deref().unwrap_or("").is_empty() {
        *field = Some(default.to_string());
    }
}

fn container(c: &mut Container) {
    fill(&mut c.termination_message_path, "/dev/termination-log");
    fill(&mut c.termination_message_policy, "File");
    let policy = if image_tag_is_latest(c.image.as_deref().unwrap_or("")) {
        "Always"
    } else {
        "IfNotPresent"
    };
    fill(&mut c.image_pull_policy, policy);
    for port in c.ports.iter_mut().flatten() {
        fill(&mut port.protocol, "TCP");
    }
}

/// An image without a tag or digest, or tagged `latest`, is pulled Always.
fn image_tag_is_latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_tag() {
        assert!(image_tag_is_latest("nginx"));
        assert!(image_tag_is_latest("nginx:latest"));
        assert!(image_tag_is_latest("registry:5000/nginx"));
        assert!(!image_tag_is_latest("registry:5000/nginx:1.2"));
        assert!(!image_tag_is_latest("nginx@sha256:abc"));
    }
}
