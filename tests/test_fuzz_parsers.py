"""Hostile input for every registered source's parser, through the real `scan`.

Each source in `tokenlens.tools.all_sources()` (tools added later are covered without
touching this file) is fed, under each of its file-name patterns, files built from: realistic
records of every tool's format with values swapped for wrong types, huge or negative numbers,
NaN and infinities; random bytes; truncated lines; invalid UTF-8; deeply nested JSON; and
SQLite files with the tools' table names but junk in every column.

Properties checked: no exception escapes `scan`; lines that cannot be JSON are counted as
skipped; whatever is stored has non-negative counts that add up; a second scan adds nothing.
The file is found through a probe that pins the source's `discover` to it, so the parser,
reader choice (`reads_whole`) and ingest are all the real ones.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenlens.ingest import scan
from tokenlens.tools import all_sources
from tokenlens.tools.source import Discovered, JsonlSource, Source

FUZZ_SETTINGS = settings(
    # Modest for CI (2 cores); TOKENLENS_FUZZ_EXAMPLES=1000 for a long local hunt.
    max_examples=int(os.environ.get("TOKENLENS_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Realistic records of the tools' formats (log_formats.md), the seeds that mutation spoils.
TEMPLATES: list[dict] = [
    {"type": "assistant", "timestamp": "2026-03-11T02:40:22.650Z", "sessionId": "s", "cwd": "/p",
     "requestId": "r", "isSidechain": False, "costUSD": 0.1,
     "message": {"id": "m", "model": "claude-opus-4-6", "stop_reason": "end_turn",
                 "usage": {"input_tokens": 3, "output_tokens": 412, "cache_read_input_tokens": 22137,
                           "cache_creation_input_tokens": 2285, "speed": "fast",
                           "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 2285}}}},
    {"type": "progress", "data": {"message": {"type": "assistant", "timestamp": "2026-03-11T02:40:22Z",
                                               "message": {"id": "m", "model": "claude-x", "usage": {}}}}},
    {"timestamp": "2026-05-01T10:00:00.000Z", "type": "session_meta",
     "payload": {"id": "s", "cwd": "/p", "forked_from_id": "f", "source": {"subagent": {}}}},
    {"timestamp": "2026-05-01T10:00:01.000Z", "type": "turn_context", "payload": {"cwd": "/p", "model": "gpt-5"}},
    {"timestamp": "2026-05-01T10:00:05.000Z", "type": "event_msg",
     "payload": {"type": "token_count", "info": {
         "total_token_usage": {"input_tokens": 10, "cached_input_tokens": 5, "output_tokens": 3,
                               "reasoning_output_tokens": 1, "total_tokens": 13},
         "last_token_usage": {"input_tokens": 10, "cached_input_tokens": 5, "output_tokens": 3,
                              "reasoning_output_tokens": 1, "total_tokens": 13}}}},
    {"sessionId": "s", "projectHash": "h", "startTime": "2026-05-22T15:00:00Z", "kind": "main"},
    {"id": "g", "timestamp": "2026-05-22T15:00:03.120Z", "type": "gemini", "model": "gemini-2.5-pro",
     "tokens": {"input": 18450, "output": 612, "cached": 15872, "thoughts": 940, "tool": 0, "total": 20002}},
    {"$set": {"messages": [{"id": "g"}]}},
    {"$rewindTo": "g"},
    {"uuid": "u", "parentUuid": "p", "sessionId": "s", "timestamp": "2026-06-02T08:11:40.002Z",
     "type": "assistant", "cwd": "/p", "model": "qwen3-coder-plus", "forkedFrom": None,
     "usageMetadata": {"promptTokenCount": 24100, "candidatesTokenCount": 380, "thoughtsTokenCount": 0,
                       "cachedContentTokenCount": 20480, "totalTokenCount": 24480}},
    {"id": "msg", "sessionID": "ses", "role": "assistant", "modelID": "claude-sonnet-4-5", "providerID": "anthropic",
     "time": {"created": 1760000000123, "completed": 1760000004567}, "path": {"cwd": "/p", "root": "/p"},
     "cost": 0.02, "tokens": {"input": 638, "output": 412, "reasoning": 0, "cache": {"read": 42944, "write": 1800}}},
    {"id": "T-1", "messages": [{"role": "assistant", "messageId": 1, "usage": {
        "model": "claude-sonnet-4-5", "timestamp": "2026-01-01T00:00:00Z", "inputTokens": 5, "outputTokens": 6,
        "cacheCreationInputTokens": 7, "cacheReadInputTokens": 8, "totalTokens": 26, "credits": 1}}],
     "usageLedger": {"events": [{"id": "e", "timestamp": "2026-01-01T00:00:00Z", "model": "m",
                                 "tokens": {"input": 1, "output": 2}, "toMessageId": 1}]}},
    {"type": "session", "version": 3, "id": "s", "timestamp": "2026-05-01T09:00:00.000Z", "cwd": "/p"},
    {"type": "model_change", "provider": "anthropic", "modelId": "claude-opus-4-5"},
    {"type": "custom", "customType": "model-snapshot", "data": {"modelId": "m", "provider": "openai"}},
    {"type": "message", "id": "e1", "timestamp": "2026-05-01T09:00:07.000Z",
     "message": {"role": "assistant", "provider": "anthropic", "model": "claude-opus-4-5", "timestamp": 1777626007000,
                 "usage": {"input": 12, "output": 640, "cacheRead": 30110, "cacheWrite": 900,
                           "cost": {"total": 0.0367}}}},
    {"type": "session.start", "id": "a", "timestamp": "2026-07-01T11:00:00.000Z",
     "data": {"sessionId": "s", "context": {"cwd": "/p"}}},
    {"type": "session.shutdown", "timestamp": "2026-07-01T12:00:00.000Z", "id": "b",
     "data": {"modelMetrics": {"claude-sonnet-4.6": {"requests": {"count": 9, "cost": 3}, "usage": {
         "inputTokens": 453000, "outputTokens": 13100, "cacheReadTokens": 405700, "cacheWriteTokens": 0,
         "reasoningTokens": 0}}}}},
    {"event": "message_send", "user_id": "u", "time": 1767225600,
     "properties": {"main_model": "claude-sonnet-4-5", "prompt_tokens": 12800, "completion_tokens": 640,
                    "total_tokens": 13440, "cost": 0.0483, "total_cost": 0.31}},
    {"working_dir": "/p", "description": "d", "message_count": 2, "total_tokens": 10, "input_tokens": 6,
     "output_tokens": 4, "accumulated_total_tokens": 20, "accumulated_input_tokens": 12,
     "accumulated_output_tokens": 8},
]
# Tables and columns the SQLite-backed tools use, filled with junk of any type.
SQLITE_TABLES = {
    "sessions": ["id", "working_dir", "created_at", "updated_at", "provider_name", "model_config_json",
                 "input_tokens", "output_tokens", "total_tokens", "accumulated_input_tokens",
                 "accumulated_output_tokens", "accumulated_total_tokens", "accumulated_cost"],
    "transcript_events": ["session_id", "seq", "event_json", "created_at", "event_zstd"],
    "message": ["id", "session_id", "time_created", "time_updated", "data"],
    "session": ["id", "project_id", "parent_id", "directory", "title", "time_created", "time_updated"],
}

NASTY = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 10**12, 10**12 + 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, 1e308, -0.0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "2026-13-45T99:99:99Z", "9999999-01-01T00:00:00Z", "NaN", "None", "\ud800"]),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
SQL_VALUE = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.none(),
)


def mutate(data, value, depth: int = 0):
    """The record with some of its nodes swapped for nasty values (sometimes none)."""
    if depth and data.draw(st.integers(0, 7), label="swap?") == 0:
        return data.draw(NASTY, label="nasty")
    if isinstance(value, dict):
        return {k: mutate(data, v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [mutate(data, v, depth + 1) for v in value]
    return value


def dumps(obj) -> bytes:
    # allow_nan writes bare NaN/Infinity, and surrogates escape as \ud800: both invalid to a
    # strict parser, which is exactly the input a damaged log holds.
    return json.dumps(obj, allow_nan=True).encode()


def deep(n: int) -> bytes:
    return b'{"message":' * n + b"1" + b"}" * n


def certainly_bad(marker: bytes, garbage: bytes) -> bytes:
    """Contains the source's marker (so it is parsed) and can never be valid JSON."""
    return b"{" + marker + b":" + garbage.replace(b"\n", b" ").replace(b"\r", b" ") + b","


