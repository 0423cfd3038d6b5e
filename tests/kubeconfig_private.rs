//! The real `herd` binary writing the simulator's kubeconfig where no other user can reach it:
//! symlinks, foreign or shared directories refused with a clear message and nothing changed;
//! a normal write owner-only; `herd sim`'s default in a per-user directory; `herd --sim`'s
//! private directory removed when it exits with an error.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Longer than any start of the empty scenario takes, even on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// `herd sim` on the empty scenario with the clock stopped: quick to build, nothing to serve.
fn herd_sim(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herd"));
    command
        .args(["sim", "--scenario", "empty", "--speed", "0"])
        .args(args)
        // Backtraces would bury the one line the user reads.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A `herd sim` this test started; killed (by its own handle) when the test is done with it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a command that must refuse to start; returns its stderr. A run that starts serving
/// instead is killed and reported.
fn refused(mut command: Command) -> String {
    let mut running = Running(command.spawn().expect("herd runs"));
    let give_up = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = running.0.try_wait().expect("wait for herd") {
            break status;
        }
        assert!(
            Instant::now() < give_up,
            "herd sim kept running: it was expected to refuse to write the kubeconfig"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(
        running.0.stderr.as_mut().expect("stderr piped"),
        &mut stderr,
    )
    .expect("stderr");
    assert!(!status.success(), "herd sim succeeded; stderr:\n{stderr}");
    stderr
}

/// Starts a command that must serve; returns it once it printed where it wrote the kubeconfig,
/// with that path.
fn serving(mut command: Command) -> (Running, PathBuf) {
    let mut running = Running(command.spawn().expect("herd runs"));
    let stdout = running.0.stdout.take().expect("stdout piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("stdout line");
        if let Some(rest) = line.strip_prefix("kubeconfig: ") {
            let path = rest.split(" (contexts").next().expect("a path");
            return (running, PathBuf::from(path));
        }
    }
    let _ = running.0.wait();
    let mut stderr = String::new();
    if let Some(err) = running.0.stderr.as_mut() {
        let _ = std::io::Read::read_to_string(err, &mut stderr);
    }
    panic!("herd sim ended without writing a kubeconfig; stderr:\n{stderr}");
}

/// A temporary directory only this user can use, whatever the umask.
fn private_dir() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    set_mode(dir.path(), 0o700);
    dir
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).expect("metadata").mode() & 0o7777
}

