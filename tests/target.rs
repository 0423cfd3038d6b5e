//! `herd target` and node-targeting writes against the simulator over HTTP, as a pipeline and
//! a person use them: each field's edit applied and settled finds the real node set equal to
//! the preview; a warned edit is refused unless forced; every invalid input is refused naming
//! the field and the rule, sending nothing; a change made with kubectl between reading and
//! applying is never overwritten; node labels and taints move the daemons the preview says.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::objects::world_ds;
use common::placement::{nodes_with_pod, settles_on};
use common::rollout::{audit_lines, code, demo, herd_target, text};
use common::server::{TestSim, require_kubectl, succeeded};
use herd_cluster::target::{self, TargetError};
use herd_core::model::placement::{TaintEffect, Toleration};
use herd_core::targeting::nodes::{self, NodeEdit};

/// `herd target … -o json`, parsed, with its exit code.
async fn target_json(sim: &TestSim, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let out = herd_target(sim, &all).await;
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)));
    (code(&out).expect("an exit code"), report)
}

/// The preview's `after`, as a set.
fn after(report: &serde_json::Value) -> BTreeSet<String> {
    report["after"]
        .as_array()
        .expect("after")
        .iter()
        .map(|n| n.as_str().expect("a node").to_string())
        .collect()
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|c| c["node"].as_str().expect("a node").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_field_edited_settles_on_the_nodes_the_preview_named() {
    let sim = demo().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let affinity = dir.path().join("affinity.yaml");
    std::fs::write(
        &affinity,
        "nodeSelectorTerms:\n- matchExpressions:\n  - key: pool\n    operator: NotIn\n    values: [storage]\n",
    )
    .expect("write the affinity file");
    let affinity = affinity.to_str().expect("a path").to_string();
    let cases: [(&str, &str, Vec<&str>); 3] = [
        // A toleration: falco gains the six GPU nodes. The NotReady general-07 loses its
        // pod: the rolling update deletes it and cannot create one there.
        (
            "falco",
            "falco",
            vec!["--add-toleration", "nvidia.com/gpu=present:NoSchedule"],
        ),
        // A nodeSelector: fluent-bit leaves the GPU and storage pools.
        (
            "logging",
            "fluent-bit",
            vec!["--node-selector", "pool=general"],
        ),
        // Required node affinity from a file: node-exporter leaves the storage nodes.
        (
            "monitoring",
            "node-exporter",
            vec!["--affinity-file", affinity.as_str()],
        ),
    ];
    for (ns, ds, flags) in &cases {
        let mut args = vec!["-n", ns, ds];
        args.extend(flags.iter().copied());
        let before = nodes_with_pod(&sim, ns, ds);
        let (exit, report) = target_json(&sim, &args).await;
        assert_eq!(exit, 0, "{ds}: {report}");
        assert_eq!(report["outcome"], "applied", "{ds}: {report}");
        let want = after(&report);
        assert_ne!(want, before, "{ds}: the edit moves the daemon");
        settles_on(&sim, ns, ds, &want).await;
    }
    let falco = world_ds(&sim, "falco", "falco");
    assert!(
        falco.spec.template.spec.unwrap().tolerations.unwrap().len() == 2,
        "the control-plane toleration is kept beside the new one"
    );
    // Every apply is audited with the kubectl patch that makes it.
    let audited: Vec<_> = audit_lines(&sim)
        .into_iter()
        .filter(|l| l["reason"] == "Retargeted")
        .collect();
    assert_eq!(audited.len(), 3, "{audited:?}");
    assert!(
        audited[0]["kubectl"]
            .as_str()
            .unwrap()
            .starts_with("kubectl patch daemonset -n falco falco --type merge -p"),
        "{audited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_empties_the_daemonset_is_refused_unless_forced() {
    let sim = demo().await;
    let (ns, ds) = ("gpu-operator", "nvidia-device-plugin");
    let version = || world_ds(&sim, ns, ds).metadata.resource_version;
    let before = version();
    let flags = ["-n", ns, ds, "--remove-toleration", "nvidia.com/gpu"];
    let (exit, report) = target_json(&sim, &flags).await;
    assert_eq!(exit, 1, "{report}");
    assert_eq!(report["outcome"], "refused");
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("target no node"), "{warnings}");
    assert!(
        warnings.contains("removes the daemon from every node that runs it (6)"),
        "{warnings}"
    );
    assert_eq!(names(&report["losses"]).len(), 6);
    assert_eq!(version(), before, "refused: nothing written");
    let out = herd_target(&sim, &[&flags[..], &["--dry-run"]].concat()).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(text(&out).contains("dry run: nothing was changed"));
    assert_eq!(version(), before, "dry run: nothing written");
    let (exit, report) = target_json(&sim, &[&flags[..], &["--force"]].concat()).await;
    assert_eq!(
        (exit, &report["outcome"]),
        (0, &serde_json::json!("applied"))
    );
    settles_on(&sim, ns, ds, &BTreeSet::new()).await;
    // Once more: nothing left to remove is bad input, named.
    let out = herd_target(&sim, &flags).await;
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert!(
        text(&out)
            .contains("--remove-toleration nvidia.com/gpu: the DaemonSet has no such toleration"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_edit_names_the_field_and_the_rule_and_sends_nothing() {
    let sim = demo().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).expect("write");
        path.to_str().expect("a path").to_string()
    };
    let no_values = file(
        "in.yaml",
        "nodeSelectorTerms:\n- matchExpressions:\n  - {key: pool, operator: In}\n",
    );
    let two = file(
        "gt.yaml",
        "nodeSelectorTerms:\n- matchExpressions:\n  - {key: cores, operator: Gt, values: ['1', '2']}\n",
    );
    let field = file(
        "field.yaml",
        "nodeSelectorTerms:\n- matchFields:\n  - {key: metadata.labels, operator: In, values: [a]}\n",
    );
    let garbage = file("bad.yaml", "nodeSelectorTerms: 7\n");
    let terms = "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]";
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--node-selector", "pool"],
            "--node-selector: \"pool\": expected KEY=VALUE".into(),
        ),
        (
            vec!["--node-selector", "bad key=x"],
            "spec.template.spec.nodeSelector[bad key]: label key name \"bad key\"".into(),
        ),
        (
            vec!["--node-selector", "pool=-x"],
            "spec.template.spec.nodeSelector[pool]: label value \"-x\"".into(),
        ),
        (
            vec!["--add-toleration", "gpu:NoRun"],
            "--add-toleration: \"gpu:NoRun\": unknown effect \"NoRun\"".into(),
        ),
        (
            vec!["--add-toleration", "gpu:NoSchedule for 30s"],
            "tolerations[1].effect: effect must be 'NoExecute' when `tolerationSeconds` is set"
                .into(),
        ),
        (
            vec!["--add-toleration", "gpu=a b:NoSchedule"],
            "tolerations[1].operator: label value \"a b\"".into(),
        ),
        (
            vec!["--remove-toleration", "gpu:Sometimes"],
            "--remove-toleration \"gpu:Sometimes\": unknown effect".into(),
        ),
        (
            vec!["--affinity-file", no_values.as_str()],
            format!(
                "{terms}.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
            ),
        ),
        (
            vec!["--affinity-file", two.as_str()],
            format!(
                "{terms}.matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"
            ),
        ),
        (
            vec!["--affinity-file", field.as_str()],
            format!("{terms}.matchFields[0].key: Invalid value: \"metadata.labels\""),
        ),
        (
            vec!["--affinity-file", garbage.as_str()],
            "not a node selector".into(),
        ),
        (vec![], "nothing to change".into()),
    ];
    let before = world_ds(&sim, "falco", "falco").metadata.resource_version;
    for (flags, says) in &cases {
        let mut args = vec!["-n", "falco", "falco"];
        args.extend(flags.iter().copied());
        let out = herd_target(&sim, &args).await;
        assert_eq!(code(&out), Some(2), "{flags:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says.as_str()), "{flags:?}: {stderr}");
        assert_eq!(
            world_ds(&sim, "falco", "falco").metadata.resource_version,
            before,
            "{flags:?}: nothing sent"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn a_kubectl_patch_between_reading_and_applying_is_never_overwritten() {
    require_kubectl();
    let sim = demo().await;
    let client = sim.client().await;
    let (ns, ds) = ("falco", "falco");
    // The editor opens: it reads the DaemonSet's targeting.
    let snap = target::snapshot(&client, ns, ds).await.expect("a snapshot");
    let base = snap.daemon_set.targeting.spec().clone();
    let mut wanted = base.clone();
    wanted.tolerations.push(Toleration::equal(
        "nvidia.com/gpu",
        "present",
        Some(TaintEffect::NoSchedule),
    ));
    // Someone else changes it meanwhile.
    succeeded(
        &sim.kubectl(&[
            "-n",
            ns,
            "patch",
            "daemonset",
            ds,
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"template":{"spec":{"nodeSelector":{"pool":"general"}}}}}"#,
        ])
        .await,
    );
    let err = target::apply(&client, ns, ds, &base, &wanted, "test")
        .await
        .expect_err("refused");
    let TargetError::Conflict {
        theirs, current, ..
    } = &err
    else {
        panic!("a conflict, not {err}");
    };
    assert_eq!(theirs, &["nodeSelector + pool=general"]);
    assert!(
        err.to_string()
            .contains("changed since it was read, nothing was written")
    );
    let now = world_ds(&sim, ns, ds).spec.template.spec.unwrap();
    assert_eq!(now.tolerations.unwrap().len(), 1, "herd wrote nothing");
    assert_eq!(
        now.node_selector.unwrap()["pool"],
        "general",
        "theirs is kept"
    );
    // Rebased on what is there now, the edit goes through and keeps their selector.
    let mut rebased = current.clone();
    rebased.tolerations = wanted.tolerations.clone();
    target::apply(&client, ns, ds, current, &rebased, "test")
        .await
        .expect("applied over the current targeting");
    let now = world_ds(&sim, ns, ds).spec.template.spec.unwrap();
    assert_eq!(now.tolerations.unwrap().len(), 2);
    assert_eq!(now.node_selector.unwrap()["pool"], "general");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_label_moves_the_daemonsets_the_preview_names() {
    let sim = demo().await;
    let client = sim.client().await;
    let snap = target::snapshot(&client, "storage", "csi-rbdplugin")
        .await
        .expect("a snapshot");
    let node: Arc<str> = Arc::from("general-01");
    let edit = NodeEdit::Label {
        key: "node-role.herd.dev/storage".into(),
        value: "true".into(),
    };
    let deltas = nodes::preview(&snap.fleet, std::slice::from_ref(&node), &edit);
    let moved: Vec<&str> = deltas.iter().map(|d| d.daemon_set.as_str()).collect();
    assert_eq!(moved, ["storage/csi-rbdplugin"], "{deltas:?}");
    let changed = target::apply_node_edit(&client, std::slice::from_ref(&node), &edit)
        .await
        .expect("labelled");
    assert_eq!(changed, [Arc::clone(&node)]);
    let want: BTreeSet<String> = {
        let mut now = nodes_with_pod(&sim, "storage", "csi-rbdplugin");
        now.insert(node.to_string());
        now
    };
    settles_on(&sim, "storage", "csi-rbdplugin", &want).await;
    // Again: the node already carries it, nothing is written.
    let again = target::apply_node_edit(&client, std::slice::from_ref(&node), &edit)
        .await
        .expect("nothing to do");
    assert!(again.is_empty());
    // A NoExecute taint evicts what does not tolerate it; the preview says which.
    let snap = target::snapshot(&client, "falco", "falco")
        .await
        .expect("a snapshot");
    let taint = NodeEdit::Taint(herd_core::model::placement::Taint::new(
        "maintenance",
        "",
        TaintEffect::NoExecute,
    ));
    let deltas = nodes::preview(&snap.fleet, std::slice::from_ref(&node), &taint);
    let losing: BTreeSet<&str> = deltas
        .iter()
        .filter(|d| !d.losses.is_empty())
        .map(|d| d.daemon_set.as_str())
        .collect();
    // The two that tolerate only named taints; csi-rbdplugin and the rest tolerate all.
    assert_eq!(
        losing,
        BTreeSet::from(["falco/falco", "kube-system/node-problem-detector"]),
        "{deltas:?}"
    );
    assert!(deltas.iter().all(|d| d.gains.is_empty()));
    assert_eq!(
        deltas[0].losses[0].reason,
        "untolerated taint maintenance:NoExecute: its pod there is deleted"
    );
    target::apply_node_edit(&client, std::slice::from_ref(&node), &taint)
        .await
        .expect("tainted");
    let mut want = nodes_with_pod(&sim, "falco", "falco");
    want.remove(&*node);
    settles_on(&sim, "falco", "falco", &want).await;
    assert!(nodes_with_pod(&sim, "logging", "fluent-bit").contains(&*node));
    // An invalid label is refused before anything is sent.
    let bad = NodeEdit::Label {
        key: "bad key".into(),
        value: "x".into(),
    };
    let err = target::apply_node_edit(&client, &[node], &bad)
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("metadata.labels[bad key]: label key name"),
        "{err}"
    );
}