def file_name(pattern: str) -> str:
    return pattern.replace("*", "fuzz").replace("?", "f")


def probe(source: Source, path: Path) -> Source:
    """The real source, with discovery pinned to one file."""

    class Probe(type(source)):
        def discover(self, env):
            yield Discovered(path, path.parent)

    return Probe()


CASES = [
    pytest.param(source, pattern, id=f"{source.id}:{pattern}")
    for source in all_sources()
    if not source.no_local_data_reason
    for pattern in source.patterns
]
_counter = itertools.count()


def fresh_path(tmp_path: Path, pattern: str) -> Path:
    directory = tmp_path / "fuzz" / f"case{next(_counter)}"
    directory.mkdir(parents=True)
    return directory / file_name(pattern)


def assert_ledger_sane(db) -> None:
    bad = db.execute(
        "SELECT COUNT(*) FROM events WHERE input_tokens < 0 OR cache_read_tokens < 0 OR cache_write_5m_tokens < 0"
        " OR cache_write_1h_tokens < 0 OR output_tokens < 0 OR reasoning_tokens < 0 OR reasoning_tokens > output_tokens"
        " OR total_tokens != input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens"
        " + output_tokens OR (cost_usd IS NOT NULL AND (cost_usd < 0 OR cost_usd != cost_usd))"
    ).fetchone()[0]
    assert bad == 0


