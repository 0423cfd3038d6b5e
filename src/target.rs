//! `herd target`: a DaemonSet's node-targeting edit from a pipeline. It reads the flags into
//! the wanted targeting, previews it on the cluster as it is (`herd_core::targeting`), and
//! applies it over the targeting it read (`herd_cluster::target`) unless told not to.

mod stage;

use std::path::Path;

use serde::Serialize;

use crate::rollout::{record_actions, say};
use herd_cluster::connect::ConnectOptions;
use herd_cluster::target::{self, TargetError};
use herd_core::model::placement::{PlacementSpec, TaintEffect, Toleration};
use herd_core::targeting::preview::{Preview, preview};
use herd_core::targeting::spelling::{format_toleration, parse_node_selector, parse_toleration};
use herd_core::targeting::stage::without_hold;
use herd_core::targeting::validate::validate;

/// `herd target`'s flags, as the command line read them.
#[derive(Debug, Clone, Default)]
pub struct TargetArgs {
    pub namespace: String,
    pub daemonset: String,
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    pub node_selector: Option<String>,
    pub add_toleration: Vec<String>,
    pub remove_toleration: Vec<String>,
    pub affinity_file: Option<std::path::PathBuf>,
    pub dry_run: bool,
    pub force: bool,
    pub output: String,
    pub stage: bool,
    pub batch: String,
    pub order_by: Option<String>,
    pub wait: bool,
    pub resume: bool,
    pub rollback: bool,
}

/// The edit the flags ask for, applied to the targeting read from the cluster.
#[derive(Debug, Default)]
pub struct Edit {
    node_selector: Option<std::collections::BTreeMap<String, String>>,
    add: Vec<Toleration>,
    remove: Vec<(String, Option<TaintEffect>)>,
    affinity: Option<Option<Vec<herd_core::model::placement::NodeSelectorTerm>>>,
}

impl Edit {
    /// The flags read; a flag that does not parse is named with its text.
    pub fn from_args(args: &TargetArgs) -> Result<Edit, String> {
        let mut edit = Edit::default();
        if let Some(text) = &args.node_selector {
            edit.node_selector =
                Some(parse_node_selector("--node-selector", text).map_err(|e| e.to_string())?);
        }
        for text in &args.add_toleration {
            edit.add
                .push(parse_toleration("--add-toleration", text).map_err(|e| e.to_string())?);
        }
        for text in &args.remove_toleration {
            let (key, effect) = match text.split_once(':') {
                Some((key, effect)) => {
                    let effect = effect.parse::<TaintEffect>().map_err(|_| {
                        format!("--remove-toleration {text:?}: unknown effect {effect:?} (NoSchedule, PreferNoSchedule or NoExecute)")
                    })?;
                    (key, Some(effect))
                }
                None => (text.as_str(), None),
            };
            if key.is_empty() {
                return Err(format!(
                    "--remove-toleration {text:?}: expected KEY[:EFFECT]"
                ));
            }
            edit.remove.push((key.to_string(), effect));
        }
        if let Some(path) = &args.affinity_file {
            edit.affinity = Some(read_affinity(path)?);
        }
        if edit.node_selector.is_none()
            && edit.add.is_empty()
            && edit.remove.is_empty()
            && edit.affinity.is_none()
        {
            return Err(
                "nothing to change: give --node-selector, --add-toleration, \
                        --remove-toleration or --affinity-file"
                    .into(),
            );
        }
        Ok(edit)
    }

    /// `current` with the edit made; a removal that matches no toleration is an error, so a
    /// typo does not pass for "done".
    pub fn apply(&self, current: &PlacementSpec) -> Result<PlacementSpec, String> {
        let mut wanted = current.clone();
        if let Some(selector) = &self.node_selector {
            wanted.node_selector = selector.clone();
        }
        for (key, effect) in &self.remove {
            let before = wanted.tolerations.len();
            wanted
                .tolerations
                .retain(|t| !(t.key == *key && effect.is_none_or(|e| t.effect == Some(e))));
            if wanted.tolerations.len() == before {
                let has: Vec<String> = current.tolerations.iter().map(format_toleration).collect();
                return Err(format!(
                    "--remove-toleration {key}{}: the DaemonSet has no such toleration (it has: {})",
                    effect.map(|e| format!(":{e}")).unwrap_or_default(),
                    if has.is_empty() {
                        "none".into()
                    } else {
                        has.join(", ")
                    }
                ));
            }
        }
        for t in &self.add {
            if !wanted.tolerations.contains(t) {
                wanted.tolerations.push(t.clone());
            }
        }
        if let Some(affinity) = &self.affinity {
            wanted.required_terms = affinity.clone();
        }
        Ok(wanted)
    }
}

