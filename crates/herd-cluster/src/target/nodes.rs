//! Label, unlabel, taint, untaint, cordon and uncordon nodes, as `kubectl label|taint|cordon`
//! does: labels and the cordon by merge patch, taints by writing the whole list over the
//! resourceVersion read (a merge patch replaces lists), so a taint added meanwhile by the
//! node lifecycle controller is never dropped.

use std::sync::Arc;

use k8s_openapi::api::core::v1 as api;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::Patch;
use kube::{Api, Client};
use serde_json::{Value, json};

use super::{CONFLICT_ATTEMPTS, TargetError, api_error};
use crate::rollout::params;
use herd_core::model::placement::TaintEffect;
use herd_core::targeting::nodes::NodeEdit;

/// Makes `edit` on each of `nodes`; returns the nodes it changed. Invalid edits send nothing.
pub async fn apply_node_edit(
    client: &Client,
    nodes: &[Arc<str>],
    edit: &NodeEdit,
) -> Result<Vec<Arc<str>>, TargetError> {
    let rules = edit.validate();
    if !rules.is_empty() {
        return Err(TargetError::Invalid {
            daemon_set: format!("nodes ({edit})"),
            rules,
        });
    }
    let api: Api<api::Node> = Api::all(client.clone());
    let mut changed = Vec::new();
    for node in nodes {
        if write_one(&api, node, edit).await? {
            changed.push(Arc::clone(node));
        }
    }
    Ok(changed)
}

/// One node; `false` when it already was as asked.
async fn write_one(api: &Api<api::Node>, node: &str, edit: &NodeEdit) -> Result<bool, TargetError> {
    let what = format!("node {node}");
    let mut attempts = 0;
    loop {
        attempts += 1;
        let object = api.get(node).await.map_err(|e| api_error(&what, &e))?;
        let Some(patch) = patch_for(&object, edit) else {
            return Ok(false);
        };
        match api.patch(node, &params(), &Patch::Merge(patch)).await {
            Ok(_) => return Ok(true),
            Err(kube::Error::Api(e)) if e.code == 409 && attempts < CONFLICT_ATTEMPTS => {}
            Err(e) => return Err(api_error(&what, &e)),
        }
    }
}

/// The merge patch for `edit` on the node as read; `None` when it changes nothing.
fn patch_for(object: &api::Node, edit: &NodeEdit) -> Option<Value> {
    let labels = object.metadata.labels.as_ref();
    let taints = object
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let version = object.metadata.resource_version.clone();
    match edit {
        NodeEdit::Label { key, value } => (labels.and_then(|l| l.get(key)) != Some(value))
            .then(|| json!({"metadata": {"labels": {key: value}}})),
        NodeEdit::Unlabel { key } => labels
            .is_some_and(|l| l.contains_key(key))
            .then(|| json!({"metadata": {"labels": {key: null}}})),
        NodeEdit::Cordon(cordon) => {
            let now = object
                .spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false);
            (now != *cordon).then(|| json!({"spec": {"unschedulable": cordon}}))
        }
        NodeEdit::Taint(taint) => {
            let mut list: Vec<api::Taint> = taints
                .iter()
                .filter(|t| !(t.key == taint.key && t.effect == taint.effect.as_str()))
                .cloned()
                .collect();
            let same = taints.iter().any(|t| {
                t.key == taint.key
                    && t.effect == taint.effect.as_str()
                    && t.value.as_deref().unwrap_or("") == taint.value
            });
            if same {
                return None;
            }
            list.push(api::Taint {
                key: taint.key.clone(),
                value: Some(taint.value.clone()).filter(|v| !v.is_empty()),
                effect: taint.effect.as_str().to_string(),
                // As `kubectl taint` does: NoExecute taints carry when they were added, which
                // tolerationSeconds count from.
                time_added: (taint.effect == TaintEffect::NoExecute)
                    .then(|| Time(jiff::Timestamp::now())),
            });
            Some(json!({"metadata": {"resourceVersion": version}, "spec": {"taints": list}}))
        }
        NodeEdit::Untaint { key, effect } => {
            let list: Vec<api::Taint> = taints
                .iter()
                .filter(|t| !(t.key == *key && effect.is_none_or(|e| e.as_str() == t.effect)))
                .cloned()
                .collect();
            (list.len() != taints.len()).then(
                || json!({"metadata": {"resourceVersion": version}, "spec": {"taints": list}}),
            )
        }
    }
}
