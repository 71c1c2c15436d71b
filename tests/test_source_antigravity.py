"""Antigravity: per-call usage in protobuf blobs of per-conversation SQLite files.

The blobs are written by the small protobuf writer below, with the field numbers ccusage
20.0.24 recovered from the `agy` binary (see tokenlens/tools/antigravity/usage.py); every
expected total is worked out by hand from the numbers written.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tokenlens.config import Env
from tokenlens.tools.antigravity import homes
from tokenlens.tools.antigravity.usage import Antigravity
from tokenlens.tools.antigravity.wire import Message, WireError, fields

# ---- a protobuf writer (the test's own, independent of the reader) ---------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def vf(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def lf(number: int, payload: bytes | str) -> bytes:
    payload = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def usage(inp=0, out=0, cw=0, cr=0, think=0, model=0, mid="", rid="", pid="") -> bytes:
    """ModelUsageStats: 1 model, 2 input, 3 output (thinking included), 4 cache write,
    5 cache read, 7 message id, 9 thinking, 11 response id, 12 provider id."""
    parts = [vf(1, model) if model else b"", vf(2, inp), vf(3, out), vf(4, cw), vf(5, cr), vf(9, think)]
    parts += [lf(7, mid) if mid else b"", lf(11, rid) if rid else b"", lf(12, pid) if pid else b""]
    return b"".join(parts)


def stamp(seconds: int, nanos: int = 0) -> bytes:
    return vf(1, seconds) + vf(2, nanos)


def retry(u: bytes) -> bytes:
    return vf(1, 3) + lf(2, u)  # field 1: something else a retry info holds (ignored)


def step(u: bytes | None = None, retries=(), ts: bytes | None = None, model_id=0, name="") -> bytes:
    info = (vf(1, model_id) if model_id else b"") + (lf(12, name) if name else b"")
    return b"".join([lf(8, ts) if ts else b"", lf(9, u) if u is not None else b"", lf(24, info) if info else b"",
                     *(lf(28, retry(r)) for r in retries), vf(3, 7)])


def gen(u: bytes | None = None, retries=(), ts: bytes | None = None, name="", model_id=0) -> bytes:
    chat = b"".join([vf(3, model_id) if model_id else b"", lf(4, u) if u is not None else b"",
                     lf(9, lf(4, ts)) if ts else b"", *(lf(17, retry(r)) for r in retries),
                     lf(19, name) if name else b""])
    return lf(1, chat)


def trajectory(ts: bytes) -> bytes:
    return lf(1, "file:///home/me/proj") + lf(2, ts)


class AgDb:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        conn = sqlite3.connect(path)
        conn.executescript("""
            CREATE TABLE steps(idx INTEGER PRIMARY KEY, step_type INTEGER, status INTEGER, metadata BLOB);
            CREATE TABLE gen_metadata(idx INTEGER PRIMARY KEY, data BLOB, size INTEGER);
            CREATE TABLE trajectory_metadata_blob(id TEXT, data BLOB);
        """)
        conn.commit()
        self.conn = conn

    def steps(self, *blobs: bytes) -> AgDb:
        start = self.conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0]
        self.conn.executemany("INSERT INTO steps(idx, step_type, status, metadata) VALUES (?, 1, 3, ?)",
                              [(start + i, b) for i, b in enumerate(blobs)])
        self.conn.commit()
        return self

    def gens(self, *blobs: bytes) -> AgDb:
        start = self.conn.execute("SELECT COUNT(*) FROM gen_metadata").fetchone()[0]
        self.conn.executemany("INSERT INTO gen_metadata(idx, data, size) VALUES (?, ?, ?)",
                              [(start + i, b, len(b)) for i, b in enumerate(blobs)])
        self.conn.commit()
        return self

    def trajectory(self, blob: bytes) -> AgDb:
        self.conn.execute("INSERT INTO trajectory_metadata_blob VALUES ('main', ?)", [blob])
        self.conn.commit()
        return self

    def close(self) -> None:
        self.conn.close()


def conversations(home: Path, root: str = ".gemini/antigravity-cli") -> Path:
    return home / root / "conversations"


T0 = int(datetime(2026, 5, 20, 9, 0, tzinfo=UTC).timestamp())


def run(db, env):
    return scan_tool(db, env, Antigravity())


def totals(db) -> dict:
    t = tool_totals(db, "antigravity")
    return {k: t[k] for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                              "reasoning_tokens", "total_tokens")}


def sums(inp=0, cr=0, cw=0, out=0, reasoning=0) -> dict:
    return {"input_tokens": inp, "cache_read_tokens": cr, "cache_write_tokens": cw, "output_tokens": out,
            "reasoning_tokens": reasoning, "total_tokens": inp + cr + cw + out}


def events(db) -> dict:
    return {r[0]: r[1:] for r in db.execute(
        "SELECT event_key, ts_ms, model, session_id, input_tokens, output_tokens FROM events")}


# ---- the wire decoder ------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16384, 2**32, 2**63, 2**64 - 1])
def test_varints_round_trip(value):
    assert fields(vf(5, value)) == {5: [value]}


def test_nested_strings_repeats_and_fixed_fields():
    blob = vf(1, 7) + lf(2, "héllo") + lf(3, vf(1, 9)) + lf(3, vf(1, 10)) + varint(4 << 3 | 1) + b"\0" * 8 \
        + varint(5 << 3 | 5) + b"\0" * 4 + vf(1, 8)
    m = Message(blob)
    assert m.int(1) == 8 and m.text(2) == "héllo"  # the last value of a field wins
    assert [x.int(1) for x in m.messages(3)] == [9, 10]
    assert 4 not in m.f and 5 not in m.f  # fixed-width values are skipped
    assert m.int(99) == 0 and m.bytes(99) is None and m.message(99) is None and m.text(1) == ""
    assert fields(b"") == {}


@pytest.mark.parametrize("blob", [
    b"\x08",  # a tag, no value
    b"\x08\x80",  # a varint cut short
    b"\x12\x05abc",  # a length past the end
    b"\x09\0\0",  # a fixed64 cut short
    b"\x0d\0",  # a fixed32 cut short
    b"\x0b", b"\x0c", b"\x0e", b"\x0f",  # wire types 3, 4, 6, 7
    b"\x00\x01",  # field number 0
    b"\x08" + b"\xff" * 10 + b"\x01",  # a varint longer than 10 bytes
    b"\x08" + b"\xff" * 9 + b"\x7f",  # a varint past 64 bits
    b"\xff\xff\xff",  # garbage
])
def test_malformed_blobs_raise(blob):
    with pytest.raises(WireError):
        fields(blob)


# ---- the reader --------------------------------------------------------------------------


@pytest.fixture
def convs(home):
    dbs: list[AgDb] = []

    def make(name: str, root: str = ".gemini/antigravity-cli") -> AgDb:
        d = AgDb(conversations(home, root) / name)
        dbs.append(d)
        return d

    yield make
    for d in dbs:
        d.close()


def test_one_call_in_a_step_a_generation_and_a_retry_counts_once(db, env, convs):
    call = usage(inp=1200, out=300, cw=50, cr=8000, think=120, model=9999, mid="m1", rid="r1")
    convs("c1.db").trajectory(trajectory(stamp(T0))) \
        .steps(step(call, retries=[call], ts=stamp(T0 + 5, 250_000_000), model_id=9999)) \
        .gens(gen(call, retries=[call], ts=stamp(T0 + 5, 250_000_000), name="Gemini 3.6 Flash (High)"))
    stats = run(db, env)
    assert stats.lines_skipped == 0 and not stats.errors
    assert totals(db) == sums(inp=1200, cr=8000, cw=50, out=300, reasoning=120)
    # The generation row's display name wins over the step's bare enum.
    assert events(db) == {"response:r1": ((T0 + 5) * 1000 + 250, "gemini-3.6-flash", "c1", 1200, 300)}
    assert run(db, env).events_added == 0


def test_a_failed_retry_is_a_call_of_its_own(db, env, convs):
    ok = usage(inp=900, out=40, cr=100, mid="m2", rid="r2")
    failed_with_id = usage(inp=900, out=5, mid="m2", rid="r2-failed")
    failed_without = usage(inp=900, out=0, mid="m2")  # known only by the message it was for
    failed_again = usage(inp=900, out=0, mid="m2")
    retries = [failed_with_id, failed_without, failed_again, ok]
    convs("c2.db").steps(step(ok, retries=retries, ts=stamp(T0))).gens(gen(ok, retries=retries, ts=stamp(T0)))
    run(db, env)
    assert tool_event_count(db, "antigravity") == 4  # the success once, three failed attempts
    assert totals(db) == sums(inp=4 * 900, cr=100, out=40 + 5)


def test_a_sub_conversation_repeating_its_parents_call_counts_once(db, env, convs):
    shared = usage(inp=300, out=70, cr=2000, mid="m3", pid="prov-3")
    convs("parent.db").gens(gen(shared, ts=stamp(T0), name="Gemini 3 Pro"),
                            gen(usage(inp=10, out=2, rid="r4"), ts=stamp(T0 + 60), name="Gemini 3 Pro"))
    convs("parent/sub-1.db").steps(step(shared, ts=stamp(T0))) \
        .gens(gen(usage(inp=20, out=4, rid="r5"), ts=stamp(T0 + 90), name="Gemini 3 Pro"))
    stats = run(db, env)
    assert stats.files_seen == 2
    assert totals(db) == sums(inp=300 + 10 + 20, cr=2000, out=70 + 2 + 4)
    assert events(db)["provider:prov-3"][2] == "parent"  # the named copy, whichever file was read last
    assert events(db)["response:r5"][2] == "sub-1"


def test_a_truncated_or_garbage_blob_is_skipped_and_counted(db, env, convs):
    good = gen(usage(inp=5, out=6, rid="r6"), ts=stamp(T0), name="Gemini 3 Pro")
    convs("c6.db").trajectory(b"\xff\xff") \
        .steps(good[:-3], b"garbage \xff", step(usage(inp=1, out=1, rid="r7"), ts=stamp(T0))) \
        .gens(good, lf(2, "no chat model"), b"")
    stats = run(db, env)
    # the trajectory, two steps, and two generation rows without their chat model (field 1)
    assert stats.lines_skipped == 5
    assert totals(db) == sums(inp=6, out=7)


def test_time_the_rows_then_the_trajectorys_then_the_files(db, env, convs):
    convs("own.db").trajectory(trajectory(stamp(T0))).gens(gen(usage(inp=1, rid="a"), ts=stamp(T0 + 30, 999_999_999)))
    convs("traj.db").trajectory(trajectory(stamp(T0 + 3600))).steps(step(usage(inp=2, rid="b")))
    bare = convs("bare.db").gens(gen(usage(inp=3, rid="c")))
    mtime = T0 + 7200
    os.utime(bare.path, (mtime, mtime))
    convs("bad-time.db").trajectory(trajectory(stamp(T0 + 60))).steps(step(usage(inp=4, rid="d"), ts=lf(1, "x")))
    run(db, env)
    ts = {k: v[0] for k, v in events(db).items()}
    assert ts == {"response:a": (T0 + 30) * 1000 + 999, "response:b": (T0 + 3600) * 1000,
                  "response:c": mtime * 1000, "response:d": (T0 + 60) * 1000}


def test_models_from_names_enums_or_a_placeholder(db, env, convs):
    convs("m.db").steps(step(usage(inp=10, rid="e1", model=246), ts=stamp(T0)),
                        step(usage(inp=10, rid="e2"), ts=stamp(T0), model_id=333),
                        step(usage(inp=10, rid="e3", model=1071), ts=stamp(T0)),
                        step(usage(inp=10, rid="e4"), ts=stamp(T0), name="Claude Sonnet 4.5"))
    run(db, env)
    models = {k: v[1] for k, v in events(db).items()}
    assert models == {"response:e1": "gemini-2.5-pro", "response:e2": "claude-sonnet-4-5",
                      "response:e3": "antigravity-model-1071", "response:e4": "claude-sonnet-4.5"}
    row = db.execute("SELECT cost_usd FROM events WHERE event_key = 'response:e3'").fetchone()
    assert row[0] is None  # unpriced


def test_output_is_at_least_visible_plus_thinking_and_zero_calls_are_dropped(db, env, convs):
    visible_only = vf(2, 100) + vf(9, 30) + vf(10, 50) + lf(11, "v1")  # field 3 absent
    convs("o.db").gens(gen(visible_only, ts=stamp(T0)), gen(usage(rid="zero"), ts=stamp(T0)))
    run(db, env)
    assert totals(db) == sums(inp=100, out=80, reasoning=30)
    assert tool_event_count(db, "antigravity") == 1


def test_discovery_skips_what_is_not_a_conversation(db, env, home, convs):
    convs("keep.db").gens(gen(usage(inp=1, rid="k"), ts=stamp(T0)))
    convs("x.db", ".gemini/antigravity-ide").gens(gen(usage(inp=2, rid="k2"), ts=stamp(T0)))
    for name in ("conversation_summaries.db", "heavy_ad_intervention_opt_out.db", "state.vscdb",
                 "state.vscdb.backup"):
        (conversations(home) / name).write_bytes(b"not read")
    (home / ".gemini" / "antigravity-cli" / "elsewhere.db").write_bytes(b"outside conversations/")
    found = sorted(d.path.name for d in Antigravity().discover(env))
    assert found == ["keep.db", "x.db"]
    assert run(db, env).lines_skipped == 0


def test_homes_per_platform(tmp_path):
    env = Env(environ={"HOME": str(tmp_path), "APPDATA": str(tmp_path / "Roaming")})
    g = tmp_path / ".gemini"
    assert homes(env) == [g / "antigravity-cli", g / "antigravity", g / "antigravity-ide",
                          tmp_path / ".config" / "Antigravity", tmp_path / "Library" / "Application Support" /
                          "Antigravity", tmp_path / "Roaming" / "Antigravity",
                          tmp_path / "AppData" / "Roaming" / "Antigravity"]
    assert Antigravity().roots(env)[0] == g / "antigravity-cli" / "conversations"
