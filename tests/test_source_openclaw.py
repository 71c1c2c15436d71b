"""OpenClaw: live JSONL, archived .reset/.deleted copies and the per-agent SQLite store all
count, and a message found in several of them counts once."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.logs import CANARY, append
from tokenlens.config import Env
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.store.ledger import ledger_path
from tokenlens.tools.openclaw.usage import OpenClaw

T0 = 1_795_000_000_000  # 2026-11-17T..Z in epoch ms


# ---- builders: records exactly as pi-agent/OpenClaw writes them -------------------


def header(sid: str, cwd: str = "/home/me/bot") -> dict:
    return {"type": "session", "version": 3, "id": sid, "timestamp": "2026-11-17T09:00:00.000Z", "cwd": cwd}


def model_change(model: str, provider: str = "anthropic") -> dict:
    return {"type": "model_change", "id": "mc1", "parentId": None, "timestamp": "2026-11-17T09:00:01.000Z",
            "provider": provider, "modelId": model}


def user(mid: str, text: str = CANARY) -> dict:
    return {"type": "message", "id": mid, "parentId": None, "timestamp": "2026-11-17T09:00:02.000Z",
            "message": {"role": "user", "content": [{"type": "text", "text": f"please {text}"}],
                        "timestamp": T0}}


def assistant(mid: str, inp: int, out: int, cr: int = 0, cw: int = 0, *, at: int = 0,
              model: str | None = "claude-opus-4-5", cost: float | None = None) -> dict:
    usage: dict = {"input": inp, "output": out, "cacheRead": cr, "cacheWrite": cw,
                   "totalTokens": inp + out + cr + cw}
    if cost is not None:
        usage["cost"] = {"input": 0.0, "output": 0.0, "cacheRead": 0.0, "cacheWrite": 0.0, "total": cost}
    message = {"role": "assistant", "content": [{"type": "text", "text": f"done with {CANARY}"}],
               "api": "anthropic-messages", "stopReason": "stop", "timestamp": T0 + at * 1000, "usage": usage}
    if model is not None:
        message["provider"] = "anthropic"
        message["model"] = model
    return {"type": "message", "id": mid, "parentId": "p", "timestamp": "2026-11-17T09:00:03.000Z",
            "message": message}


def sessions_dir(state: Path, agent: str = "main") -> Path:
    return state / "agents" / agent / "sessions"


def make_agent_db(path: Path) -> sqlite3.Connection:
    """The 2026.9 per-agent store, in WAL mode like OpenClaw keeps it. Returns the open writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(
        """
        CREATE TABLE session_windows (session_id TEXT NOT NULL PRIMARY KEY, session_key TEXT NOT NULL,
            created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
        CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL,
            event_json TEXT, created_at INTEGER NOT NULL, event_zstd BLOB,
            PRIMARY KEY (session_id, seq)) STRICT;
        """
    )
    conn.commit()
    return conn


def put_events(conn: sqlite3.Connection, sid: str, records: list[dict | None], first_seq: int = 0) -> None:
    import json

    conn.execute("INSERT OR IGNORE INTO session_windows VALUES (?, ?, ?, ?)", (sid, f"agent:main:{sid}", T0, T0))
    for i, record in enumerate(records):
        if record is None:  # a row OpenClaw compacted to zstd
            conn.execute("INSERT INTO transcript_events VALUES (?, ?, NULL, ?, X'28B52FFD')", (sid, first_seq + i, T0))
        else:
            conn.execute("INSERT INTO transcript_events VALUES (?, ?, ?, ?, NULL)",
                         (sid, first_seq + i, json.dumps(record), T0 + i))
    conn.commit()


def totals(db):
    return build_report(db, "daily", tz="UTC", tool="openclaw").totals


def ledger_bytes(data_dir: Path) -> bytes:
    path = ledger_path(data_dir)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# ---- tests ------------------------------------------------------------------------


