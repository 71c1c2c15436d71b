"""`tokenlens statusline`: Claude Code's status-line command (issue 17).

Claude Code runs it after each message with a JSON object on stdin (tools/claude_code/
statusline.py says what it holds). It records the plan-window readings the object carries,
prints one short line, e.g. `today 3.3M tok $3.14 · 5h 42% → 16:40 · 7d 18%`, and exits 0
whatever happens: a broken terminal line is worse than a missing number.

Fast by construction (bench/statusline.py measures it): run as `python -m tokenlens.statusline`
it imports neither click nor rich nor pricing; it never walks the log tree. Today's figures
come from the ledger's quarter-hour rollup. The running app keeps the ledger fresh; without it,
the one `transcript_path` is read incrementally by a detached child (`--ingest`, at most one
every 2 s), because pricing new usage imports genai-prices (~0.2 s), more than the status
line's budget: the line shows what the ledger held a moment before, a later one the new lines.

A ledger that is busy, locked or damaged gives a short fallback line built from the payload
alone; readings that could not be written wait in `limits-pending.jsonl` in the data dir and
are written by the next status line that can.

Parts (`--parts`, or the `statusline_parts` setting): today, 5h, 7d, codex; default
"today,5h,7d". Colours (green, yellow from 50 %, red from 80 %) unless NO_COLOR is set.
`--then CMD` runs a previous status-line command with the same stdin and prints its output
after this line (what `statusline install` sets up when one was there).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

DEFAULT_PARTS = ("today", "5h", "7d")
KNOWN_PARTS = ("today", "5h", "7d", "codex")
PARTS_SETTING = "statusline_parts"
PENDING_FILE = "limits-pending.jsonl"
INGEST_LOCK = "statusline-ingest.lock"
INGEST_EVERY_S = 2.0
BUSY_MS = 150
# A reading the ledger saw this recently is not written again: a status line runs every few
# hundred ms, and each write costs a commit (and, for the last connection, a checkpoint).
# `limits` then shows it as observed at most this long ago.
REFRESH_MS = 60_000
CHAIN_TIMEOUT_S = 5.0
MAX_STDIN = 1 << 20
SEPARATOR = " · "


class Options:
    def __init__(self) -> None:
        self.data_dir: str | None = None
        self.parts: tuple[str, ...] | None = None
        self.then: str | None = None
        self.ingest: str | None = None


def parse_args(argv: list[str]) -> Options:
    """A tiny parser (argparse would cost the status line more than the rest of its start)."""
    options = Options()
    items = list(argv)
    while items:
        arg = items.pop(0)
        name, _, value = arg.partition("=")
        if name in ("--data-dir", "--parts", "--then", "--ingest"):
            if not _:
                value = items.pop(0) if items else ""
            if name == "--parts":
                options.parts = parse_parts(value)
            else:
                setattr(options, name[2:].replace("-", "_"), value)
    return options


def parse_parts(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    parts = tuple(p.strip() for p in value.split(",") if p.strip() in KNOWN_PARTS)
    return parts or None


# ---- the payload -------------------------------------------------------------------------


def read_payload(raw: bytes) -> dict:
    import json  # the standard library's: imports in a fraction of orjson's time

    try:
        value = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def payload_readings(payload: dict, now_ms: int, env_home: Path, configured: str | None):
    from tokenlens.tools.claude_code.statusline import account_label, config_dir_of, readings

    account = account_label(config_dir_of(payload.get("transcript_path"), configured), env_home)
    found, skipped = readings(payload, now_ms, account)
    return account, found, skipped


# ---- the ledger ---------------------------------------------------------------------------


def record(db, data_dir: Path, found: list, skipped: int = 0) -> bool:
    """Write the readings (and any left waiting); if the ledger cannot take them now (busy,
    read-only, damaged), they wait in a file and this returns False."""
    import sqlite3

    from tokenlens.store.queries import limit_reading_seen_since
    from tokenlens.store.writes import count_skipped_statusline_readings, upsert_limit_readings

    waiting = _take_pending(data_dir)
    todo = waiting + [r for r in found if not limit_reading_seen_since(db, r, r.last_seen_ms - REFRESH_MS)]
    if not todo and not skipped:
        return True
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            upsert_limit_readings(db, todo)
            if skipped:
                count_skipped_statusline_readings(db, skipped)
        except BaseException:
            db.conn.rollback()
            raise
        db.execute("COMMIT")
    except sqlite3.Error:
        _keep_pending(data_dir, todo)
        return False
    if waiting:
        (data_dir / PENDING_FILE).unlink(missing_ok=True)
    return True


def _take_pending(data_dir: Path) -> list:
    import json

    from tokenlens.limits import LimitReading

    try:
        raw = (data_dir / PENDING_FILE).read_bytes()
    except OSError:
        return []
    out = []
    for line in raw.splitlines():
        try:
            out.append(LimitReading(**json.loads(line)))
        except (ValueError, TypeError):
            continue  # a torn last line of a crashed write: the reading is lost, the rest kept
    return out


def _keep_pending(data_dir: Path, readings: list) -> None:
    import json

    from tokenlens.config import create_private_file

    path = data_dir / PENDING_FILE
    try:
        create_private_file(path)
        lines = b"".join(json.dumps(r._asdict()).encode() + b"\n" for r in readings)
        path.write_bytes(lines)  # the waiting ones were read first: all of them are in `readings`
    except OSError:
        pass  # nowhere to keep them: the next payload carries the same windows again


def today_bounds(now_ms: int) -> tuple[int, int]:
    t = time.localtime(now_ms / 1000)
    midnight = time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))
    return int(midnight * 1000), now_ms + 1


# ---- the line -----------------------------------------------------------------------------


def colour(text: str, percent: float | None, enabled: bool) -> str:
    if not enabled or percent is None:
        return text
    code = "31" if percent >= 80 else "33" if percent >= 50 else "32"
    return f"\x1b[{code}m{text}\x1b[0m"


def clock(ms: int, now_ms: int) -> str:
    """16:40 today, else with the weekday: a bare time tomorrow reads as today."""
    at, now = time.localtime(ms / 1000), time.localtime(now_ms / 1000)
    same_day = (at.tm_year, at.tm_yday) == (now.tm_year, now.tm_yday)
    return time.strftime("%H:%M" if same_day else "%a %H:%M", at)


def window_part(label: str, status, now_ms: int, colours: bool) -> str:
    if status.used_percent is None:
        return f"{label} reset"
    text = colour(f"{label} {int(status.used_percent + 0.5)}%", status.used_percent, colours)
    if status.resets_at_ms is not None and status.resets_at_ms - now_ms < 20 * 3_600_000:
        text += f" → {clock(status.resets_at_ms, now_ms)}"
    if status.pace == "full_at" and status.pace_full_at_ms is not None:
        text += f" full ~{clock(status.pace_full_at_ms, now_ms)}"
    if status.state == "stale":
        text += " (old)"
    return text


def today_part(totals: tuple[int, float, int] | None) -> str | None:
    if totals is None:
        return None
    from tokenlens.numbers import format_cost, format_tokens

    tokens, cost, unpriced = totals
    money = format_cost(cost) + ("+" if unpriced else "")
    return f"today {format_tokens(tokens)} tok {money}"


def compose(parts: tuple[str, ...], totals, statuses: list, account: str, now_ms: int, colours: bool) -> str:
    from tokenlens.tools.claude_code.statusline import TOOL as CLAUDE_CODE
    from tokenlens.tools.codex import TOOL as CODEX_TOOL  # its .limits would load the log reader

    CODEX = CODEX_TOOL.id

    mine = [s for s in statuses if s.tool == CLAUDE_CODE and (not account or s.account == account)]
    out = []
    for part in parts:
        if part == "today":
            text = today_part(totals)
        elif part in ("5h", "7d"):
            found = [s for s in mine if s.window == part]
            text = window_part(part, found[0], now_ms, colours) if found else None
        else:  # codex: its tightest window
            found = [s for s in statuses if s.tool == CODEX and s.used_percent is not None]
            text = window_part(f"codex {found[0].window}", found[0], now_ms, colours) if found else None
        if text:
            out.append(text)
    return SEPARATOR.join(out) or "tokenlens"


def statuses_from_payload(found: list, now_ms: int) -> list:
    """Window states from the payload's readings alone (the fallback line)."""
    from tokenlens.limits import status_of_reading

    return [status_of_reading(r, now_ms) for r in found]


