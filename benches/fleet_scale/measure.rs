//! Measuring for the fleet benchmark: wall and on-CPU time, percentiles, and page faults and
//! resident memory from Linux's /proc (each figure says when it is not available).

use std::time::{Duration, Instant};

/// A `VmRSS`/`VmHWM` line of /proc/self/status in MiB; `None` off Linux.
pub fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn mib(v: Option<f64>) -> String {
    v.map_or_else(
        || "not available (needs Linux /proc)".into(),
        |m| format!("{m:.0} MiB"),
    )
}

/// Time this thread has run on a CPU (CLOCK_THREAD_CPUTIME_ID, read through rustix's safe
/// wrapper); `None` should the clock give a negative time. Other processes' builds share the
/// 2-core machine, so wall time alone overstates a pass.
pub fn on_cpu() -> Option<Duration> {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u32::try_from(ts.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

/// Minor page faults of this thread so far (/proc/thread-self/stat field 10).
pub fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = stat.rsplit(')').next()?;
    after.split_whitespace().nth(7)?.parse().ok()
}

/// Wall time and on-CPU time of one run of `f`.
#[derive(Clone, Copy)]
pub struct Took {
    pub wall: Duration,
    pub cpu: Option<Duration>,
}

pub fn timed<T>(f: impl FnOnce() -> T) -> (Took, T) {
    let cpu = on_cpu();
    let start = Instant::now();
    let out = f();
    let wall = start.elapsed();
    let cpu = on_cpu()
        .zip(cpu)
        .map(|(after, before)| after.saturating_sub(before));
    (Took { wall, cpu }, out)
}

impl Took {
    pub fn ms(&self) -> String {
        let cpu = self
            .cpu
            .map_or_else(String::new, |c| format!(", {:.1} ms on CPU", ms(c)));
        format!("{:.1} ms wall{cpu}", ms(self.wall))
    }
}

/// Sorted samples, read as p50 / p99 / max.
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn new(mut v: Vec<Duration>) -> Self {
        v.sort();
        Samples(v)
    }

    pub fn pct(&self, p: usize) -> Duration {
        let n = self.0.len();
        // Nearest rank: the smallest sample with at least p% of samples at or below it.
        let rank = (p * n).div_ceil(100).clamp(1, n);
        self.0[rank - 1]
    }

    pub fn ms(&self) -> String {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(self.pct(50)),
            ms(self.pct(99)),
            ms(self.pct(100)),
        )
    }

    /// `events` per sample as a rate: the median, and the slowest sample's.
    pub fn rate(&self, events: usize) -> String {
        let per_s = |d: Duration| events as f64 / d.as_secs_f64();
        format!(
            "{:.0} events/s median, {:.0} slowest",
            per_s(self.pct(50)),
            per_s(self.pct(100)),
        )
    }
}

/// Wall and on-CPU samples of the same runs.
pub struct Runs {
    wall: Samples,
    cpu: Option<Samples>,
}

impl Runs {
    pub fn new(took: &[Took]) -> Self {
        let cpu: Option<Vec<Duration>> = took.iter().map(|t| t.cpu).collect();
        Runs {
            wall: Samples::new(took.iter().map(|t| t.wall).collect()),
            cpu: cpu.map(Samples::new),
        }
    }

    pub fn ms(&self) -> String {
        let cpu = self
            .cpu
            .as_ref()
            .map_or_else(String::new, |c| format!("; on CPU {}", c.ms()));
        format!("wall {}{cpu} ({} runs)", self.wall.ms(), self.wall.0.len())
    }

    pub fn rate(&self, events: usize) -> String {
        let cpu = self
            .cpu
            .as_ref()
            .map_or_else(String::new, |c| format!("; on CPU {}", c.rate(events)));
        format!(
            "wall {}{cpu} ({} runs)",
            self.wall.rate(events),
            self.wall.0.len()
        )
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
