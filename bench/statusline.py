"""The status line's latency on the 200 MB history (issue 17: median under 50 ms, p99 under
150 ms), each run a process spawned as Claude Code spawns it, JSON on stdin, timed to exit.

    .venv/bin/python bench/statusline.py [--runs N] [--no-readme]

Cases, over a ledger that has read the whole history (a first scan, not timed):
- app not running, transcript unchanged (the line reads the ledger only);
- app not running, a new message appended to the transcript before each run (the line starts
  the detached reader of that one transcript, at most one every 2 s; its work is not in the
  line's time, nor in its CPU time, but shares the machine with the next run);
- app running (the tray app, offscreen, on the same ledger): the line never reads a transcript;
- installed from a wheel, as a person's `pip install` or `pipx` puts it (a venv of its own in
  bench/out, built from this tree, no editable-install finder in its start-up), app not running;
- the floor: `python -c pass` run just before each line (so the shared machine's load hits
  both alike; the table gives the line's own cost as the median difference), and the import
  of the statusline module alone, no work.

Prints the table and puts it in bench/README.md between the statusline markers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from generate import parse_size  # noqa: E402
from run import OUT, README, ROOT, TOKENLENS, ensure_corpus, tool_env  # noqa: E402

START, END = "<!-- bench:statusline:start -->", "<!-- bench:statusline:end -->"
LINE = [sys.executable, "-m", "tokenlens.statusline"]


def newest_transcript(home: Path) -> Path:
    files = list((home / ".claude" / "projects").rglob("*.jsonl"))
    return max(files, key=lambda p: p.stat().st_mtime)


def payload(transcript: Path) -> bytes:
    now = int(time.time())
    return json.dumps({
        "hook_event_name": "Status", "session_id": transcript.stem, "transcript_path": str(transcript),
        "cwd": "/home/bench/proj", "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet"},
        "workspace": {"current_dir": "/home/bench/proj", "project_dir": "/home/bench/proj"},
        "version": "2.1.40", "cost": {"total_cost_usd": 1.5},
        "rate_limits": {"five_hour": {"used_percentage": 42, "resets_at": now + 3600},
                        "seven_day": {"used_percentage": 18, "resets_at": now + 3 * 86400}},
    }).encode()


def timed(cmd: list[str], env: dict, stdin: bytes = b"") -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds of the process and its children, stdout) of one command.
    CPU time hardly moves with the shared machine's load; wall time does."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(stdin)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, out if proc.returncode == 0 else b"failed: " + err[-500:]


_cpu_seen = [0.0]


def cpu_delta(total: float) -> float:
    """RUSAGE_CHILDREN is cumulative: this run's share is the growth since the last."""
    delta, _cpu_seen[0] = total - _cpu_seen[0], total
    return delta


def time_line(env: dict, data: Path, stdin: bytes, line: list[str] = LINE) -> tuple[float, float]:
    seconds, cpu, out = timed([*line, "--data-dir", str(data)], env, stdin)
    if not out.strip() or b"unavailable" in out or out.startswith(b"failed"):
        raise SystemExit(f"bench: status line failed: {out!r}")
    return seconds, cpu_delta(cpu)


def time_cmd(cmd: list[str], env: dict) -> tuple[float, float]:
    seconds, cpu, _ = timed(cmd, env)
    return seconds, cpu_delta(cpu)