fn read_affinity(
    path: &Path,
) -> Result<Option<Vec<herd_core::model::placement::NodeSelectorTerm>>, String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--affinity-file {shown}: {e}"))?;
    let value: serde_json::Value = if text.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_saphyr::from_str(&text)
            .map_err(|e| format!("--affinity-file {shown}: not YAML or JSON: {e}"))?
    };
    herd_convert::convert::required_terms_from(&value)
        .map_err(|e| format!("--affinity-file {shown}: {e}"))
}

/// `-o json`.
#[derive(Debug, Serialize)]
struct Report<'a> {
    daemonset: String,
    changes: &'a [String],
    gains: Vec<Change<'a>>,
    losses: Vec<Change<'a>>,
    keeps: usize,
    after: Vec<&'a str>,
    per_pod: Requests,
    no_fit: Vec<NoFit>,
    warnings: Vec<String>,
    rolls: String,
    /// `applied`, `staged`, `dry-run`, `nothing to do` or `refused`.
    outcome: &'a str,
}

#[derive(Debug, Serialize)]
struct Change<'a> {
    node: &'a str,
    reason: &'a str,
}

#[derive(Debug, Serialize)]
struct Requests {
    cpu_millis: i64,
    memory_bytes: i64,
}

#[derive(Debug, Serialize)]
struct NoFit {
    node: String,
    short: Vec<String>,
}

