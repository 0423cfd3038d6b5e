//! `T` on a DaemonSet: the node-targeting editor (nodeSelector, required node affinity,
//! tolerations, typed), previewed on every key; `f` on a node it does not cover: the fixes the
//! reason suggests. A targeting fix opens the editor with the fix made, so it is previewed and
//! applied the same way; a node fix asks to label the node, with the DaemonSets that move.
//! A write refused because someone changed the targeting meanwhile reopens the editor, the
//! edit carried over onto their change.

use std::sync::Arc;

use crate::action::{Staging, Write};
use crate::completion;
use crate::effect::Effect;
use crate::selection;
use crate::state::{Level, Mode, State, TargetForm};
use crate::update::{flash, input, refuse_readonly};
use crate::view::Motion;
use herd_core::model::placement::PlacementSpec;
use herd_core::targeting::fix::{self, FixEdit};
use herd_core::targeting::nodes::{self, NodeEdit};
use herd_core::targeting::preview::{changes, preview};
use herd_core::targeting::rebase::rebase;
use herd_core::targeting::stage::{
    ANNOTATION as STAGE_ANNOTATION, Batch, OFFER_FROM, StageRecord, without_hold,
};
use herd_core::targeting::vocabulary::Vocabulary;

/// Opens the editor on the selected DaemonSet, its fields showing `shown` (its own
/// targeting, or a fix of it).
fn open_form(state: &mut State, uid: Arc<str>, shown: Option<PlacementSpec>, note: Option<String>) {
    let Some(ds) = state.fleet.daemon_set(&uid) else {
        return;
    };
    let base = ds.targeting.spec().clone();
    open_form_over(state, uid, base, shown, note);
}

/// The editor over `base` (the targeting read when the edit began).
fn open_form_over(
    state: &mut State,
    uid: Arc<str>,
    base: PlacementSpec,
    shown: Option<PlacementSpec>,
    note: Option<String>,
) {
    // A finished staging's hold requirement matches no node: the next edit leaves it out.
    let shown = shown.unwrap_or_else(|| without_hold(&base));
    let mut form = TargetForm::new(uid, base, &shown, Arc::new(Vocabulary::of(&state.fleet)));
    form.note = note;
    state.ui.mode = Mode::TargetForm(Box::new(form));
    refresh_preview(state);
}

pub fn open(state: &mut State) -> Vec<Effect> {
    if refuse_readonly(state) {
        return Vec::new();
    }
    if let Some(uid) = selection::selected_daemon_set(state)
        && !refuse_while_staging(state, &uid)
    {
        open_form(state, uid, None, None);
    }
    Vec::new()
}

/// A DaemonSet whose staged edit is still in hand is not edited again (the edit would drop
/// the hold and give every held node its pod at once): says so and returns `true`.
fn refuse_while_staging(state: &mut State, uid: &str) -> bool {
    let Some(ds) = state.fleet.daemon_set(uid) else {
        return false;
    };
    let Some(record) = staging_record(ds).filter(|r| !r.state.is_final()) else {
        return false;
    };
    let message = format!(
        "{}/{} stages a targeting edit ({}): :stage rollback, or let it finish first",
        ds.namespace,
        ds.name,
        record.state.describe()
    );
    flash(state, Level::Warn, message);
    true
}

/// The DaemonSet's staging record, when it has one herd can read.
pub fn staging_record(ds: &herd_core::model::daemonset::DaemonSet) -> Option<StageRecord> {
    ds.annotations
        .get(STAGE_ANNOTATION)
        .and_then(|text| StageRecord::decode(text).ok())
}

/// `E`: the targeting as YAML in $EDITOR; what is saved comes back to the editor's preview.
pub fn edit_yaml(state: &mut State) -> Vec<Effect> {
    if refuse_readonly(state) {
        return Vec::new();
    }
    let Some(uid) = selection::selected_daemon_set(state) else {
        return Vec::new();
    };
    if refuse_while_staging(state, &uid) {
        return Vec::new();
    }
    let Some(ds) = state.fleet.daemon_set(&uid) else {
        return Vec::new();
    };
    vec![Effect::EditTargeting {
        daemon_set: ds.key(),
        base: ds.targeting.spec().clone(),
        uid,
    }]
}

