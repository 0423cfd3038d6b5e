//! `s` on a log view: the lines shown, to a private file under herd's state directory
//! (`$XDG_STATE_HOME/herd/logs/`, else `~/.local/state/herd/logs/`): 0600 in a 0700 directory
//! herd made, written whole and renamed into place, never through a symlink.

use std::path::PathBuf;

use tokio::sync::mpsc;

use super::Outcome;
use super::effects::report;
use herd_app::action::Action;
use herd_app::view::LogTarget;
use herd_sim::private_file::Destination;

/// `logs/NAMESPACE.POD.CONTAINER[.previous].log` beside the audit log.
fn path_for(target: &LogTarget) -> Option<PathBuf> {
    let dir = crate::audit::default_path()?.parent()?.join("logs");
    // Names from the cluster are DNS labels and subdomains, but a file name is made of them:
    // anything else becomes `_`.
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    let run = if target.previous { ".previous" } else { "" };
    Some(dir.join(format!(
        "{}.{}.{}{run}.log",
        clean(&target.namespace),
        clean(&target.pod),
        clean(&target.container)
    )))
}

/// Writes the lines off the loop and says where they went (or why not) on the flash line.
pub fn save(target: LogTarget, lines: Vec<String>, outcomes: &mpsc::UnboundedSender<Outcome>) {
    let outcomes = outcomes.clone();
    tokio::task::spawn_blocking(move || {
        let what = format!("save the log of {}", target.describe());
        let result = match path_for(&target) {
            None => Err("no state directory (neither XDG_STATE_HOME nor HOME is set)".into()),
            Some(path) => {
                let mut text = lines.join("\n");
                text.push('\n');
                Destination::check(&path, "saved log")
                    .and_then(|place| place.write(text.as_bytes()))
                    .map(|()| path)
                    .map_err(|e| e.to_string())
            }
        };
        let (what, result) = match result {
            Ok(path) => (format!("{what} to {}", path.display()), Ok(())),
            Err(e) => (what, Err(e)),
        };
        report(
            &outcomes,
            Outcome::Action(Action::WriteDone { what, result }),
        );
    });
}