fn report<'a>(key: String, p: &'a Preview, outcome: &'a str) -> Report<'a> {
    let changes = |v: &'a [herd_core::targeting::delta::NodeChange]| {
        v.iter()
            .map(|c| Change {
                node: &c.node,
                reason: &c.reason,
            })
            .collect()
    };
    Report {
        daemonset: key,
        changes: &p.changes,
        gains: changes(&p.gains),
        losses: changes(&p.losses),
        keeps: p.keeps,
        after: p.after.iter().map(|n| &**n).collect(),
        per_pod: Requests {
            cpu_millis: p.per_pod.cpu_millis,
            memory_bytes: p.per_pod.memory_bytes,
        },
        no_fit: p
            .no_fit
            .iter()
            .map(|n| NoFit {
                node: n.node.to_string(),
                short: n.shortfalls.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
        warnings: p.warnings.iter().map(|w| w.to_string()).collect(),
        rolls: p.rolls.to_string(),
        outcome,
    }
}

/// The preview as a person reads it.
pub fn table(key: &str, p: &Preview) -> Vec<String> {
    use herd_core::analysis::units;
    let mut lines = vec![format!("daemonset {key}: {}", p.changes.join("; "))];
    lines.push(p.headline());
    lines.push(p.rolls.to_string());
    lines.push(format!(
        "each new pod requests {} CPU, {} memory",
        units::cpu(p.per_pod.cpu_millis),
        units::memory(p.per_pod.memory_bytes)
    ));
    if !p.gains.is_empty() || !p.losses.is_empty() {
        let width = p
            .gains
            .iter()
            .chain(&p.losses)
            .map(|c| c.node.len())
            .max()
            .unwrap_or(4)
            .max(4);
        lines.push(format!("    {:width$}  REASON", "NODE"));
        for (sign, list) in [("+", &p.gains), ("-", &p.losses)] {
            for c in list {
                lines.push(format!("  {sign} {:width$}  {}", c.node, c.reason));
            }
        }
    }
    for n in &p.no_fit {
        let short: Vec<String> = n.shortfalls.iter().map(|s| s.to_string()).collect();
        lines.push(format!("will not fit on {}: {}", n.node, short.join(", ")));
    }
    for w in &p.warnings {
        lines.push(format!("warning: {w}"));
    }
    lines
}

/// Runs `herd target`; returns the exit code (see the CLI's help).
pub async fn run(args: TargetArgs) -> i32 {
    let fail = |e: String| {
        eprintln!("herd target: {e}");
        2
    };
    let staging = match stage::options(&args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if args.resume || args.rollback {
        let connect = ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            compression: herd_cluster::connect::Compression::Auto,
        };
        return match herd_cluster::connect::connect(&connect).await {
            Ok(client) => stage::command(&args, &client).await,
            Err(e) => fail(format!("{e:#}")),
        };
    }
    let edit = match Edit::from_args(&args) {
        Ok(edit) => edit,
        Err(e) => return fail(e),
    };
    let json = match args.output.as_str() {
        "table" => false,
        "json" => true,
        other => return fail(format!("-o {other:?}: expected table or json")),
    };
    let connect = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        compression: herd_cluster::connect::Compression::Auto,
    };
    let client = match herd_cluster::connect::connect(&connect).await {
        Ok(c) => c,
        Err(e) => return fail(format!("{e:#}")),
    };
    let (ns, name) = (&args.namespace, &args.daemonset);
    let snap = match target::snapshot(&client, ns, name).await {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let key = snap.daemon_set.key();
    match herd_cluster::target::stage::record_of(&snap.daemon_set) {
        Err(e) => return fail(format!("daemonset {key}: {e}")),
        Ok(Some(r)) if !r.state.is_final() => {
            return fail(format!(
                "daemonset {key} stages an edit ({}): roll it back (--rollback) or let it finish first",
                r.state.describe()
            ));
        }
        _ => {}
    }
    let base = snap.daemon_set.targeting.spec().clone();
    // A finished staging's hold requirement matches no node: the next edit leaves it out.
    let wanted = match edit.apply(&base) {
        Ok(w) => without_hold(&w),
        Err(e) => return fail(e),
    };
    let rules = validate(&wanted);
    if !rules.is_empty() {
        let lines: Vec<String> = rules.iter().map(|r| format!("  {r}")).collect();
        return fail(format!(
            "daemonset {key}: the edit is invalid, nothing was sent:\n{}",
            lines.join("\n")
        ));
    }
    let p = preview(&snap.fleet, &snap.daemon_set, &wanted);
    let outcome = if p.is_noop() {
        "nothing to do"
    } else if args.dry_run {
        "dry-run"
    } else if !p.warnings.is_empty() && !args.force {
        "refused"
    } else if staging.is_some() && !p.gains.is_empty() {
        "staged"
    } else {
        "applied"
    };
    let stage_with = staging.as_ref().filter(|_| outcome == "staged");
    if matches!(outcome, "applied" | "staged")
        && let Err(e) = write(&client, ns, name, &base, &wanted, &p, stage_with).await
    {
        eprintln!("herd target: {e}");
        return match e {
            TargetError::Conflict { .. } => 1,
            _ => 2,
        };
    }
    if json {
        match serde_json::to_string_pretty(&report(key.clone(), &p, outcome)) {
            Ok(text) => say(text),
            Err(e) => return fail(e.to_string()),
        }
    } else {
        for line in table(&key, &p) {
            say(line);
        }
        say(match outcome {
            "refused" => {
                "refused: the preview warns (above); --force applies it anyway".to_string()
            }
            "dry-run" => "dry run: nothing was changed".to_string(),
            "staged" => format!(
                "staged: {} node(s) held, released in batches of {}; herd engine, the TUI or \
                 `herd target -n {ns} {name} --resume --wait` carries it on, \
                 `--rollback` undoes it",
                p.gains.len(),
                staging
                    .as_ref()
                    .map(|s| s.batch.to_string())
                    .unwrap_or_default()
            ),
            other => other.to_string(),
        });
    }
    if outcome == "staged" && args.wait {
        return stage::wait(&client, ns, name).await;
    }
    i32::from(outcome == "refused")
}

async fn write(
    client: &kube::Client,
    ns: &str,
    name: &str,
    base: &PlacementSpec,
    wanted: &PlacementSpec,
    p: &Preview,
    staging: Option<&target::stage::StageOptions>,
) -> Result<(), TargetError> {
    let applied = match staging {
        Some(options) => {
            let gains: Vec<_> = p
                .gains
                .iter()
                .map(|g| std::sync::Arc::clone(&g.node))
                .collect();
            target::stage::start(
                client,
                ns,
                name,
                target::stage::Staged {
                    base,
                    wanted,
                    gains: &gains,
                    summary: &p.headline(),
                },
                options,
            )
            .await?
        }
        None => target::apply(client, ns, name, base, wanted, &p.headline()).await?,
    };
    for problem in record_actions("herd target", &applied.actions, &applied.trouble) {
        eprintln!("herd target: {problem}");
    }
    Ok(())
}
