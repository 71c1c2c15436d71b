"""What the tray app costs while an AI tool writes: CPU of the app process, and how soon what
was written is in the ledger (the tray is repainted from the same scan).

    .venv/bin/python bench/live.py [--history bench/out/h200MB] [--seconds 60] [--rates 2,20]

For each rate (lines a second) and each mode (the window open on the Overview tab, or only
the tray), the app is started offscreen on a ledger already holding the history, left 10 s
to settle, and then a writer appends to a new Claude Code transcript at that rate (real
format: a user prompt, then an API response as one line per content block, as in
bench/generate.py) for `--seconds`. Measured: the app's CPU seconds over that window (from
/proc, all its threads), as a share of one core; and per response, the delay from its last
line being written to its event being in the ledger (polled read-only every 50 ms).

The history is not modified: the app is given a HOME whose `.claude/projects/*` and `.codex`
are symlinks into it, plus one real project folder for the new transcript.
`--app` is this script's own child mode (the app, with the tray faked present or absent).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


FINAL_OUTPUT = 120


def fake_home(history_home: Path, into: Path) -> Path:
    home = into / "home"
    projects = home / ".claude" / "projects"
    projects.mkdir(parents=True)
    for entry in (history_home / ".claude" / "projects").iterdir():
        (projects / entry.name).symlink_to(entry)
    if (history_home / ".codex").exists():
        (home / ".codex").symlink_to(history_home / ".codex")
    (projects / "-home-dev-src-live").mkdir()
    return home


def iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class Transcript:
    """A Claude Code session being written now: prompts and streamed responses."""

    def __init__(self, path: Path, rng: random.Random) -> None:
        self.path, self.rng = path, rng
        self.session = f"{rng.getrandbits(128):032x}"
        self.n = 0
        self.pending: list[bytes] = []
        self.written: dict[str, float] = {}  # event key -> when its last line was written

    def base(self, kind: str) -> dict:
        return {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/home/dev/src/live",
                "sessionId": self.session, "version": "2.1.40", "gitBranch": "main", "type": kind,
                "uuid": f"{self.rng.getrandbits(128):032x}", "timestamp": iso_now()}

    def next_line(self) -> tuple[bytes, str | None]:
        """The next line to append, and the event key it completes (if it is a response's last)."""
        if not self.pending:
            self.n += 1
            if self.n % 3 == 1:
                line = self.base("user")
                line["message"] = {"role": "user", "content": "please fix the failing test " * self.rng.randint(2, 20)}
                return (json.dumps(line, separators=(",", ":")) + "\n").encode(), None
            msg, req = f"msg_{self.session[:12]}{self.n:06d}", f"req_{self.session[:12]}{self.n:06d}"
            blocks = [{"type": "thinking", "thinking": "let me look " * 30, "signature": "c2ln" * 50},
                      {"type": "tool_use", "id": f"toolu_live{self.n:06d}", "name": "Bash", "input": {"command": "pytest -q"}}]
            for i, block in enumerate(blocks):
                last = i == len(blocks) - 1
                line = self.base("assistant")
                line.update({"requestId": req, "message": {
                    "id": msg, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                    "content": [block], "stop_reason": "tool_use" if last else None, "stop_sequence": None,
                    "usage": {"input_tokens": 3, "cache_creation_input_tokens": 500, "cache_read_input_tokens": 40_000 + self.n,
                              "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 0},
                              "output_tokens": FINAL_OUTPUT if last else 4, "service_tier": "standard"}}})
                self.pending.append((json.dumps(line, separators=(",", ":")) + "\n").encode())
            self.pending[-1] = (self.pending[-1], f"{msg}:{req}")  # type: ignore[assignment]
        line = self.pending.pop(0)
        if isinstance(line, tuple):
            return line
        return line, None


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def keys_in_ledger(db_path: Path, keys: set[str]) -> set[str]:
    if not keys:
        return set()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
    try:
        marks = ",".join("?" * len(keys))
        # The final count (the response's last line), not the placeholder of its first.
        return {k for (k,) in conn.execute(f"SELECT event_key FROM events WHERE event_key IN ({marks})"
                                           f" AND output_tokens = {FINAL_OUTPUT}", list(keys))}
    except sqlite3.OperationalError:
        return set()
    finally:
        conn.close()


def measure(home: Path, data_dir: Path, rate: float, seconds: float, window: bool, settle: float,
            profile: str | None = None) -> dict:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": "UTC",
           "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    scans_file = data_dir / f"scans-{rate:g}-{window}.txt"
    env["LIVE_SCANS_FILE"] = str(scans_file)
    if "XDG_RUNTIME_DIR" in os.environ:
        env["XDG_RUNTIME_DIR"] = os.environ["XDG_RUNTIME_DIR"]
    app = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--app", str(data_dir),
                            "--window" if window else "--tray-only"], env=env, cwd=str(home),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(settle)
        if app.poll() is not None:
            raise SystemExit(f"live: the app exited ({app.returncode}): {app.stderr.read().decode()[-400:]}")
        # A session (so keys) of its own per run: the ledger is shared by the runs.
        transcript = Transcript(home / ".claude" / "projects" / "-home-dev-src-live" / f"live-{rate:g}-{window}.jsonl",
                                random.Random(f"{rate}-{window}"))
        waiting: dict[str, float] = {}
        delays: list[float] = []
        spy = None
        if profile:
            spy = subprocess.Popen(["py-spy", "record", "-r", "100", "-f", "raw", "-o", profile, "-d", str(int(seconds)),
                                    "--pid", str(app.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu0, t0 = cpu_seconds(app.pid), time.monotonic()
        next_write, next_poll = t0, t0
        with open(transcript.path, "ab") as fh:
            while (now := time.monotonic()) < t0 + seconds:
                if now >= next_write:
                    line, key = transcript.next_line()
                    fh.write(line)
                    fh.flush()
                    if key:
                        waiting[key] = time.monotonic()
                    next_write += 1.0 / rate
                if now >= next_poll:
                    for key in keys_in_ledger(data_dir / "ledger.db", set(waiting)):
                        delays.append(time.monotonic() - waiting.pop(key))
                    next_poll = now + 0.05
                time.sleep(max(0.0, min(next_write, next_poll) - time.monotonic()))
        cpu1, t1 = cpu_seconds(app.pid), time.monotonic()
        scans = _scans_between(scans_file, t0, t1)
        if spy is not None:
            spy.wait()
        deadline = time.monotonic() + 5
        while waiting and time.monotonic() < deadline:  # the last responses, written at the end
            for key in keys_in_ledger(data_dir / "ledger.db", set(waiting)):
                delays.append(time.monotonic() - waiting.pop(key))
            time.sleep(0.05)
        return {"rate": rate, "window": window, "cpu_percent": 100 * (cpu1 - cpu0) / (t1 - t0), **scans,
                "responses": len(delays) + len(waiting), "never_seen": len(waiting),
                "delay_median": statistics.median(delays) if delays else None,
                "delay_max": max(delays) if delays else None}
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(15)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def _scans_between(path: Path, t0: float, t1: float) -> dict:
    kinds = [line.split()[1] for line in path.read_text().splitlines() if t0 <= float(line.split()[0]) <= t1] \
        if path.exists() else []
    return {"scans": len(kinds), "full_scans": kinds.count("full")}


def run_app(data_dir: Path, window: bool) -> int:
    """The child: the real app offscreen, its window open or only its tray (faked present:
    offscreen has no tray, and without one the app opens its window)."""
    from PySide6.QtWidgets import QSystemTrayIcon

    QSystemTrayIcon.isSystemTrayAvailable = staticmethod(lambda: True)
    import tokenlens.app.application as application

    counts = os.environ.get("LIVE_SCANS_FILE")
    if counts:  # how many scans reached the app, and how many of them read everything
        real_updated = application.TokenlensApp.on_updated

        def on_updated(self, outcome) -> None:
            with open(counts, "a") as fh:
                fh.write(f"{time.monotonic():.3f} {'focused' if getattr(outcome, 'focused', False) else 'full'}\n")
            real_updated(self, outcome)

        application.TokenlensApp.on_updated = on_updated
    if window:
        real_start = application.TokenlensApp.start

        def start(self) -> None:
            real_start(self)
            self.open_window()

        application.TokenlensApp.start = start
    from tokenlens.app import run_app as run

    return run(data_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=Path, default=BENCH / "out" / "h200MB")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--rates", default="2,20")
    parser.add_argument("--modes", default="window,tray")
    parser.add_argument("--profile", metavar="FILE", help="py-spy the app into FILE (raw), if py-spy is installed")
    parser.add_argument("--app", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--window", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tray-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.app:
        return run_app(args.app, args.window)
    work = Path(tempfile.mkdtemp(prefix="tokenlens-live-"))
    home = fake_home((args.history / "home").resolve(), work)
    data_dir = work / "data"
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "TZ": "UTC", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(data_dir), "scan", "--json"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    results = []
    for mode in args.modes.split(","):
        for rate in (float(r) for r in args.rates.split(",")):
            r = measure(home, data_dir, rate, args.seconds, mode == "window", args.settle,
                        f"{args.profile}.{mode}.{rate:g}" if args.profile else None)
            results.append(r)
            print(f"{'window open' if r['window'] else 'tray only'}, {r['rate']:g} lines/s: "
                  f"{r['cpu_percent']:.2f} % of a core over {args.seconds:.0f} s; {r['scans']} scans "
                  f"({r['full_scans']} full); {r['responses']} responses, "
                  f"in the ledger after {r['delay_median'] or 0:.2f} s median, {r['delay_max'] or 0:.2f} s max"
                  + (f", {r['never_seen']} never" if r["never_seen"] else ""), flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