# ---- the transcript -------------------------------------------------------------------------


def app_socket_name(data_dir: Path) -> str:
    """As /proc/net/unix shows the app's QLocalServer: Qt puts a Linux local server's name in
    the abstract namespace, which that file lists with a leading '@'."""
    from tokenlens.config import app_instance_name

    return "@" + app_instance_name(data_dir)


def app_is_running(data_dir: Path) -> bool:
    """The tray app listens on an abstract Unix socket named after the data dir
    (app/single_instance.server_name); /proc/net/unix lists it. Elsewhere: unknown, False."""
    name = app_socket_name(data_dir).encode()
    try:
        with open("/proc/net/unix", "rb") as fh:
            return any(line.rstrip().endswith(name) for line in fh)
    except OSError:
        return False


def transcript_to_read(db, payload: dict, env) -> Path | None:
    """The payload's transcript, when it is a Claude Code transcript tokenlens reads and it
    changed since the ledger read it."""
    value = payload.get("transcript_path")
    if not isinstance(value, str) or not value.endswith(".jsonl"):
        return None
    path = Path(value)
    try:
        st = path.stat()
    except OSError:
        return None
    if _root_of(path, env) is None:
        return None
    from tokenlens.store.queries import file_stamp

    if file_stamp(db, str(path)) == (st.st_size, st.st_mtime_ns):
        return None
    return path


