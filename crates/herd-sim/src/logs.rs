//! What a simulated container writes to its log, generated on demand: a pure function of the
//! image, the container's run (when it started, whether and how it ended) and a seed, so a log
//! can be read from any point, tailed or followed without storing a line. A run starts with the
//! agent's start-up lines, then does periodic work; a crash-looping image prints why it fails
//! just before it exits, and a leaking one reports its memory climbing until the OOM kill cuts
//! it off mid-stride.

use jiff::{SignedDuration, Timestamp};

/// One run of a container (a start, and an end once it has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub started: Timestamp,
    pub ended: Option<End>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub at: Timestamp,
    /// `Error`, `OOMKilled`, `Completed`.
    pub reason: String,
    pub exit_code: i32,
}

/// One line, with the time the container wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: Timestamp,
    pub text: String,
}

/// The start-up lines, 100 ms apart from the start.
const STARTUP: u64 = 3;
/// Periodic work begins this long after the start.
const WORK_FROM: SignedDuration = SignedDuration::from_secs(1);

/// The lines of `run` written in `[from, until]`, oldest first.
pub fn lines(
    image: &str,
    container: &str,
    seed: u64,
    run: &Run,
    from: Timestamp,
    until: Timestamp,
) -> Vec<Line> {
    let voice = Voice::of(image, container);
    let until = match &run.ended {
        Some(end) if end.at < until => end.at,
        _ => until,
    };
    let mut out = Vec::new();
    let mut push = |at: Timestamp, text: String| {
        if at >= from && at <= until {
            out.push(Line { at, text });
        }
    };
    for i in 0..STARTUP {
        let at = after(run.started, SignedDuration::from_millis(100 * i as i64));
        push(at, voice.startup(i, at));
    }
    let period = voice.period(seed);
    let first = after(run.started, WORK_FROM);
    // Only the periods that fall in the window are made: a run of days tailed for ten lines
    // costs ten lines.
    let period_ms = period.as_millis().max(1) as u64;
    let span = |t: Timestamp| t.duration_since(first).as_millis().max(0) as u64 / period_ms;
    let (lo, hi) = (span(from.max(first)), span(until));
    if until >= first {
        let end_reason = run.ended.as_ref().map(|e| e.reason.as_str());
        for i in lo..=hi {
            let at = after(first, SignedDuration::from_millis((i * period_ms) as i64));
            push(at, voice.work(i, seed, at, end_reason));
        }
    }
    if let Some(end) = &run.ended {
        for (k, (level, caller, msg)) in voice.last_words(end).into_iter().enumerate() {
            let at = after(end.at, SignedDuration::from_millis(-20 + 10 * k as i64));
            push(at, voice.line(level, at, caller, &msg));
        }
    }
    out.sort_by_key(|l| l.at);
    out
}

fn after(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(t)
}

/// How an image talks: its name for itself and the shape of its lines.
struct Voice {
    name: String,
    version: String,
    style: Style,
}

#[derive(Clone, Copy)]
enum Style {
    /// `[2026/12/04 10:00:00] [ info] …` (Fluent Bit).
    Bracket,
    /// `ts=… caller=… level=info msg="…"` (Prometheus exporters).
    Logfmt,
    /// `I1204 10:00:00.000000       1 main.go:42] …` (Kubernetes components and most agents).
    Klog,
}

impl Voice {
    fn of(image: &str, container: &str) -> Voice {
        let last = image.rsplit('/').next().unwrap_or(image);
        let (name, tag) = last.split_once(':').unwrap_or((last, "latest"));
        let version = tag.split('-').next().unwrap_or(tag).to_string();
        let style = if name.contains("fluent") {
            Style::Bracket
        } else if name.contains("exporter") {
            Style::Logfmt
        } else {
            Style::Klog
        };
        let name = if name.is_empty() { container } else { name };
        Voice {
            name: name.to_string(),
            version,
            style,
        }
    }

    /// Seconds between two lines of periodic work: 5 to 14, by the seed.
    fn period(&self, seed: u64) -> SignedDuration {
        SignedDuration::from_secs(5 + (seed % 10) as i64)
    }

    fn line(&self, level: char, at: Timestamp, caller: &str, msg: &str) -> String {
        match self.style {
            Style::Bracket => {
                let word = match level {
                    'E' | 'F' => "error",
                    'W' => " warn",
                    _ => " info",
                };
                format!("[{}] [{word}] {msg}", at.strftime("%Y/%m/%d %H:%M:%S"))
            }
            Style::Logfmt => {
                let word = match level {
                    'E' | 'F' => "error",
                    'W' => "warn",
                    _ => "info",
                };
                format!(
                    "ts={}.{:03}Z caller={caller} level={word} msg={msg:?}",
                    at.strftime("%Y-%m-%dT%H:%M:%S"),
                    at.subsec_millisecond()
                )
            }
            Style::Klog => format!(
                "{level}{}.{:06}       1 {caller}] {msg}",
                at.strftime("%m%d %H:%M:%S"),
                at.subsec_microsecond()
            ),
        }
    }