/// The uid this test runs as: the owner of a directory it just made.
fn my_uid() -> u32 {
    std::fs::metadata(private_dir().path())
        .expect("metadata")
        .uid()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn a_symlink_at_the_kubeconfig_path_is_refused_and_its_target_left_untouched() {
    let dir = private_dir();
    let elsewhere = private_dir();
    let target = elsewhere.path().join("precious");
    std::fs::write(&target, "precious\n").expect("write target");
    let target_mode = mode(&target);
    let link = dir.path().join("kubeconfig");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");

    let stderr = refused(herd_sim(&["--kubeconfig", arg(&link)]));
    assert!(
        stderr.contains(&format!(
            "refusing to write the kubeconfig at {}: it is a symbolic link",
            link.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "precious\n"
    );
    assert_eq!(mode(&target), target_mode);
    assert_eq!(std::fs::read_link(&link).expect("still a symlink"), target);
    assert_eq!(entries(dir.path()), ["kubeconfig"], "nothing else left");

    // A dangling link would have herd create the file wherever it points: refused too.
    let nowhere = elsewhere.path().join("planted");
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(&nowhere, &dangling).expect("symlink");
    let stderr = refused(herd_sim(&["--kubeconfig", arg(&dangling)]));
    assert!(stderr.contains("it is a symbolic link"), "{stderr}");
    assert!(
        !nowhere.exists(),
        "herd created the file the link points at"
    );
    assert_eq!(entries(elsewhere.path()), ["precious"]);
}

#[test]
fn a_directory_another_user_owns_is_refused() {
    let me = my_uid();
    let dir = private_dir();
    let foreign = dir.path().join("theirs");
    std::fs::create_dir(&foreign).expect("mkdir");
    // As root (CI), hand a directory to nobody; otherwise `/` is root's and not ours.
    let (foreign, owner) = match std::os::unix::fs::chown(&foreign, Some(65534), None) {
        Ok(()) => (foreign, 65534),
        Err(_) => {
            let root = std::fs::metadata("/").expect("/").uid();
            assert_ne!(
                root, me,
                "cannot test a foreign-owned directory: chown to uid 65534 failed and / is \
                 owned by this user (uid {me})"
            );
            (PathBuf::from("/"), root)
        }
    };
    let before = entries(&foreign);
    let stderr = refused(herd_sim(&[
        "--kubeconfig",
        arg(&foreign.join("kubeconfig")),
    ]));
    assert!(
        stderr.contains(&format!(
            "refusing to write the kubeconfig into {}: the directory is owned by uid {owner}, not you",
            foreign.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        entries(&foreign),
        before,
        "the refused write changed the directory"
    );
}

#[test]
fn a_directory_its_group_or_everyone_can_write_is_refused() {
    // 1777 is the shared temp directory's mode: sticky, yet anyone can plant a name first.
    for (mode_bits, who) in [
        (0o777, "everyone"),
        (0o1777, "everyone"),
        (0o770, "its group"),
        (0o730, "its group"),
    ] {
        let dir = private_dir();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).expect("mkdir");
        set_mode(&shared, mode_bits);
        let stderr = refused(herd_sim(&["--kubeconfig", arg(&shared.join("kubeconfig"))]));
        assert!(
            stderr.contains(&format!(
                "refusing to write the kubeconfig into {}: the directory is writable by {who}",
                shared.display()
            )),
            "mode {mode_bits:o}: {stderr}"
        );
        assert!(
            entries(&shared).is_empty(),
            "mode {mode_bits:o}: files left"
        );
    }
}

#[test]
fn a_normal_write_is_an_owner_only_file_in_an_owner_only_directory_renamed_into_place() {
    let dir = private_dir();
    // Missing directories are made, owner-only.
    let path = dir.path().join("new").join("sub").join("kubeconfig");
    let (sim, shown) = serving(herd_sim(&["--kubeconfig", arg(&path)]));
    assert_eq!(shown, path);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(mode(&dir.path().join("new").join("sub")), 0o700);
    let meta = std::fs::metadata(&path).expect("kubeconfig");
    assert_eq!(meta.uid(), my_uid());
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON kubeconfig");
    assert_eq!(doc["current-context"], "herd-sim");
    drop(sim);

    // A second run replaces its own kubeconfig by renaming a new file over it (a new inode),
    // not by writing into the old one, and leaves no temporary file behind.
    let (sim, _) = serving(herd_sim(&["--kubeconfig", arg(&path)]));
    let again = std::fs::metadata(&path).expect("kubeconfig");
    assert_ne!(again.ino(), meta.ino(), "the file was rewritten in place");
    assert_eq!(again.mode() & 0o7777, 0o600);
    assert_eq!(entries(&dir.path().join("new").join("sub")), ["kubeconfig"]);
    drop(sim);
}

#[test]
fn herd_sim_defaults_to_a_directory_only_the_user_owns() {
    let root = private_dir();
    let run = root.path().join("run");
    std::fs::create_dir(&run).expect("mkdir");
    set_mode(&run, 0o700);
    let cache = root.path().join("cache");
    let home = root.path().join("home");
    let xdg = |runtime: Option<&Path>, cache: Option<&Path>| {
        let mut command = herd_sim(&[]);
        command
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env("HOME", &home);
        if let Some(dir) = runtime {
            command.env("XDG_RUNTIME_DIR", dir);
        }
        if let Some(dir) = cache {
            command.env("XDG_CACHE_HOME", dir);
        }
        command
    };

    let (sim, path) = serving(xdg(Some(&run), Some(&cache)));
    assert_eq!(path, run.join("herd-sim").join("kubeconfig"));
    assert_eq!(mode(&run.join("herd-sim")), 0o700);
    assert_eq!(mode(&path), 0o600);
    drop(sim);

    // A relative XDG_RUNTIME_DIR is ignored, as the XDG spec asks.
    let (sim, path) = serving(xdg(Some(Path::new("relative/run")), Some(&cache)));
    assert_eq!(path, cache.join("herd").join("sim").join("kubeconfig"));
    for dir in [
        cache.clone(),
        cache.join("herd"),
        cache.join("herd").join("sim"),
    ] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    assert_eq!(mode(&path), 0o600);
    drop(sim);

    let (sim, path) = serving(xdg(None, None));
    assert_eq!(
        path,
        home.join(".cache")
            .join("herd")
            .join("sim")
            .join("kubeconfig")
    );
    assert_eq!(mode(&path), 0o600);
    drop(sim);
}

#[test]
fn herd_with_sim_removes_its_private_directory_when_it_exits_with_an_error() {
    let tmp = private_dir();
    // A context the simulator's kubeconfig lacks: herd fails after the simulator started and
    // wrote its kubeconfig, before opening the screen (so no terminal is needed).
    let out = Command::new(env!("CARGO_BIN_EXE_herd"))
        .args([
            "--sim",
            "--scenario",
            "empty",
            "--context",
            "no-such-context",
        ])
        .env("TMPDIR", tmp.path())
        .env_remove("KUBECONFIG")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .expect("herd runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no-such-context"), "{stderr}");
    assert!(
        entries(tmp.path()).is_empty(),
        "left behind in TMPDIR: {:?}",
        entries(tmp.path())
    );
}
