"""Shared helpers for the robustness tests: a corpus in the tools' real formats whose expected
totals are computed here from the numbers we write (never by the parsers under test), and
subprocess runners for the CLI.

This module holds no tests; its name keeps it with the other test_robust_* files.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.logs import claude_assistant, claude_user, codex_meta, codex_tokens, codex_turn

REPO = Path(__file__).resolve().parent.parent
FIELDS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")


@dataclass
class Line:
    text: str
    end: int  # byte offset just after this line in its file
    key: str | None = None  # the usage this line carries, if any
    rank: int = 0
    tokens: dict | None = None


@dataclass
class LogFile:
    tool: str
    path: Path
    lines: list[Line] = field(default_factory=list)

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes("".join(line.text for line in self.lines).encode())


@dataclass
class Corpus:
    files: list[LogFile]

    def bad_lines(self) -> int:
        return sum(1 for log in self.files for line in log.lines if line.text == BAD_LINE)

    def expected(self, offsets: dict[str, int] | None = None) -> dict[str, dict]:
        """Totals per tool of the usage in each file's first `offsets[path]` bytes (all by default).

        Claude Code repeats one response over several lines: the line with the highest rank
        (largest total, then stop reason) is the one that counts, whatever the order.
        """
        best: dict[tuple[str, str], Line] = {}
        for log in self.files:
            limit = None if offsets is None else offsets.get(str(log.path), 0)
            for line in log.lines:
                if line.key is None or (limit is not None and line.end > limit):
                    continue
                slot = (log.tool, line.key)
                if slot not in best or line.rank >= best[slot].rank:
                    best[slot] = line
        out: dict[str, dict] = {}
        for (tool, _), line in best.items():
            totals = out.setdefault(tool, {"events": 0, **{f: 0 for f in FIELDS}})
            totals["events"] += 1
            for f in FIELDS:
                totals[f] += line.tokens[f]
        return out


def _add_line(log: LogFile, obj: dict, key=None, rank=0, tokens=None) -> None:
    text = json.dumps(obj) + "\n"
    start = log.lines[-1].end if log.lines else 0
    log.lines.append(Line(text, start + len(text.encode()), key, rank, tokens))


# A line that mentions usage but is cut short: skipped and counted, never fatal.
BAD_LINE = '{"type": "assistant", "message": {"usage": {"input_tokens": 12\n'


def claude_file(path: Path, session: str, n_messages: int, rng: random.Random, start: datetime,
                bad_every: int = 0) -> LogFile:
    log = LogFile("claude-code", path)
    ts = start
    for i in range(n_messages):
        if bad_every and i % bad_every == bad_every - 1:
            log.lines.append(Line(BAD_LINE, (log.lines[-1].end if log.lines else 0) + len(BAD_LINE)))
        ts += timedelta(seconds=rng.randint(5, 400))
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        _add_line(log, claude_user(stamp, session))
        inp, out, cr, cw = rng.randint(1, 900), rng.randint(1, 4000), rng.randint(0, 90_000), rng.randint(0, 9000)
        msg, req = f"msg_{session}_{i}", f"req_{session}_{i}"
        tokens = {"input_tokens": inp, "cache_read_tokens": cr, "cache_write_tokens": cw,
                  "output_tokens": out, "reasoning_tokens": 0}
        if rng.random() < 0.3:
            # A streaming snapshot first: same ids, placeholder output, no stop reason yet.
            early = dict(tokens, output_tokens=1)
            _add_line(log, claude_assistant(stamp, session, msg, req, inp=inp, out=1, cr=cr, cw=cw, stop=None),
                      key=f"{msg}:{req}", rank=(inp + 1 + cr + cw) * 2, tokens=early)
        _add_line(log, claude_assistant(stamp, session, msg, req, inp=inp, out=out, cr=cr, cw=cw),
                  key=f"{msg}:{req}", rank=(inp + out + cr + cw) * 2 + 1, tokens=tokens)
    return log


def codex_file(path: Path, session: str, n_turns: int, rng: random.Random, start: datetime) -> LogFile:
    log = LogFile("codex", path)
    stamp = start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    _add_line(log, codex_meta(stamp, session))
    _add_line(log, codex_turn(stamp))
    total = [0, 0, 0, 0]
    ts = start
    for _ in range(n_turns):
        ts += timedelta(seconds=rng.randint(5, 400))
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        new_in = rng.randint(100, 50_000)
        cached = rng.randint(0, new_in)
        out = rng.randint(1, 5000)
        reasoning = rng.randint(0, out)
        last = (new_in, cached, out, reasoning)
        total = [t + d for t, d in zip(total, last, strict=True)]
        tokens = {"input_tokens": new_in - cached, "cache_read_tokens": cached, "cache_write_tokens": 0,
                  "output_tokens": out, "reasoning_tokens": reasoning}
        key = f"{session}:{int(ts.timestamp() * 1000)}:{':'.join(map(str, total))}"
        _add_line(log, codex_tokens(stamp, tuple(total), last), key=key, tokens=tokens)
        if rng.random() < 0.3:
            # The UI re-emits an unchanged cumulative total: not new usage.
            _add_line(log, codex_tokens(stamp, tuple(total), last))
    return log


def build_corpus(home: Path, *, claude_files=40, messages=40, codex_files=20, turns=40, seed=8) -> Corpus:
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    files = []
    for i in range(claude_files):
        path = home / f".claude/projects/-home-me-proj{i % 5}/{i:04d}-session.jsonl"
        files.append(claude_file(path, f"cs{i}", messages, rng, start + timedelta(hours=7 * i)))
    for i in range(codex_files):
        day = start + timedelta(days=i)
        sid = f"0199{i:04d}-aaaa-bbbb-cccc-{i:012d}"
        path = home / f".codex/sessions/{day:%Y/%m/%d}/rollout-{day:%Y-%m-%dT%H-%M-%S}-{sid}.jsonl"
        files.append(codex_file(path, sid, turns, rng, day))
    for log in files:
        log.write()
    return Corpus(files)


# ---- reading a ledger without the code under test ---------------------------------------


def ledger_totals(db_path: Path) -> dict[str, dict]:
    """Per-tool totals straight from the ledger file with plain sqlite3 (read-only)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT tool, COUNT(*), SUM(input_tokens), SUM(cache_read_tokens),"
            " SUM(cache_write_5m_tokens + cache_write_1h_tokens), SUM(output_tokens), SUM(reasoning_tokens)"
            " FROM events GROUP BY tool"
        ).fetchall()
    finally:
        conn.close()
    return {r[0]: dict(zip(("events", *FIELDS), r[1:], strict=True)) for r in rows}


def ledger_offsets(db_path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT path, offset FROM files").fetchall())
    except sqlite3.OperationalError:  # killed before the schema existed
        return {}
    finally:
        conn.close()


# ---- running the CLI as a subprocess -----------------------------------------------------


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "CODEX_", "TOKENLENS_", "XDG_"))}
    env.update(HOME=str(home), TZ="UTC", PYTHONPATH=str(REPO), **extra)
    return env


def cli_cmd(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tokenlens", "--data-dir", str(data_dir), *args]


def run_cli(home: Path, data_dir: Path, *args: str, timeout=120, **kw) -> subprocess.CompletedProcess:
    env = kw.pop("env", None) or cli_env(home)
    return subprocess.run(cli_cmd(data_dir, *args), env=env, capture_output=True, text=True, timeout=timeout, **kw)