def test_live_archives_and_database_count_each_message_once(db, env, home, data_dir):
    state = home / ".openclaw"
    s1 = [header("S1"), model_change("claude-opus-4-5"), user("u1"),
          assistant("m1", 12, 640, 30110, 900, cost=0.0367),
          assistant("m2", 5, 100, 2000, 0, at=5, model=None),  # model from model_change
          assistant("err", 0, 0, at=6)]  # a failed call: nothing billed
    append(sessions_dir(state) / "S1.jsonl", *s1)
    # The same transcript archived by a later delete: every line again.
    append(sessions_dir(state) / "S1.jsonl.deleted.2026-11-18T10-00-00.000Z", *s1)
    # An older session reset away: only in its archive.
    append(sessions_dir(state) / "S0.jsonl.reset.1795000000000", header("S0"), user("u0"),
           assistant("a1", 7, 70, 0, 0))
    # The 2026.9 database holds S1 again (migrated) plus a new session S2.
    writer = make_agent_db(state / "agents" / "main" / "agent" / "openclaw-agent.sqlite")
    put_events(writer, "S1", s1)
    put_events(writer, "S2", [header("S2", cwd="/home/me/other"), user("u2"),
                              assistant("d1", 3, 30, 100, 10, model="claude-sonnet-4-5", cost=0.01)])
    writer.close()

    result = scan(db, env, [OpenClaw()])
    assert result.sources["openclaw"].errors == []
    t = totals(db)
    # Hand sums over distinct messages m1, m2, a1, d1.
    assert t["input_tokens"] == 12 + 5 + 7 + 3
    assert t["output_tokens"] == 640 + 100 + 70 + 30
    assert t["cache_read_tokens"] == 30110 + 2000 + 0 + 100
    assert t["cache_write_tokens"] == 900 + 10
    assert t["total_tokens"] == 27 + 840 + 32210 + 910
    assert t["models"] == ["claude-opus-4-5", "claude-sonnet-4-5"]
    assert db.execute("SELECT COUNT(*) FROM events WHERE tool='openclaw'").fetchone()[0] == 4
    # The tool's own costs are used; m2 (no cost recorded) and a1 are priced from the table.
    costs = dict(db.execute("SELECT event_key, cost_usd FROM events WHERE cost_source='log'").fetchall())
    assert costs == {"S1:m1": pytest.approx(0.0367), "S2:d1": pytest.approx(0.01)}
    projects = build_report(db, "daily", tz="UTC", tool="openclaw", by="project").rows
    assert {r["group"] for r in projects} == {"/home/me/bot", "/home/me/other"}
    assert CANARY.encode() not in ledger_bytes(data_dir)


def test_reported_cost_wins_and_table_price_matches_genai_prices(db, env, home):
    from genai_prices import Usage, calc_price

    state = home / ".openclaw"
    append(sessions_dir(state) / "S1.jsonl", header("S1"), model_change("claude-opus-4-5"),
           assistant("m2", 5, 100, 2000, 40, model=None))
    scan(db, env, [OpenClaw()])
    expected = calc_price(Usage(input_tokens=5 + 2000 + 40, cache_read_tokens=2000, cache_write_tokens=40,
                                output_tokens=100), "claude-opus-4-5", provider_id="anthropic").total_price
    cost, source = db.execute("SELECT cost_usd, cost_source FROM events").fetchone()
    assert source == "table"
    assert Decimal(str(cost)) == pytest.approx(expected, rel=Decimal("1e-9"))


def test_incremental_append_bad_lines_and_rescan(db, env, home):
    path = sessions_dir(home / ".openclaw") / "S1.jsonl"
    append(path, header("S1"), model_change("claude-opus-4-5"), assistant("m1", 10, 100))
    scan(db, env, [OpenClaw()])
    assert totals(db)["total_tokens"] == 110

    bad_json = '{"type":"message","id":"m9","message":{"role":"assistant","usage":{"input":1\n'
    negative = assistant("m8", 1, -5)
    append(path, bad_json, negative, assistant("m2", 20, 200, at=9))
    result = scan(db, env, [OpenClaw()])
    assert result.sources["openclaw"].events_added == 1
    assert result.sources["openclaw"].lines_skipped == 2
    assert totals(db)["total_tokens"] == 110 + 220
    reasons = {r for (r,) in db.execute("SELECT reason FROM skips")}
    assert reasons == {"invalid JSON", "output is negative"}

    again = scan(db, env, [OpenClaw()])
    assert again.sources["openclaw"].events_added == 0
    assert totals(db)["total_tokens"] == 330


