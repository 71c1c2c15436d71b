"""Antigravity: per-call token counts in protobuf blobs of one SQLite file per conversation.

Where: `<home>/conversations/**/*.db` for each of `tokenlens.tools.antigravity.homes`
(sub-conversations and model-comparison arms get their own file, hence the recursion);
`conversation_summaries.db`, `heavy_ad_intervention_opt_out.db` and `state.vscdb*` are not
conversations and are skipped. Opened read-only (sqlite_ro); a `-wal` is part of the
fingerprint.

Format (no .proto ships; field numbers as ccusage recovered them from the `agy` binary's
descriptors: its antigravity adapter's parser.rs and report.rs, read in the code index (the
stored ryoppippi/ccusage snapshot, up to v20.0.9, still has the older transcript-estimating
adapter), their SQL, error messages and model names checked against the strings of the
installed 20.0.24 binary; running that binary showed it recurses under conversations/, merges
failed retries away and leaves thinking out of outputTokens): tables
`steps(idx, metadata BLOB)`, `gen_metadata(idx, data BLOB)`, `trajectory_metadata_blob(data)`.
- ModelUsageStats: 1 model enum, 2 input (disjoint from cache reads), 3 output (thinking
  included), 4 cache write, 5 cache read, 7 message id, 9 thinking, 10 visible output,
  11 response id, 12 provider-assigned id.
- step metadata: 8 (else 1) Timestamp, 9 usage, 24 model info (1 enum, 12 or 8 name),
  28 retry infos (each: 2 = usage).
- generation metadata: 1 chat model { 3 enum, 4 usage, 9 generation info (4 = Timestamp),
  17 retry infos, 19 or 21 display name }.
- trajectory metadata: 2 Timestamp. A Timestamp is {1 seconds, 2 nanos}, UTC.
Decoded by `wire` (schema-less); a blob that is not a protobuf message (truncated, garbage)
is skipped and counted as bad.

One call is stored up to four times: its step row, its generation row, the retry info of
the attempt that succeeded, and a sub-conversation's file repeating a parent's call. Each
event is keyed by its response id, else its provider id, else its message id, so the copies
collide in the ledger's upsert (rank: the larger, then the one with a display name and the
row's own time). A retry info that is not the succeeded attempt (another response id, or
none and other counts) is a failed attempt, a real call that was billed: it counts, keyed
by its own id or, lacking one, by its message id and place in the list. ccusage merges
every record sharing *any* id, which swallows such failed retries into the call they retry.

Time: the row's Timestamp, else the trajectory's, else the file's mtime.
Model: the display name (lower-cased, spaces to hyphens, a "(High)"-style suffix dropped),
else the enum ids ccusage maps, else `antigravity-model-<id>` (unpriced). Tokens: input =
field 2, cache_read = 5, cache_write_5m = 4, output = max(3, 10 + 9), reasoning = 9.
No cost is recorded (`model_cost`/`credit_cost` are unset on consumer accounts): priced from
the table by model.

Not read: `~/.gemini/antigravity-backup`, which ccusage also reads (a backup's copies would
collide with the originals anyway). Not confirmed: that failed attempts really carry their own counts (no fixture from a real
database was seen); which cache TTL the cache writes have (taken as 5-minute); rows with no
id at all are keyed by their place, so such a call stored twice would count twice.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import antigravity as where
from tokenlens.tools.antigravity.wire import Message, WireError
from tokenlens.tools.source import (
    MAX_TS_MS,
    BadLine,
    Discovered,
    FileContext,
    _identity,
    _walk_files,
    count,
)
from tokenlens.tools.sqlite_ro import DatabaseSource, read_snapshot_db

NOT_CONVERSATIONS = ("conversation_summaries.db", "heavy_ad_intervention_opt_out.db")
MAX_BLOB_BYTES = 64 << 20
# Model enum ids -> names, as ccusage's adapter maps them (named as the price table does).
MODEL_IDS = {
    246: "gemini-2.5-pro",
    312: "gemini-2.5-flash",
    313: "gemini-2.5-flash",  # "thinking" variants: the same model and price
    329: "gemini-2.5-flash",
    330: "gemini-2.5-flash-lite",
    281: "claude-sonnet-4",
    282: "claude-sonnet-4",
    290: "claude-opus-4",
    291: "claude-opus-4",
    333: "claude-sonnet-4-5",
    334: "claude-sonnet-4-5",
    340: "claude-haiku-4-5",
    341: "claude-haiku-4-5",
    342: "gpt-oss-120b",
}
ROW_ERRORS = (WireError, BadLine, OverflowError)


class Antigravity(DatabaseSource):
    id = "antigravity"
    name = "Antigravity"
    patterns = ("*.db",)

    def roots(self, env: Env) -> list[Path]:
        return [home / "conversations" for home in where.homes(env)]

    def discover(self, env: Env) -> Iterator[Discovered]:
        seen: set = set()
        for root in self.roots(env):
            for path in _walk_files(root, self.patterns):
                if path.name in NOT_CONVERSATIONS or path.name.startswith("state.vscdb"):
                    continue
                st, identity = _identity(path)
                if identity not in seen:
                    seen.add(identity)
                    yield Discovered(path, root, st)

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        try:
            mtime_ms = int(os.stat(path).st_mtime * 1000)
        except OSError:
            mtime_ms = 0
        return read_snapshot_db(path, lambda conn: Conversation(self.id, path.stem, mtime_ms).read(conn))


class Conversation:
    """The calls in one conversation file, each once."""

    def __init__(self, tool: str, session_id: str, mtime_ms: int) -> None:
        self.tool, self.session_id, self.mtime_ms = tool, session_id, mtime_ms
        self.calls: dict[str, tuple[UsageEvent, int]] = {}  # key -> (event, time rank)
        self.bad = 0
        self.fallback: tuple[int, int] = (mtime_ms, 0)

    def read(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "trajectory_metadata_blob" in tables:
            for (blob,) in conn.execute("SELECT data FROM trajectory_metadata_blob ORDER BY rowid"):
                ts = self._row(blob, lambda m: _timestamp(m.bytes(2)))
                if ts is not None:
                    self.fallback = (ts, 1)
                    break
        if "steps" in tables:
            for idx, blob in conn.execute("SELECT idx, metadata FROM steps WHERE metadata IS NOT NULL ORDER BY idx"):
                self._row(blob, lambda m, idx=idx: self._step(m, idx))
        if "gen_metadata" in tables:
            for idx, blob in conn.execute("SELECT idx, data FROM gen_metadata ORDER BY idx"):
                self._row(blob, lambda m, idx=idx: self._generation(m, idx))
        return [event for event, _ in self.calls.values()], self.bad

    def _row(self, blob, read):
        """`read(message)` of one blob; a blob that does not decode is counted, not read."""
        if isinstance(blob, str):
            blob = blob.encode()
        if not isinstance(blob, bytes) or len(blob) > MAX_BLOB_BYTES:
            self.bad += 1
            return None
        try:
            return read(Message(blob))
        except ROW_ERRORS:
            self.bad += 1
            return None

    def _step(self, meta: Message, idx: int) -> None:
        info = meta.message(24)
        name = (info.text(12) or info.text(8)) if info else ""
        ts = _timestamp(meta.bytes(8)) if meta.bytes(8) is not None else _timestamp(meta.bytes(1))
        model = _model(name, info.int(1) if info else 0)
        retries = [r.message(2) for r in meta.messages(28)]
        self._calls(meta.message(9), retries, ts, model, bool(name), f"step{idx}")

    def _generation(self, meta: Message, idx: int) -> None:
        chat = meta.message(1)
        if chat is None:
            raise WireError("generation metadata without its chat model (field 1)")
        name = chat.text(19) or chat.text(21)
        info = chat.message(9)
        ts = _timestamp(info.bytes(4)) if info else None
        retries = [r.message(2) for r in chat.messages(17)]
        self._calls(chat.message(4), retries, ts, _model(name, chat.int(3)), bool(name), f"gen{idx}")

    def _calls(self, usage: Message | None, retries: list[Message | None], ts: int | None, model: str,
               named: bool, place: str) -> None:
        main = _Usage(usage) if usage is not None else None
        if main is not None:
            self._add(main, main.key or f"{self.session_id}/{place}", ts, model, named)
        for n, retry in enumerate(retries):
            if retry is None:
                continue
            attempt = _Usage(retry)
            if main is not None and attempt.copy_of(main):
                key = main.key or f"{self.session_id}/{place}"  # the attempt that succeeded
            elif attempt.response_id or attempt.provider_id:
                key = attempt.key
            else:  # a failed attempt known only by the message it was for
                key = f"{attempt.key or self.session_id + '/' + place}#retry{n}"
            self._add(attempt, key, ts, model, named)

    def _add(self, usage: _Usage, key: str, ts: int | None, model: str, named: bool) -> None:
        if not any(usage.tokens):
            return
        if usage.model_id and not named:
            model = _model("", usage.model_id)
        ts_ms, ts_rank = (ts, 2) if ts is not None else self.fallback
        event = UsageEvent(
            tool=self.tool,
            event_key=key,
            ts_ms=ts_ms,
            model=model,
            session_id=self.session_id,
            input_tokens=usage.input,
            cache_read_tokens=usage.cache_read,
            cache_write_5m_tokens=usage.cache_write,
            output_tokens=usage.output,
            reasoning_tokens=usage.reasoning,
        )
        event.rank = event.total_tokens * 8 + named * 4 + ts_rank
        known = self.calls.get(key)
        if known is not None:
            if known[0].rank > event.rank:
                event, ts_rank = known
            elif ts is None and known[1] > ts_rank:  # keep the copy's own row time
                event.ts_ms, ts_rank = known[0].ts_ms, known[1]
        self.calls[key] = (event, ts_rank)


class _Usage:
    """One ModelUsageStats message."""

    __slots__ = ("model_id", "input", "output", "cache_write", "cache_read", "reasoning",
                 "message_id", "response_id", "provider_id", "tokens")

    def __init__(self, m: Message) -> None:
        self.model_id = m.int(1)
        self.input = count(m.int(2), "input")
        self.cache_write = count(m.int(4), "cache write")
        self.cache_read = count(m.int(5), "cache read")
        thinking = count(m.int(9), "thinking")
        self.output = max(count(m.int(3), "output"), count(m.int(10), "visible output") + thinking)
        self.reasoning = min(thinking, self.output)
        self.message_id, self.response_id, self.provider_id = m.text(7), m.text(11), m.text(12)
        self.tokens = (self.input, self.cache_read, self.cache_write, self.output, self.reasoning)

    @property
    def key(self) -> str:
        if self.response_id:
            return f"response:{self.response_id}"
        if self.provider_id:
            return f"provider:{self.provider_id}"
        return f"message:{self.message_id}" if self.message_id else ""

    def copy_of(self, other: _Usage) -> bool:
        if self.response_id or other.response_id:
            return self.response_id == other.response_id
        if self.provider_id or other.provider_id:
            return self.provider_id == other.provider_id
        return self.message_id == other.message_id and self.tokens == other.tokens


def _timestamp(raw: bytes | None) -> int | None:
    """A google.protobuf.Timestamp as UTC epoch ms; None when absent, not one, or implausible."""
    if raw is None:
        return None
    try:
        m = Message(raw)
    except WireError:
        return None
    seconds, nanos = m.int(1), m.int(2)
    if seconds <= 0 or nanos > 999_999_999:
        return None
    ms = seconds * 1000 + nanos // 1_000_000
    return ms if ms <= MAX_TS_MS else None


def _model(name: str, model_id: int) -> str:
    if name:
        base = name.split("(", 1)[0].strip().lower()
        return "-".join(base.split()) or name
    if model_id in MODEL_IDS:
        return MODEL_IDS[model_id]
    return f"antigravity-model-{model_id}" if model_id else "unknown"
