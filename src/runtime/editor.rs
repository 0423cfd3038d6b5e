//! `E`: a DaemonSet's node targeting in $EDITOR, the way `kubectl edit` does it. The document is
//! written into a private directory herd creates (0700, the file 0600, written whole then
//! renamed into place); the editor named by KUBE_EDITOR, else EDITOR, else `vi` runs on it; what
//! is saved is read back by Kubernetes' rules. A document that does not pass reopens with the
//! problems as comments at its top and the person's text kept; saved again unchanged, the edit
//! stops and the file is left where it is, named on the flash line, so no edit is lost.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Command;

use herd_convert::targeting_doc::{from_document, to_document};
use herd_core::model::placement::PlacementSpec;

/// The editor's command, as `kubectl edit` chooses it.
fn editor() -> String {
    ["KUBE_EDITOR", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

fn header(daemon_set: &str, problems: &[String]) -> String {
    let mut text = String::new();
    if !problems.is_empty() {
        text.push_str("# The edit was not used:\n");
        for p in problems {
            text.push_str(&format!("#   {}\n", p.replace('\n', " ")));
        }
        text.push_str("#\n");
    }
    text.push_str(&format!(
        "# The node targeting of DaemonSet {daemon_set} (its pod template's nodeSelector,\n\
         # required node affinity and tolerations). Lines starting with '#' are ignored.\n\
         # Saved, it opens in herd's preview; nothing is applied until you confirm there.\n\
         # An empty file leaves the DaemonSet as it is; {{}} clears all three fields.\n"
    ));
    text
}

/// Writes `text` to `path` whole: a sibling file (0600, never an existing one) renamed over it.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let staging = path.with_extension("yaml.new");
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&staging)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    fs::rename(&staging, path)
}

fn without_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_editor(path: &Path) -> Result<(), String> {
    let command = editor();
    // Through the shell, as kubectl splits it: EDITOR="code --wait" works.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$1\""))
        .arg("herd-edit")
        .arg(path)
        .status()
        .map_err(|e| format!("could not run the editor {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the editor {command:?} exited with {status}: nothing changed"
        ))
    }
}

/// Runs the edit to its end (blocking: the terminal is the editor's meanwhile). `Ok(None)`
/// when the person saved nothing new.
pub fn edit_targeting(
    daemon_set: &str,
    base: &PlacementSpec,
) -> Result<Option<PlacementSpec>, String> {
    let dir = tempfile::Builder::new()
        .prefix("herd-edit-")
        .tempdir()
        .map_err(|e| format!("could not make a private directory for the edit: {e}"))?;
    let file_name = format!("{}.yaml", daemon_set.replace('/', "-"));
    let path = dir.path().join(file_name);
    let original = match to_document(base) {
        serde_json::Value::Object(map) if map.is_empty() => String::new(),
        doc => serde_saphyr::to_string(&doc).map_err(|e| format!("could not write YAML: {e}"))?,
    };
    let mut body = original.clone();
    let mut problems: Vec<String> = Vec::new();
    loop {
        write_private(&path, &format!("{}{body}", header(daemon_set, &problems)))
            .map_err(|e| format!("could not write the edit file: {e}"))?;
        run_editor(&path)?;
        let saved =
            fs::read_to_string(&path).map_err(|e| format!("could not read the edit back: {e}"))?;
        let edited = without_comments(&saved);
        if edited.trim().is_empty() || (problems.is_empty() && edited.trim() == original.trim()) {
            return Ok(None);
        }
        let parsed = serde_saphyr::from_str::<serde_json::Value>(&edited)
            .map_err(|e| vec![format!("not YAML: {e}")])
            .and_then(|doc| from_document(&doc, base));
        match parsed {
            Ok(spec) if spec == *base => return Ok(None),
            Ok(spec) => return Ok(Some(spec)),
            Err(found) => {
                if !problems.is_empty() && edited.trim() == body.trim() {
                    // Saved unchanged after the problems were shown: stop, keeping the file.
                    let kept = dir.keep();
                    return Err(format!(
                        "not applied: {}; your edit is kept in {}",
                        found.join("; "),
                        kept.join(path.file_name().unwrap_or_default()).display()
                    ));
                }
                problems = found;
                body = edited;
                if !body.ends_with('\n') {
                    body.push('\n');
                }
            }
        }
    }
}
