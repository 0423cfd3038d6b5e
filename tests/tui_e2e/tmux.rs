//! A program in a real pseudo-terminal: a private tmux server (its own socket, no user config)
//! runs one command in a 120×36 pane; tests type keys and read the screen back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a test waits for the screen to show something before failing.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// Pause between two screen reads while waiting (a poll interval, never an assertion).
const POLL: Duration = Duration::from_millis(50);
pub const WIDTH: u16 = 120;
pub const HEIGHT: u16 = 36;
const SESSION: &str = "e2e";

/// What the pane runs around the program: the program, then its exit status, whether the
/// alternate screen is on and the cursor shown (asked of tmux from inside the pane while it is
/// still alive; a dead pane hides its cursor) and the tty's settings: what the program left.
const SCRIPT: &str = r#""$@"; status=$?; echo "EXIT=$status";
tmux display-message -p "ALT=#{alternate_on} CURSOR=#{cursor_flag}"; stty -a;
echo "AFTER-EXIT"; exit $status"#;

pub struct Pane {
    /// The server's socket, inside `_dir` so nothing is left behind.
    socket: PathBuf,
    _dir: TempDir,
}

/// Fails the test with what to install when tmux cannot run. Where it was missing at build
/// time (and CI is not set) these tests are ignored instead: see build.rs.
pub fn require_tmux() {
    let works = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        works,
        "tmux is not on PATH, and this test drives herd in it: install tmux \
         (.ci/run installs Debian's tmux)"
    );
}

impl Pane {
    /// Starts `program args…` in a fresh pane of a private tmux server (its own socket, so
    /// tests running at once never meet).
    pub fn run(program: &Path, args: &[&str]) -> Pane {
        let dir = tempfile::tempdir().expect("temp dir");
        // The pane stays readable after the program exits; no status line takes a row.
        let config = dir.path().join("tmux.conf");
        std::fs::write(&config, "set -g remain-on-exit on\nset -g status off\n")
            .expect("tmux config");
        let pane = Pane {
            socket: dir.path().join("tmux.sock"),
            _dir: dir,
        };
        let width = WIDTH.to_string();
        let height = HEIGHT.to_string();
        let mut command: Vec<&str> = vec!["-f", path_str(&config), "new-session", "-d"];
        command.extend(["-s", SESSION, "-x", &width, "-y", &height]);
        command.extend(["--", "sh", "-c", SCRIPT, "sh", path_str(program)]);
        command.extend(args);
        pane.tmux(&command);
        pane
    }

    fn tmux(&self, args: &[&str]) -> Output {
        // Not the tmux the tests may be running in: only this private server.
        let output = Command::new("tmux")
            .env_remove("TMUX")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Types `text` as it is (no key names).
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// Presses one named key: `Enter`, `Escape`, `Up`…
    pub fn press(&self, key: &str) {
        self.tmux(&["send-keys", "-t", SESSION, key]);
    }

    /// The screen as text, a line per row, trailing spaces trimmed.
    pub fn screen(&self) -> String {
        // -J: a line the terminal wrapped reads as the one line the program wrote.
        let out = self.tmux(&["capture-pane", "-p", "-J", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The screen and the lines scrolled off its top, for reading what was printed after the
    /// program ended (tmux's own "Pane is dead" line can scroll the first one away).
    pub fn transcript(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The screen with its colour and attribute escapes, to tell styles apart.
    pub fn styled_screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-e", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// A tmux format about the pane, e.g. `#{alternate_on}`.
    pub fn format(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", SESSION, format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Reads the screen until `done` holds for it; fails after [`DEADLINE`] showing the last one.
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        self.wait_for_within(DEADLINE, what, done)
    }

    /// [`Pane::wait_for`] for something that takes the simulated cluster its own time (a
    /// rollout of several pods on the real-time demo), failing after `limit`.
    pub fn wait_for_within(
        &self,
        limit: Duration,
        what: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let give_up = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < give_up,
                "timed out after {limit:?} waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(POLL);
        }
    }

    /// Until the program and the script around it have ended; returns the program's exit
    /// status as the script printed it. (Not tmux's `pane_dead_status`: tmux now and then
    /// marks a pane dead without ever learning its status.)
    pub fn wait_for_exit(&self) -> i32 {
        let give_up = Instant::now() + DEADLINE;
        loop {
            let transcript = self.transcript();
            // Matched anywhere in a line: a tty left raw prints its lines as a staircase.
            if transcript.contains("AFTER-EXIT") {
                let status = transcript
                    .split("EXIT=")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|s| s.parse().ok());
                return status.unwrap_or_else(|| panic!("no exit status printed:\n{transcript}"));
            }
            assert!(
                Instant::now() < give_up,
                "timed out after {DEADLINE:?} waiting for the program to exit; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        // Ends this test's server (and anything still running in its pane) only.
        let _ = Command::new("tmux")
            .env_remove("TMUX")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The herd binary cargo built for these tests.
pub fn herd() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_herd"))
}

/// The tty flags `stty -a` printed after the program ended (`icanon`, `-echo`…).
pub fn tty_flags(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains("EXIT="))
        .take_while(|l| !l.contains("AFTER-EXIT"))
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect()
}

/// Asserts the terminal is as a shell needs it: the normal screen, the cursor shown, and the
/// tty in cooked mode (line editing and echo on).
pub fn assert_restored(screen: &str) {
    assert!(
        screen.lines().any(|l| l == "ALT=0 CURSOR=1"),
        "the alternate screen was left on or the cursor hidden (want ALT=0 CURSOR=1):\n{screen}"
    );
    let flags = tty_flags(screen);
    for flag in ["icanon", "echo", "icrnl", "opost"] {
        assert!(
            flags.iter().any(|f| f == flag),
            "the terminal was left without {flag} (raw mode); stty said:\n{screen}"
        );
    }
}