def scan_twice(db, env, source: Source, path: Path):
    first = scan(db, env, [probe(source, path)]).sources[source.id]
    assert first.errors == []
    assert_ledger_sane(db)
    second = scan(db, env, [probe(source, path)]).sources[source.id]
    assert second.events_added == 0
    return first


line_kind = st.sampled_from(["mutated", "mutated", "mutated", "truncated", "bytes", "bad", "utf8", "deep", "blank"])


@pytest.mark.parametrize(("source", "pattern"), CASES)
@FUZZ_SETTINGS
@given(data=st.data())
def test_line_files(db, env, tmp_path, source, pattern, data):
    path = fresh_path(tmp_path, pattern)
    if source.reads_whole(path):
        content, must_skip = whole_file_content(data, path)
    else:
        content, must_skip = jsonl_content(data, source)
    if content is not None:
        path.write_bytes(content)
    stats = scan_twice(db, env, source, path)
    assert stats.lines_skipped >= must_skip


def jsonl_content(data, source: Source) -> tuple[bytes, int]:
    markers = getattr(source, "line_markers", ()) or (b'"usage"',)
    lines, must_skip = [], 0
    for _ in range(data.draw(st.integers(1, 8), label="lines")):
        kind = data.draw(line_kind)
        template = data.draw(st.sampled_from(TEMPLATES), label="template")
        if kind == "mutated":
            lines.append(dumps(mutate(data, template)))
        elif kind == "truncated":
            raw = dumps(template)
            lines.append(raw[: data.draw(st.integers(0, len(raw) - 1), label="cut")])
        elif kind == "bytes":
            lines.append(data.draw(st.binary(max_size=200), label="bytes").replace(b"\n", b""))
        elif kind == "bad":
            marker = data.draw(st.sampled_from(markers), label="marker")
            lines.append(certainly_bad(marker, data.draw(st.binary(max_size=60), label="garbage")))
            must_skip += 1
        elif kind == "utf8":
            marker = data.draw(st.sampled_from(markers), label="marker")
            lines.append(b"{" + marker + b': "\xff\xfe\xc3"}')  # invalid UTF-8 in a string
            # orjson rejects it; a source with its own typed decoder (Claude Code) never reads
            # that key, so for it the line is just a line without usage.
            must_skip += type(source).decode is JsonlSource.decode
        elif kind == "deep":
            lines.append(deep(data.draw(st.integers(200, 3000), label="depth")))
        else:
            lines.append(b"   ")
    content = b"\n".join(lines) + b"\n"
    if data.draw(st.booleans(), label="partial last line"):
        content += dumps(data.draw(st.sampled_from(TEMPLATES)))[:20]  # the writer is mid-line
    return content, must_skip


def whole_file_content(data, path: Path) -> tuple[bytes | None, int]:
    kind = data.draw(st.sampled_from(["sqlite", "json", "garbage", "empty"]), label="file kind")
    if kind == "sqlite":
        write_junk_sqlite(data, path)
        return None, 0
    if kind == "json":
        doc = mutate(data, data.draw(st.sampled_from(TEMPLATES)))
        return dumps(doc) + b"\n", 0
    if kind == "garbage":
        return b"\x00\xff" + data.draw(st.binary(min_size=1, max_size=500), label="garbage"), 1
    return b"", 0


def write_junk_sqlite(data, path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        for table, columns in SQLITE_TABLES.items():
            if not data.draw(st.booleans(), label=f"has {table}"):
                continue
            conn.execute(f"CREATE TABLE {table} ({', '.join(columns)})")  # untyped: anything goes
            for _ in range(data.draw(st.integers(0, 4), label="rows")):
                values = []
                for column in columns:
                    if column in ("event_json", "data", "model_config_json") and data.draw(st.booleans()):
                        values.append(dumps(mutate(data, data.draw(st.sampled_from(TEMPLATES)))).decode())
                    else:
                        values.append(data.draw(SQL_VALUE, label=column))
                conn.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})", values)
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(("source", "pattern"), CASES)
def test_file_vanishing_or_unreadable(db, env, tmp_path, source, pattern):
    """A path the tool deletes between discovery and reading is an error line, not a crash."""
    path = fresh_path(tmp_path, pattern)
    stats = scan(db, env, [probe(source, path)]).sources[source.id]
    assert len(stats.errors) == 1 and stats.events_added == 0


@pytest.mark.parametrize("value", [1e308, 2**70, -1, -(2**70), float("inf"), "0001-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59Z", 10**17])
def test_timestamps_out_of_range_are_bad_lines_not_crashes(value):
    from tokenlens.tools.source import BadLine, iso_to_ms

    with pytest.raises(BadLine):
        iso_to_ms(value)
