//! Private places for secret files (the simulator's kubeconfig): written so that only their owner
//! can read, redirect or swap them, and fresh owner-only directories to hold them.
//!
//! A kubeconfig carries bearer tokens and may name an `exec` plugin that kubectl runs, so
//! whoever can write it, or replace it, can run commands as the user. Hence every write here:
//!
//! - goes into a directory the current user owns and nobody else can write (checked after
//!   symlinks in the directory's path are resolved; missing directories are created mode 0700),
//!   so no other user can plant, swap or remove entries in it while herd works there;
//! - never follows a symlink at the file's own name: one found there is refused, not written
//!   through;
//! - writes a mode 0600 temporary file next to the target and renames it into place, so a reader
//!   sees the old file or the new one, never half of one, and no other user ever sees it.
//!
//! [`fresh_private_dir`] makes a new directory for one run (as mkdtemp does). A refused write
//! changes nothing. The directories above the file's own are the system's to
//! keep safe (the shared temp directory is sticky: others cannot rename what the user made).

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// Why a private file was not written. `what` names the file for the reader ("the kubeconfig").
#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    #[error("refusing to write {what} into {}: {problem}", dir.display())]
    UnsafeDir {
        what: &'static str,
        dir: PathBuf,
        problem: String,
    },
    #[error(
        "refusing to write {what} at {}: it is a symbolic link, which could point anywhere (remove it or choose another path)",
        path.display()
    )]
    Symlink { what: &'static str, path: PathBuf },
    #[error("refusing to write {what} at {}: it is {kind}, not a regular file", path.display())]
    NotAFile {
        what: &'static str,
        path: PathBuf,
        kind: &'static str,
    },
    #[error("could not write {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A place checked fit for a private file: its directory is the user's alone and its name is
/// not a symlink. Read what is there with [`Destination::existing`], then [`Destination::write`].
#[derive(Debug)]
pub struct Destination {
    what: &'static str,
    /// The directory with symlinks resolved: the one that was checked is the one written to.
    dir: PathBuf,
    /// `dir` joined with the file's name.
    path: PathBuf,
    /// The path as the user gave it, for messages.
    shown: PathBuf,
}

impl Destination {
    /// Checks where `path` would be written, creating its missing directories (mode 0700).
    pub fn check(path: &Path, what: &'static str) -> Result<Destination, PrivateFileError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PrivateFileError::Io { what, path, source }
        };
        let Some(name) = path.file_name() else {
            return Err(PrivateFileError::NotAFile {
                what,
                path: path.to_path_buf(),
                kind: "a directory",
            });
        };
        let given_dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        create_private_dirs(given_dir).map_err(io(given_dir))?;
        let dir = given_dir.canonicalize().map_err(io(given_dir))?;
        let meta = std::fs::metadata(&dir).map_err(io(&dir))?;
        if let Some(problem) = unsafe_dir_problem(&meta) {
            return Err(PrivateFileError::UnsafeDir { what, dir, problem });
        }
        let target = dir.join(name);
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(PrivateFileError::Symlink {
                    what,
                    path: path.to_path_buf(),
                });
            }
            Ok(m) if !m.is_file() => {
                let kind = if m.is_dir() {
                    "a directory"
                } else {
                    "a special file"
                };
                return Err(PrivateFileError::NotAFile {
                    what,
                    path: path.to_path_buf(),
                    kind,
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(path)(e)),
        }
        Ok(Destination {
            what,
            dir,
            path: target,
            shown: path.to_path_buf(),
        })
    }

    /// The regular file already there, if any. Only the user can change the checked directory,
    /// so it is still the file [`Destination::check`] saw.
    pub fn existing(&self) -> Result<Option<Vec<u8>>, PrivateFileError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(self.io(source)),
        }
    }

    /// Writes `bytes` to a mode 0600 temporary file in the directory and renames it over the
    /// target. On failure the temporary file is removed and the target left as it was.
    pub fn write(self, bytes: &[u8]) -> Result<(), PrivateFileError> {
        let mut file = builder_with_mode(0o600)
            .prefix(".herd-")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(|e| self.io(e))?;
        #[cfg(unix)]
        {
            // The mode asked for at creation is cut by the umask; make it exactly 0600.
            use std::os::unix::fs::PermissionsExt;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| self.io(e))?;
        }
        file.write_all(bytes).map_err(|e| self.io(e))?;
        file.as_file().sync_all().map_err(|e| self.io(e))?;
        // rename(2) replaces the name itself: a symlink made there since the check (only the
        // user could) would be replaced, never written through.
        file.persist(&self.path).map_err(|e| self.io(e.error))?;
        Ok(())
    }

    fn io(&self, source: std::io::Error) -> PrivateFileError {
        PrivateFileError::Io {
            what: self.what,
            path: self.shown.clone(),
            source,
        }
    }
}

/// A fresh directory only the user can enter, under the shared temp directory, with a random
/// name and created atomically (mkdtemp: never one that already existed). Dropping the handle
/// removes it and what is in it.
pub fn fresh_private_dir(prefix: &str) -> std::io::Result<TempDir> {
    builder_with_mode(0o700).prefix(prefix).tempdir()
}

/// A builder of files or directories made with `mode` (cut by the umask) on Unix.
fn builder_with_mode<'a, 'b>(mode: u32) -> tempfile::Builder<'a, 'b> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode; // No modes off Unix: the platform's defaults for new files apply.
    builder
}

/// Creates `dir` and any missing parents with mode 0700; existing ones are left as they are.
#[cfg(unix)]
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// What makes a directory unfit for a private file, if anything: another owner, or write
/// access for the group or everyone (who could then swap the file or plant a symlink).
#[cfg(unix)]
fn unsafe_dir_problem(meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // The effective uid is the one new files get and permission checks use.
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        Some(format!(
            "the directory is owned by uid {}, not you (uid {me})",
            meta.uid()
        ))
    } else if meta.mode() & 0o002 != 0 {
        Some(format!(
            "the directory is writable by everyone (mode {:o}); only you should be able to write there",
            meta.mode() & 0o7777
        ))
    } else if meta.mode() & 0o020 != 0 {
        Some(format!(
            "the directory is writable by its group (mode {:o}); only you should be able to write there",
            meta.mode() & 0o7777
        ))
    } else {
        None
    }
}

#[cfg(not(unix))]
fn unsafe_dir_problem(_meta: &std::fs::Metadata) -> Option<String> {
    // Ownership and modes are Unix notions; elsewhere the symlink check and rename still hold.
    None
}