def _root_of(path: Path, env) -> Path | None:
    """The Claude Code transcript root (`<config dir>/projects`) holding `path`, if any: the
    payload names a file, and only a transcript tokenlens would read anyway is read."""
    from tokenlens.tools.claude_code import homes

    for home in homes(env):
        if _is_under(path, home / "projects"):
            return home / "projects"
    return None


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError):
        return False


def spawn_ingest(path: Path, data_dir: Path) -> None:
    """At most one reader every INGEST_EVERY_S: Claude Code may run the status line every
    300 ms, and each reader costs a Python start and the price table's import."""
    import subprocess

    lock = data_dir / INGEST_LOCK
    try:
        if time.time() - lock.stat().st_mtime < INGEST_EVERY_S:
            return
    except OSError:
        pass  # no reader has run yet
    try:
        os.utime(lock) if lock.exists() else lock.touch()
    except OSError:
        return

    args = [sys.executable, "-m", "tokenlens.statusline", "--data-dir", str(data_dir), "--ingest", str(path)]
    subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)


def ingest_transcript(path: Path, data_dir: Path) -> int:
    """In the detached child: read the one transcript from where the ledger stopped. One child
    at a time (a lock file); a busy one leaves the rest to the next status line."""
    import fcntl

    from tokenlens.config import Env

    env = Env()
    root = _root_of(path, env)
    if root is None:
        return 0
    with open(data_dir / INGEST_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # another reader is at it; what it misses, the next one reads
        from tokenlens.ingest.read import ingest_file_safely
        from tokenlens.ingest.result import SourceScan
        from tokenlens.pricing import Pricer
        from tokenlens.store import open_ledger
        from tokenlens.store.writer import Batch
        from tokenlens.tools.claude_code.usage import ClaudeCode
        from tokenlens.tools.source import Discovered

        source = ClaudeCode()
        db = open_ledger(data_dir)
        try:
            batch = Batch(db, Pricer())
            ingest_file_safely(batch, source, Discovered(path, root), SourceScan(source.id))
            batch.flush()
        finally:
            db.conn.close()
    return 0


# ---- the command ----------------------------------------------------------------------------


def run(raw: bytes, options: Options, environ=None) -> str:
    """The line for one payload; records what it carries. Never raises."""
    from tokenlens.config import Env, resolve_data_dir

    env = Env(environ=dict(environ if environ is not None else os.environ))
    now_ms = int(time.time() * 1000)
    payload = read_payload(raw)
    colours = not env.get("NO_COLOR")
    found: list = []
    account = ""
    parts = options.parts or DEFAULT_PARTS
    data_dir = None
    try:
        account, found, skipped = payload_readings(payload, now_ms, env.home, env.get("CLAUDE_CONFIG_DIR"))
        data_dir = resolve_data_dir(options.data_dir, env)
        if options.parts is None:
            from tokenlens.config import load_settings

            parts = parse_parts(load_settings(data_dir).get(PARTS_SETTING)) or DEFAULT_PARTS
        line = _line_from_ledger(data_dir, payload, found, len(skipped), account, parts, now_ms, colours, env)
    except Exception:  # noqa: BLE001 - the status line never breaks the person's terminal
        if data_dir is not None and found:
            _keep_pending(data_dir, _take_pending(data_dir) + found)  # written by a later line
        line = _fallback(parts, found, account, now_ms, colours)
    return line + _chained(options.then, raw)


def _line_from_ledger(data_dir, payload, found, skipped, account, parts, now_ms, colours, env) -> str:
    from tokenlens.limits import window_states
    from tokenlens.store import queries
    from tokenlens.store.ledger import open_ledger_quickly

    db = open_ledger_quickly(data_dir, BUSY_MS)
    try:
        record(db, data_dir, found, skipped)  # what it cannot write waits in the pending file
        totals = queries.tokens_and_cost_between(db, *today_bounds(now_ms)) if "today" in parts else None
        statuses = window_states(db, now_ms, calibrate=False)
        path = transcript_to_read(db, payload, env)
        if path is not None and not app_is_running(data_dir):  # the running app reads it itself
            spawn_ingest(path, data_dir)
    finally:
        db.conn.close()
    return compose(parts, totals, statuses, account, now_ms, colours)


def _fallback(parts, found, account, now_ms, colours) -> str:
    try:
        line = compose(tuple(p for p in parts if p != "today"), None, statuses_from_payload(found, now_ms),
                       account, now_ms, colours)
    except Exception:  # noqa: BLE001
        line = ""
    text = "tokenlens: ledger unavailable"
    return f"{line}{SEPARATOR}{text}" if line and line != "tokenlens" else text


def _chained(command: str | None, raw: bytes) -> str:
    """The previous status-line command's output, after ours (its own lines kept)."""
    if not command:
        return ""
    import subprocess

    try:
        done = subprocess.run(command, shell=True, input=raw, capture_output=True, timeout=CHAIN_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return ""
    text = done.stdout.decode("utf-8", "replace").rstrip("\n")
    return "\n" + text if text else ""


def read_stdin() -> bytes:
    """The payload; nothing from a terminal (run by hand, there is none to wait for)."""
    try:
        if sys.stdin is None or sys.stdin.isatty():
            return b""
        return sys.stdin.buffer.read(MAX_STDIN)
    except (OSError, ValueError):
        return b""


def main(argv: list[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    if options.ingest:
        try:
            from tokenlens.config import Env, resolve_data_dir

            return ingest_transcript(Path(options.ingest), resolve_data_dir(options.data_dir, Env()))
        except Exception:  # noqa: BLE001 - a detached child: nobody to tell; the next scan reads it
            return 0
    line = run(read_stdin(), options)
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