def append_message(transcript: Path, n: int) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    line = {"type": "assistant", "timestamp": stamp, "sessionId": transcript.stem, "cwd": "/home/bench/proj",
            "version": "2.1.40", "isSidechain": False, "uuid": f"bench-{n}-{time.time_ns()}",
            "requestId": f"req_bench_{n}_{time.time_ns()}",
            "message": {"id": f"msg_bench_{n}_{time.time_ns()}", "type": "message", "role": "assistant",
                        "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "ok"}],
                        "stop_reason": "end_turn",
                        "usage": {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 1000,
                                  "cache_creation_input_tokens": 0}}}
    with open(transcript, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def installed_python() -> str:
    """The python of a venv holding tokenlens installed from a wheel of this tree, without its
    dependencies: the status line needs none of them (tests/test_statusline.py checks that)."""
    venv = OUT / "wheel-venv"
    wheels = OUT / "wheel"
    shutil.rmtree(venv, ignore_errors=True)
    shutil.rmtree(wheels, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(ROOT)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", *map(str, wheels.glob("*.whl"))],
                   check=True, stdout=subprocess.DEVNULL)
    return python


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def start_app(env: dict, data: Path, home: Path) -> subprocess.Popen:
    sys.path.insert(0, str(ROOT))
    from tokenlens.statusline import app_is_running

    app_env = {**env, "QT_QPA_PLATFORM": "offscreen"}
    for key in ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        if key in os.environ:
            app_env[key] = os.environ[key]
    proc = subprocess.Popen([*TOKENLENS, "--data-dir", str(data)], env=app_env, cwd=str(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not app_is_running(data):
        if proc.poll() is not None:
            raise SystemExit(f"bench: the app exited ({proc.returncode})")
        time.sleep(0.2)
    time.sleep(10)  # its first scan of an up-to-date ledger, then at rest
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tokenlens")], check=True,
                   stdout=subprocess.DEVNULL)
    corpus = ensure_corpus(parse_size("200MB"), "200MB", 1)
    work = Path(tempfile.mkdtemp(prefix="statusline-", dir=OUT))
    try:
        home = work / "home"
        shutil.copytree(corpus / "home", home)
        data = work / "data"
        env = tool_env(home)
        subprocess.run([*TOKENLENS, "--data-dir", str(data), "scan"], env=env, check=True, capture_output=True)
        transcript = newest_transcript(home)
        body = payload(transcript)
        results: dict[str, tuple[list, list]] = {}
        floor_cmd = [sys.executable, "-c", "pass"]
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_delta(usage.ru_utime + usage.ru_stime)  # the scan's CPU is no line's
        time_line(env, data, body)  # the first line after the scan

        def paired(before_each=None, python: str = sys.executable) -> tuple[list, list]:
            """Each run of the line right after a `python -c pass`: load on the shared machine
            hits both alike, so the difference is the line's own cost."""
            lines, floors = [], []
            line = [python, *LINE[1:]]
            for n in range(args.runs):
                if before_each:
                    before_each(n)
                floors.append(time_cmd([python, *floor_cmd[1:]], env))
                lines.append(time_line(env, data, body, line))
            return lines, floors

        results["app not running, transcript unchanged"] = paired()

        def grow(n: int) -> None:
            append_message(transcript, n)
            time.sleep(0.3)  # Claude Code runs it at most every 300 ms

        results["app not running, a new message before each"] = paired(grow)
        # The grown transcript read to its end, as the case's name says: else every run would
        # start a reader in a venv that has none of the reader's dependencies.
        subprocess.run([*TOKENLENS, "--data-dir", str(data), "scan"], env=env, check=True, capture_output=True)
        wheel_python = installed_python()
        time_line(env, data, body, [wheel_python, *LINE[1:]])  # its first run compiles nothing: pip did
        results["installed from a wheel, app not running, transcript unchanged"] = paired(python=wheel_python)
        app = start_app(env, data, home)
        try:
            results["app running"] = paired()
        finally:
            stop(app)
        imports = [time_cmd([sys.executable, "-c", "import tokenlens.statusline"], env) for _ in range(args.runs // 2)]
        events = subprocess.run([*TOKENLENS, "--data-dir", str(data), "doctor", "--json"], env=env,
                                capture_output=True, check=True).stdout
        total_events = sum(json.loads(events)["events"].values())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, tokenlens @ {commit},"
             f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 200 MB history ({total_events:,} events"
             f" in the ledger), {args.runs} runs each, load average at the end {load:.1f} (shared machine).",
             "", "| case | median | p99 | CPU time, median | `python -c pass` just before: median, CPU |"
             " line minus that, median | target |", "|---|---:|---:|---:|---:|---:|---|"]
    for name, (samples, floors) in results.items():
        walls, cpus = [w for w, _ in samples], [c for _, c in samples]
        med, p99 = stats(walls)
        own = statistics.median(a[0] - b[0] for a, b in zip(samples, floors, strict=True))
        floor_wall, floor_cpu = statistics.median(w for w, _ in floors), statistics.median(c for _, c in floors)
        verdict = "meets" if med < 0.050 and p99 < 0.150 else "MISSES"
        lines.append(f"| {name} | {med * 1000:.1f} ms | {p99 * 1000:.1f} ms | {statistics.median(cpus) * 1000:.1f} ms"
                     f" | {floor_wall * 1000:.1f} ms, {floor_cpu * 1000:.1f} ms | {own * 1000:.1f} ms"
                     f" | median < 50 ms, p99 < 150 ms: {verdict} |")
    med, p99 = stats([w for w, _ in imports])
    lines.append(f"| floor: `python -c 'import tokenlens.statusline'`, no work | {med * 1000:.1f} ms | {p99 * 1000:.1f} ms"
                 f" | {statistics.median(c for _, c in imports) * 1000:.1f} ms | | | |")
    table = "\n".join(lines)
    print(table)
    if not args.no_readme:
        text = README.read_text(encoding="utf-8")
        block = f"{START}\n{table}\n{END}"
        if START in text:
            text = text.split(START)[0] + block + text.split(END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n## The status line (issue 17)\n\n`bench/statusline.py`: "\
                   + (__doc__.split("\n\n")[0].split(":", 1)[0]) + ".\n\n" + block + "\n"
        README.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
