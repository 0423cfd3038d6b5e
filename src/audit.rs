//! The local audit log: one JSON line per action herd takes on a cluster (the engine's batches
//! and state changes, a person's start, pause, resume and abort), with who did it, when, and
//! the kubectl command that would do the same. It is a private file (0600, in a 0700 directory
//! the user alone controls, never written through a symlink), and every append replaces it
//! atomically, so a reader never sees half a line.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use herd_core::engine::action::Action;
use herd_sim::private_file::{Destination, PrivateFileError};

/// Where the log goes by default: `$XDG_STATE_HOME/herd/audit.jsonl`, else
/// `~/.local/state/herd/audit.jsonl`; none without a home.
pub fn default_path() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })?;
    Some(state.join("herd").join("audit.jsonl"))
}

/// One line of the log.
#[derive(Debug, Serialize)]
struct Line<'a> {
    time: Timestamp,
    /// The engine's identity, or `herd rollout` for a person's command.
    actor: &'a str,
    #[serde(flatten)]
    action: &'a Action,
}

/// The log at one path.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn at(path: &Path) -> Self {
        AuditLog {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line per action; on failure nothing is changed.
    pub fn append(&self, actor: &str, actions: &[Action]) -> Result<(), PrivateFileError> {
        if actions.is_empty() {
            return Ok(());
        }
        let place = Destination::check(&self.path, "audit log")?;
        let mut bytes = place.existing()?.unwrap_or_default();
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        for action in actions {
            let line = Line {
                time: Timestamp::now(),
                actor,
                action,
            };
            // A struct of strings always serialises.
            if let Ok(text) = serde_json::to_string(&line) {
                bytes.extend_from_slice(text.as_bytes());
                bytes.push(b'\n');
            }
        }
        place.write(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herd_core::engine::action;

    #[test]
    fn lines_are_appended_to_a_private_file_and_a_symlink_is_refused() {
        let dir = herd_sim::private_file::fresh_private_dir("herd-audit-").unwrap();
        let path = dir.path().join("state").join("audit.jsonl");
        let log = AuditLog::at(&path);
        let one = action::batch("logging", "fluent-bit", 1, &["fb-1".into()]);
        let two = action::batch("logging", "fluent-bit", 2, &["fb-2".into()]);
        log.append("engine-0", std::slice::from_ref(&one)).unwrap();
        log.append("engine-0", std::slice::from_ref(&two)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["actor"], "engine-0");
        assert_eq!(lines[1]["reason"], "RolloutBatch");
        assert_eq!(lines[1]["kubectl"], "kubectl delete pod -n logging fb-2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
            let link = dir.path().join("state").join("link.jsonl");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            let refused = AuditLog::at(&link).append("engine-0", &[one]);
            assert!(refused.unwrap_err().to_string().contains("symbolic link"));
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "unchanged");
        }
    }
}