/// Back from $EDITOR: a saved targeting opens in the editor with its preview, to be applied
/// (or not) the same way as one typed; nothing changed or a failure is said on the flash line.
pub fn edited(
    state: &mut State,
    uid: Arc<str>,
    base: PlacementSpec,
    result: Result<Option<PlacementSpec>, String>,
) -> Vec<Effect> {
    state.dirty = true;
    match result {
        Ok(Some(spec)) => open_form_over(
            state,
            uid,
            base,
            Some(spec),
            Some("from $EDITOR: review the preview, then enter".to_string()),
        ),
        Ok(None) => flash(state, Level::Info, "edit cancelled, no changes made"),
        Err(e) => flash(state, Level::Error, e),
    }
    Vec::new()
}

/// Previews the fields as typed against the fleet as it is (after each key).
pub fn refresh_preview(state: &mut State) {
    let Mode::TargetForm(form) = &state.ui.mode else {
        return;
    };
    let result = match (form.wanted(), state.fleet.daemon_set(&form.uid)) {
        (Ok(wanted), Some(ds)) => Ok(preview(&state.fleet, ds, &wanted)),
        (Err(problems), _) => Err(problems),
        (_, None) => Err(vec!["the DaemonSet is gone".to_string()]),
    };
    if let Mode::TargetForm(form) = &mut state.ui.mode {
        form.preview = result;
    }
}

/// `→`: the word being typed becomes the first completion the fleet offers.
pub fn complete(state: &mut State) {
    if let Mode::TargetForm(form) = &mut state.ui.mode {
        let found = completion::target_field(form);
        if found.accept(form.field_mut()) {
            refresh_preview(state);
        }
    }
}

pub fn next_field(state: &mut State) {
    if let Mode::TargetForm(form) = &mut state.ui.mode {
        form.focus = (form.focus + 1) % TargetForm::FIELDS.len();
    }
}

/// Enter in the editor: a valid edit that changes something goes on to the typed-name
/// confirmation (it replaces every pod under RollingUpdate); otherwise the editor stays open
/// and says why.
pub fn submit(state: &mut State, form: Box<TargetForm>) -> Vec<Effect> {
    let Some(ds) = state.fleet.daemon_set(&form.uid) else {
        return Vec::new();
    };
    let (namespace, name) = (Arc::clone(&ds.namespace), Arc::clone(&ds.name));
    let wanted = match (form.wanted(), &form.preview) {
        (Ok(wanted), Ok(p)) if !p.is_noop() => (wanted, p.headline()),
        (Ok(_), _) => {
            flash(state, Level::Warn, "nothing changed: nothing to apply");
            state.ui.mode = Mode::TargetForm(form);
            return Vec::new();
        }
        (Err(problems), _) => {
            let first = problems.first().cloned().unwrap_or_default();
            flash(state, Level::Warn, format!("cannot apply: {first}"));
            state.ui.mode = Mode::TargetForm(form);
            return Vec::new();
        }
    };
    let (wanted, headline) = wanted;
    let summary = format!("{} ({headline})", changes(&form.base, &wanted).join("; "));
    let stage = form
        .preview
        .as_ref()
        .ok()
        .and_then(|p| offer_staging(state, p));
    let offered = stage.is_some();
    let write = Write::Retarget {
        namespace,
        name,
        base: form.base.clone(),
        wanted,
        summary,
        stage,
    };
    if offered {
        state.ui.mode = Mode::StageChoice { form, write };
        return Vec::new();
    }
    input::request(state, write)
}

/// The node labels a staging can release in the order of, first choice first: zone by zone,
/// then region by region, then the instance type; by node name when none is carried.
const ORDER_LABELS: [&str; 3] = [
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "node.kubernetes.io/instance-type",
];

/// Batch sizes `b` cycles through in the staging choice.
const BATCHES: [Batch; 4] = [
    Batch::Percent(10),
    Batch::Percent(25),
    Batch::Percent(50),
    Batch::Count(1),
];

