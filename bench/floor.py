"""The floor under a first scan: read and decode every usage line of a history, nothing else.

    .venv/bin/python bench/floor.py HOME      # prints {"seconds", "cpu_seconds", "lines", "calls"}

One process reads every Claude Code transcript and Codex rollout under HOME in 1 MiB blocks,
decodes each line with typed msgspec structs holding only the usage fields, and keeps the
largest line per `message.id` + `requestId` (Claude) and each changed cumulative total
(Codex) in a dict. No pricing, no SQL, no per-event objects beyond the decoded structs: what
no change to tokenlens's per-event work can go below. bench/run.py runs it beside each first
scan and reports (first scan CPU - floor CPU) / events as the per-event cost after decoding.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import msgspec


class Usage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


class Message(msgspec.Struct):
    id: Any = None
    model: Any = None
    usage: Usage | None = None


class ClaudeLine(msgspec.Struct):
    type: Any = None
    message: Message | None = None
    requestId: Any = None  # noqa: N815 - the log's own key
    timestamp: Any = None


class CodexPayload(msgspec.Struct):
    type: Any = None
    info: Any = None


class CodexLine(msgspec.Struct):
    timestamp: Any = None
    type: Any = None
    payload: CodexPayload | None = None


def lines(path: str):
    with open(path, "rb") as fh:
        rest = b""
        while block := fh.read(1 << 20):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            yield from block[:cut].splitlines()


def claude(path: str, best: dict) -> int:
    decode = msgspec.json.Decoder(ClaudeLine).decode
    n = 0
    for line in lines(path):
        n += 1
        try:
            obj = decode(line)
        except msgspec.DecodeError:
            continue
        m = obj.message
        if obj.type != "assistant" or m is None or m.usage is None:
            continue
        u = m.usage
        total = u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
        key = (m.id, obj.requestId)
        if best.get(key, (-1,))[0] <= total:
            best[key] = (total, m.model, obj.timestamp)
    return n


def codex(path: str, best: dict) -> int:
    decode = msgspec.json.Decoder(CodexLine).decode
    n = 0
    prev = None
    for line in lines(path):
        n += 1
        try:
            obj = decode(line)
        except msgspec.DecodeError:
            continue
        p = obj.payload
        if obj.type != "event_msg" or p is None or p.type != "token_count" or not isinstance(p.info, dict):
            continue
        total = p.info.get("total_token_usage")
        key = tuple(total.values()) if isinstance(total, dict) else None
        if key != prev:
            best[(path, key)] = (obj.timestamp,)
            prev = key
    return n


def walk(root: Path, suffix: str = ".jsonl"):
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(suffix):
                yield os.path.join(folder, name)


def main(home: str) -> int:
    started, cpu = time.perf_counter(), time.process_time()
    home_path = Path(home)
    best: dict = {}
    n = 0
    for path in walk(home_path / ".claude" / "projects"):
        n += claude(path, best)
    for sub in ("sessions", "archived_sessions"):
        for path in walk(home_path / ".codex" / sub):
            n += codex(path, best)
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
                      "lines": n, "calls": len(best)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