    fn startup(&self, i: u64, at: Timestamp) -> String {
        let (caller, msg) = match i {
            0 => (
                "main.go:61",
                format!("Starting {} version {}", self.name, self.version),
            ),
            1 => (
                "config.go:118",
                format!("Loaded configuration from /etc/{}/config.yaml", self.name),
            ),
            _ => (
                "server.go:74",
                "Listening on :9090 for metrics and health checks".to_string(),
            ),
        };
        self.line('I', at, caller, &msg)
    }

    fn work(&self, i: u64, seed: u64, at: Timestamp, ending: Option<&str>) -> String {
        let n = (seed.rotate_left((i % 61) as u32) ^ i.wrapping_mul(0x9e37_79b9)) % 1000;
        if ending == Some("OOMKilled") {
            // The leak: the cache grows a little with every round of work.
            let mib = 64 + i * 12;
            let level = if i > 4 { 'W' } else { 'I' };
            return self.line(
                level,
                at,
                "cache.go:203",
                &format!(
                    "cache holds {} entries ({mib} MiB), not evicting",
                    1000 + i * 180
                ),
            );
        }
        let msg = match i % 3 {
            0 => format!("Synced {} objects in {} ms", 20 + n % 200, 3 + n % 40),
            1 => format!("Flushed {} records to the collector", 100 + n),
            _ => format!("Heartbeat ok, {} goroutines", 30 + n % 25),
        };
        self.line('I', at, "worker.go:142", &msg)
    }

    /// What a run says as it ends: a crash explains itself; a kill leaves nothing.
    fn last_words(&self, end: &End) -> Vec<(char, &'static str, String)> {
        match end.reason.as_str() {
            "Error" => vec![
                (
                    'E',
                    "config.go:131",
                    format!(
                        "Failed to load plugin {}-probe: symbol lookup error: undefined symbol: probe_init_v2",
                        self.name
                    ),
                ),
                (
                    'F',
                    "main.go:88",
                    format!(
                        "{} cannot start: required plugin failed to load (exit code {})",
                        self.name, end.exit_code
                    ),
                ),
            ],
            _ => Vec::new(),
        }
    }
}

/// The last `n` of `lines`.
pub fn tail(mut lines: Vec<Line>, n: usize) -> Vec<Line> {
    let skip = lines.len().saturating_sub(n);
    lines.drain(..skip);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn a_run_starts_up_then_works_and_the_same_window_reads_the_same() {
        let run = Run {
            started: t(0),
            ended: None,
        };
        let image = "registry.k8s.io/kube-proxy:v1.32.0";
        let all = lines(image, "kube-proxy", 7, &run, t(0), t(60));
        assert!(
            all[0].text.contains("Starting kube-proxy version v1.32.0"),
            "{}",
            all[0].text
        );
        assert!(all[0].text.starts_with('I'), "klog: {}", all[0].text);
        assert!(all.len() > 6);
        assert!(all.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(
            lines(image, "kube-proxy", 7, &run, t(0), t(60)),
            all,
            "pure"
        );
        // A window is the same lines as the whole, cut.
        let part = lines(image, "kube-proxy", 7, &run, t(20), t(40));
        let cut: Vec<_> = all
            .iter()
            .filter(|l| l.at >= t(20) && l.at <= t(40))
            .cloned()
            .collect();
        assert_eq!(part, cut);
        // A long run tailed costs only the tail.
        let days = lines(
            image,
            "kube-proxy",
            7,
            &run,
            t(86_400 * 30 - 60),
            t(86_400 * 30),
        );
        assert!(days.len() < 15, "{}", days.len());
    }

    #[test]
    fn a_crash_loop_says_why_just_before_it_exits_and_an_oom_kill_cuts_it_off() {
        let crashed = Run {
            started: t(0),
            ended: Some(End {
                at: t(4),
                reason: "Error".into(),
                exit_code: 1,
            }),
        };
        let image = "registry.k8s.io/node-problem-detector/node-problem-detector:v0.8.21-crashloop";
        let out = lines(image, "node-problem-detector", 3, &crashed, t(0), t(100));
        let last = out.last().expect("lines");
        assert!(last.text.starts_with('F'), "{}", last.text);
        assert!(last.text.contains("cannot start") && last.text.contains("exit code 1"));
        assert!(out.iter().all(|l| l.at <= t(4)), "nothing after the exit");
        let leaked = Run {
            started: t(0),
            ended: Some(End {
                at: t(90),
                reason: "OOMKilled".into(),
                exit_code: 137,
            }),
        };
        let out = lines(
            "fluent/fluent-bit:3.2.4-leak",
            "fluent-bit",
            3,
            &leaked,
            t(0),
            t(200),
        );
        let last = out.last().expect("lines");
        assert!(last.text.contains("MiB), not evicting"), "{}", last.text);
        assert!(
            last.text.starts_with('['),
            "fluent-bit's own shape: {}",
            last.text
        );
        assert_eq!(tail(out.clone(), 2).len(), 2);
        assert_eq!(tail(out.clone(), 2)[1], *last);
    }
}