/// The order labels some gained node carries, in [`ORDER_LABELS`]' order.
fn order_labels(state: &State, gains: &[Arc<str>]) -> Vec<&'static str> {
    ORDER_LABELS
        .into_iter()
        .filter(|label| {
            gains.iter().any(|g| {
                state
                    .fleet
                    .node(g)
                    .is_some_and(|n| n.labels.contains_key(*label))
            })
        })
        .collect()
}

/// Staging, offered when the edit adds the daemon to many nodes: a tenth of them at a time,
/// zone by zone when they carry a zone label.
fn offer_staging(state: &State, p: &herd_core::targeting::preview::Preview) -> Option<Staging> {
    if p.gains.len() < OFFER_FROM {
        return None;
    }
    let gains: Vec<Arc<str>> = p.gains.iter().map(|g| Arc::clone(&g.node)).collect();
    let order_by = order_labels(state, &gains).first().map(|l| l.to_string());
    Some(Staging {
        batch: BATCHES[0],
        order_by,
        gains,
    })
}

/// `b` and `o` in the staging choice: the next batch size, or the next order (through the
/// labels the gained nodes carry, then by name).
pub fn cycle_staging(state: &mut State, batch: bool) {
    let Mode::StageChoice {
        write: Write::Retarget {
            stage: Some(stage), ..
        },
        ..
    } = &state.ui.mode
    else {
        return;
    };
    let labels = order_labels(state, &stage.gains);
    let next_batch = {
        let at = BATCHES.iter().position(|b| *b == stage.batch);
        BATCHES[at.map_or(0, |i| (i + 1) % BATCHES.len())]
    };
    let next_order = {
        let at = stage
            .order_by
            .as_deref()
            .and_then(|o| labels.iter().position(|l| *l == o));
        match at {
            Some(i) => labels.get(i + 1).map(|l| l.to_string()),
            None => labels.first().map(|l| l.to_string()),
        }
    };
    if let Mode::StageChoice {
        write: Write::Retarget {
            stage: Some(stage), ..
        },
        ..
    } = &mut state.ui.mode
    {
        if batch {
            stage.batch = next_batch;
        } else {
            stage.order_by = next_order;
        }
    }
}

/// A key in the staging choice: enter or `s` stages, `a` applies at once; either goes on to
/// the confirmation. `b` and `o` change the batch and the order ([`cycle_staging`]).
pub fn choose_staging(state: &mut State, stage: bool) -> Vec<Effect> {
    let Mode::StageChoice { write, .. } = std::mem::replace(&mut state.ui.mode, Mode::Normal)
    else {
        return Vec::new();
    };
    let write = match write {
        Write::Retarget {
            namespace,
            name,
            base,
            wanted,
            summary,
            stage: staging,
        } => Write::Retarget {
            namespace,
            name,
            base,
            wanted,
            summary,
            stage: staging.filter(|_| stage),
        },
        other => other,
    };
    input::request(state, write)
}

/// esc in the staging choice: back to the editor, the edit as it was.
pub fn back_to_editor(state: &mut State) {
    if let Mode::StageChoice { form, .. } = std::mem::replace(&mut state.ui.mode, Mode::Normal) {
        state.ui.mode = Mode::TargetForm(form);
    }
}

/// `f`: the fixes for the node under the cursor of a DaemonSet's node list, or for a
/// DaemonSet that targets no node.
pub fn open_fixes(state: &mut State) -> Vec<Effect> {
    if refuse_readonly(state) {
        return Vec::new();
    }
    let Some(uid) = selection::selected_daemon_set(state) else {
        return Vec::new();
    };
    let Some(ds) = state.fleet.daemon_set(&uid) else {
        return Vec::new();
    };
    let node = selection::selected_coverage_node(state);
    let fixes = match &node {
        Some(node) => fix::for_node(&state.fleet, ds, node),
        None => fix::closest_values(&state.fleet, ds),
    };
    if fixes.is_empty() {
        let what = match &node {
            Some(node) => format!("{} on {node}: nothing to fix here", ds.key()),
            None => format!(
                "{}: no fix to suggest (on a node row, f fixes that node)",
                ds.key()
            ),
        };
        flash(state, Level::Info, what);
        return Vec::new();
    }
    state.ui.mode = Mode::Fixes {
        uid,
        node,
        fixes,
        cursor: 0,
    };
    Vec::new()
}

