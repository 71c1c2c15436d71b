"""Aider: message_send events of the analytics log, found through the env var or the config
file; Aider's own cost is kept; a repeated line counts once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.logs import CANARY, append
from tokenlens.config import Env
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.store.ledger import ledger_path
from tokenlens.tools.aider.usage import Aider

USER = "b7e0c3b6-1f0e-4a5e-9d7c-2f1a0e6d5c4b"


def message_send(t: int, prompt: int, completion: int, cost: float, total_cost: float,
                 model: str | None = "anthropic/claude-sonnet-4-5") -> dict:
    """As aider/analytics.py writes it: non-numeric properties stringified, time in seconds."""
    props = {"edit_format": "diff", "prompt_tokens": prompt, "completion_tokens": completion,
             "total_tokens": prompt + completion, "cost": cost, "total_cost": total_cost,
             "python_version": "3.12.3", "os_platform": "Linux", "aider_version": "0.86.1"}
    if model is not None:
        props["main_model"] = model
    return {"event": "message_send", "properties": props, "user_id": USER, "time": t}


def other_event(t: int) -> dict:
    # Aider logs commands too; a prompt's text never appears in events, but prove we ignore them.
    return {"event": "command_add", "properties": {"note": CANARY}, "user_id": USER, "time": t}


def env_with_log(home: Path, log: Path) -> Env:
    return Env(environ={"HOME": str(home), "AIDER_ANALYTICS_LOG": str(log)})


def totals(db, **kw):
    return build_report(db, "daily", tz="UTC", tool="aider", **kw).totals


def test_message_send_events_with_reported_cost(db, home, data_dir):
    log = home / "logs" / "aider.jsonl"
    first = message_send(1_795_000_000, 12800, 640, 0.0483, 0.0483)
    append(log, {"event": "launched", "properties": {}, "user_id": USER, "time": 1_794_999_990},
           other_event(1_794_999_995), first, first,  # the same line twice
           message_send(1_795_000_000, 9000, 300, 0.031, 0.0793),  # same second, next reply
           message_send(1_795_000_100, 500, 50, 0.0, 0.0793, model="openrouter/REDACTED"))
    scan(db, env_with_log(home, log), [Aider()])
    t = totals(db)
    assert t["input_tokens"] == 12800 + 9000 + 500
    assert t["output_tokens"] == 640 + 300 + 50
    assert t["cache_read_tokens"] == t["cache_write_tokens"] == 0
    assert t["total_tokens"] == 12800 + 640 + 9300 + 550
    assert t["models"] == ["anthropic/claude-sonnet-4-5", "openrouter/REDACTED"]
    rows = db.execute("SELECT model, provider, cost_usd, cost_source FROM events ORDER BY ts_ms, input_tokens").fetchall()
    assert rows[0][1:] == ("anthropic", pytest.approx(0.031), "log")
    assert rows[1][1:] == ("anthropic", pytest.approx(0.0483), "log")
    # A redacted model with no recorded cost gets no made-up price.
    assert rows[2][1:] == ("openrouter", None, None)
    path = ledger_path(data_dir)
    wal = path.with_name(path.name + "-wal")
    assert CANARY.encode() not in path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_incremental_bad_lines_rescan(db, home):
    log = home / "aider.jsonl"
    env = env_with_log(home, log)
    append(log, message_send(1_795_000_000, 100, 10, 0.001, 0.001))
    scan(db, env, [Aider()])
    append(log, '{"event": "message_send", "properties": {"prompt_tokens": 5\n',
           {"event": "message_send", "properties": "oops", "user_id": USER, "time": 1_795_000_010},
           message_send(1_795_000_020, -4, 10, 0.0, 0.001),
           message_send(1_795_000_030, 200, 20, 0.002, 0.003))
    stats = scan(db, env, [Aider()]).sources["aider"]
    assert (stats.events_added, stats.lines_skipped) == (1, 3)
    assert totals(db)["total_tokens"] == 110 + 220
    assert scan(db, env, [Aider()]).sources["aider"].events_added == 0
    assert totals(db)["total_tokens"] == 330


def test_log_path_from_aider_config(db, env, home):
    log = home / "data" / "aider-analytics.jsonl"
    append(log, message_send(1_795_000_000, 40, 4, 0.0004, 0.0004))
    (home / ".aider.conf.yml").write_text("model: sonnet\nanalytics-log: ~/data/aider-analytics.jsonl\n")
    assert Aider().roots(env) == [log]
    scan(db, env, [Aider()])
    assert totals(db)["total_tokens"] == 44


def test_no_log_configured_means_nothing_looked_at(env, home):
    (home / ".aider.conf.yml").write_text("analytics-log: relative/path.jsonl\n: not yaml [\n")
    assert Aider().roots(env) == []