def test_wal_only_changes_are_noticed_and_compressed_rows_counted(db, env, home):
    db_path = home / ".openclaw" / "agents" / "work" / "agent" / "openclaw-agent.sqlite"
    writer = make_agent_db(db_path)
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep new rows in the -wal, like a busy gateway
    put_events(writer, "S3", [header("S3"), model_change("claude-sonnet-4-5"), assistant("x1", 4, 40, model=None),
                              None])
    scan(db, env, [OpenClaw()])
    assert totals(db)["total_tokens"] == 44
    assert db.execute("SELECT lines_skipped FROM files").fetchone()[0] == 1  # the zstd row

    main_before = (db_path.stat().st_size, db_path.stat().st_mtime_ns)
    put_events(writer, "S3", [assistant("x2", 6, 60, model=None)], first_seq=10)
    assert (db_path.stat().st_size, db_path.stat().st_mtime_ns) == main_before  # only the WAL grew
    result = scan(db, env, [OpenClaw()])
    assert result.sources["openclaw"].events_added == 1
    assert totals(db)["total_tokens"] == 44 + 66
    assert scan(db, env, [OpenClaw()]).sources["openclaw"].events_added == 0
    writer.close()


def test_reader_leaves_no_files_next_to_a_checkpointed_database(db, env, home):
    db_path = home / ".openclaw" / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    writer = make_agent_db(db_path)
    put_events(writer, "S1", [header("S1"), assistant("m1", 1, 10)])
    writer.close()  # last close checkpoints and removes -wal/-shm
    before = sorted(p.name for p in db_path.parent.iterdir())
    scan(db, env, [OpenClaw()])
    assert sorted(p.name for p in db_path.parent.iterdir()) == before == ["openclaw-agent.sqlite"]
    # The gateway can write right after (no lock left behind: timeout=0 would fail fast).
    writer = sqlite3.connect(db_path, timeout=0)
    put_events(writer, "S1", [assistant("m2", 2, 20)], first_seq=5)
    writer.close()
    assert scan(db, env, [OpenClaw()]).sources["openclaw"].events_added == 1


def test_state_dir_override_and_profiles(db, home):
    custom = home / "elsewhere"
    append(sessions_dir(custom) / "S1.jsonl", header("S1"), assistant("m1", 1, 1))
    append(sessions_dir(home / ".openclaw-work") / "S9.jsonl", header("S9"), assistant("m1", 2, 2))
    append(sessions_dir(home / ".clawdbot") / "S8.jsonl", header("S8"), assistant("m1", 3, 3))
    only_custom = Env(environ={"HOME": str(home), "OPENCLAW_STATE_DIR": str(custom)})
    assert [d.path.name for d in OpenClaw().discover(only_custom)] == ["S1.jsonl"]
    defaults = Env(environ={"HOME": str(home)})
    assert sorted(d.path.name for d in OpenClaw().discover(defaults)) == ["S8.jsonl", "S9.jsonl"]
    scan(db, defaults, [OpenClaw()])
    assert totals(db)["total_tokens"] == 4 + 6


def test_zstd_archives_and_non_transcripts_are_not_read(env, home):
    sessions = sessions_dir(home / ".openclaw")
    for name in ("S1.jsonl", "S1.jsonl.deleted.1795000000000.ab12.zst", "sessions.json",
                 "S1.jsonl.archival-1.tmp", "S2.jsonl.reset.2026-11-17"):
        append(sessions / name, header("S1"))
    found = sorted(d.path.name for d in OpenClaw().discover(env))
    assert found == ["S1.jsonl", "S2.jsonl.reset.2026-11-17"]
