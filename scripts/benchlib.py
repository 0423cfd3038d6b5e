"""Shared by scripts/tui-bench and scripts/compare-peers: build herd, serve a simulated
cluster, run a program in a detached tmux pane of a fixed size, and read what it costs
(CPU and memory from /proc, requests and bytes from the simulator's /sim/stats)."""

import atexit
import base64
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def say(text):
    print(text, file=sys.stderr, flush=True)


def release_herd(build=True):
    """A private copy of the release binary (built first unless build is False), so a build
    in a shared target directory cannot swap it out during the run."""
    if build:
        say("building herd (cargo build --release)...")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO, check=True, capture_output=True, text=True)
    built = os.path.join(json.loads(meta.stdout)["target_directory"], "release", "herd")
    copy_dir = tempfile.mkdtemp(prefix="herd-bin-")
    atexit.register(shutil.rmtree, copy_dir, True)
    return shutil.copy2(built, os.path.join(copy_dir, "herd"))


def wait_for(what, predicate, limit, every=0.05):
    """Polls predicate until it returns something truthy; raises after limit seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"gave up after {limit} s waiting for {what}")


class Sim:
    """`herd sim` in the background; the kubeconfig it wrote; its admin endpoint."""

    def __init__(self, herd, nodes, daemonsets, app_pods_per_node=0):
        self.dir = tempfile.mkdtemp(prefix="herd-bench-")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.log_path = os.path.join(self.dir, "sim.log")
        self.log = open(self.log_path, "w")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [herd, "sim", "--nodes", str(nodes), "--daemonsets", str(daemonsets),
             "--app-pods-per-node", str(app_pods_per_node), "--kubeconfig", self.kubeconfig],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        # The world is built before serving starts; the kubeconfig line means it serves.
        wait_for("the simulator to serve", self._serving, 900, every=0.5)
        self.startup = time.monotonic() - started
        with open(self.log_path) as f:
            self.banner = f.readline().strip()
        self._admin()

    def _serving(self):
        if self.proc.poll() is not None:
            with open(self.log_path) as f:
                raise RuntimeError(f"herd sim exited {self.proc.returncode}: {f.read()}")
        with open(self.log_path) as f:
            return "kubeconfig:" in f.read()

    def _admin(self):
        with open(self.kubeconfig) as f:
            doc = json.load(f)  # the simulator writes its kubeconfig as JSON
        ctx = next(c["context"] for c in doc["contexts"] if c["name"] == doc["current-context"])
        cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in doc["users"] if u["name"] == ctx["user"])
        self.server, self.token = cluster["server"], user["token"]
        ca = os.path.join(self.dir, "ca.pem")
        with open(ca, "wb") as f:
            f.write(base64.b64decode(cluster["certificate-authority-data"]))
        self.tls = ssl.create_default_context(cafile=ca)

    def stats(self):
        """The simulator's counters (admin endpoints are not counted themselves)."""
        req = urllib.request.Request(f"{self.server}/sim/stats",
                                     headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, context=self.tls, timeout=30) as resp:
            return json.load(resp)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # herd sim stops cleanly on Ctrl-C
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def stats_diff(before, after):
    """Requests and bytes served between two /sim/stats reports, with the busiest entries."""
    old = {(e["verb"], e["resource"]): e for e in before["byVerbAndResource"]}
    by = []
    for e in after["byVerbAndResource"]:
        o = old.get((e["verb"], e["resource"]), {"requests": 0, "bytes": 0})
        n, b = e["requests"] - o["requests"], e["bytes"] - o["bytes"]
        if n or b:
            by.append((b, n, f'{e["verb"]} {e["resource"]}'))
    by.sort(reverse=True)
    return {"requests": after["totalRequests"] - before["totalRequests"],
            "bytes": after["totalBytes"] - before["totalBytes"],
            "by": [f"{name} ×{n} ({b / 2**20:.1f} MiB)" for b, n, name in by]}


class Pane:
    """One program in a detached tmux session of its own (a private server socket), so it has a
    real terminal of width×height and its screen can be read back."""

    def __init__(self, command, width, height, env=None):
        self.socket = f"herd-bench-{os.getpid()}-{time.monotonic_ns()}"
        sets = [a for k, v in (env or {}).items() for a in ("-e", f"{k}={v}")]
        self.stderr = tempfile.NamedTemporaryFile(prefix="herd-bench-stderr-")
        # `exec` makes the pane's process the program itself, so its pid is the one to measure;
        # stderr goes to a file, so a program that fails at once can say why.
        self._tmux("new-session", "-d", "-s", "bench", "-x", str(width), "-y", str(height),
                   *sets, f"exec {command} 2>{self.stderr.name}")
        self.started = time.monotonic()
        try:
            self.pid = int(self._tmux("display-message", "-p", "-t", "bench", "#{pane_pid}"))
        except (subprocess.CalledProcessError, ValueError):
            time.sleep(0.5)
            why = open(self.stderr.name).read().strip()
            raise RuntimeError(f"{command} exited as soon as it started: {why}") from None

    def _tmux(self, *args):
        out = subprocess.run(["tmux", "-L", self.socket, *args],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def screen(self):
        try:
            return self._tmux("capture-pane", "-p", "-t", "bench")
        except subprocess.CalledProcessError:
            return ""  # the program exited and took the session with it

    def keys(self, *keys):
        self._tmux("send-keys", "-t", "bench", *keys)

    def time_until(self, what, predicate, limit=600):
        """Seconds from start until predicate(screen) holds."""
        wait_for(what, lambda: predicate(self.screen()), limit)
        return time.monotonic() - self.started

    def close(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        self.stderr.close()


def cpu_seconds(pid):
    """User + system CPU the process has used, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def mib(n):
    # Below one MiB two decimals: a steady minute's bytes can be a fifth of one.
    return f"{n / 2**20:.2f} MiB" if n < 2**20 else f"{n / 2**20:,.1f} MiB"