pub fn move_fix_cursor(state: &mut State, motion: Motion) {
    if let Mode::Fixes { fixes, cursor, .. } = &mut state.ui.mode {
        let last = fixes.len().saturating_sub(1);
        *cursor = match motion {
            Motion::Up | Motion::PageUp | Motion::Top => cursor.saturating_sub(1),
            Motion::Down | Motion::PageDown | Motion::Bottom => (*cursor + 1).min(last),
        };
    }
}

/// Enter on a fix: a targeting fix opens the editor with it made; a node fix asks first,
/// naming the DaemonSets that gain or lose a pod there.
pub fn choose_fix(
    state: &mut State,
    uid: Arc<str>,
    fixes: Vec<fix::Fix>,
    cursor: usize,
) -> Vec<Effect> {
    let Some(chosen) = fixes.into_iter().nth(cursor) else {
        return Vec::new();
    };
    let Some(ds) = state.fleet.daemon_set(&uid) else {
        return Vec::new();
    };
    match chosen.edit(ds.targeting.spec()) {
        FixEdit::Targeting(spec) => {
            let note = format!("fix: {}", chosen.title());
            open_form(state, uid, Some(spec), Some(note));
            Vec::new()
        }
        FixEdit::Node { node, edit } => request_node_edit(state, vec![node], edit),
    }
}

/// A node edit, with its preview in the confirmation.
pub fn request_node_edit(state: &mut State, nodes: Vec<Arc<str>>, edit: NodeEdit) -> Vec<Effect> {
    let deltas = nodes::preview(&state.fleet, &nodes, &edit);
    let summary = if deltas.is_empty() {
        "no DaemonSet gains or loses a pod there".to_string()
    } else {
        deltas
            .iter()
            .map(|d| {
                let mut parts = Vec::new();
                if !d.gains.is_empty() {
                    parts.push(format!("gains {}", d.gains.len()));
                }
                if !d.losses.is_empty() {
                    parts.push(format!("loses {}", d.losses.len()));
                }
                format!("{} {}", d.daemon_set, parts.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    input::request(
        state,
        Write::EditNodes {
            nodes,
            edit,
            summary,
        },
    )
}

/// The write was refused: someone changed the targeting since the editor read it. The editor
/// reopens over what it is now, the person's edit carried over onto it where the two touch
/// different things; where both changed the same field, the person's fields are shown over
/// theirs and the note says so, so applying again is a decision, never a silent overwrite.
pub fn conflict(
    state: &mut State,
    namespace: &str,
    name: &str,
    theirs: &[String],
    current: PlacementSpec,
    base: &PlacementSpec,
    wanted: &PlacementSpec,
) -> Vec<Effect> {
    let Some(ds) = state.fleet.daemon_set_named(namespace, name) else {
        return Vec::new();
    };
    let uid = Arc::clone(&ds.uid);
    let theirs = theirs.join("; ");
    let (shown, note) = match rebase(base, wanted, &current) {
        Ok(rebased) => (
            rebased,
            format!(
                "changed meanwhile by someone else ({theirs}); your edit is carried over onto it: review, then enter"
            ),
        ),
        Err(fields) => (
            wanted.clone(),
            format!(
                "changed meanwhile by someone else ({theirs}); you both changed {}: your fields below replace theirs if applied",
                fields.join(" and ")
            ),
        ),
    };
    let vocabulary = Arc::new(Vocabulary::of(&state.fleet));
    let mut form = TargetForm::new(uid, current, &shown, vocabulary);
    form.note = Some(note.clone());
    state.ui.mode = Mode::TargetForm(Box::new(form));
    refresh_preview(state);
    flash(
        state,
        Level::Warn,
        format!("{namespace}/{name}: not applied: {note}"),
    );
    Vec::new()
}
