"""Generate realistic Claude Code and Codex CLI histories of any size, in the tools' real formats.

    python bench/generate.py --size 200MB --out bench/out/h200 [--seed 1]

writes `<out>/home/.claude/projects/...` and `<out>/home/.codex/{sessions,archived_sessions}/...`,
so both tokenlens and ccusage can be pointed at it with HOME=<out>/home.

What makes it realistic (log_formats.md §1-2):
- Claude Code: compact JSON lines (what Claude Code writes; ccusage ignores `"k": v` spacing),
  user prompts, big tool results (the content twice: `message.content` and `toolUseResult`),
  thinking blocks with signatures; one API response written as one line per content block,
  sharing `message.id` + `requestId`, mid-stream lines with placeholder then growing
  `output_tokens` and `stop_reason: null`, the last line with the final count and a stop_reason;
  subagent files `<session>/subagents/agent-<id>.jsonl` (isSidechain) with `.meta.json`;
  several projects, sessions over months, a context that grows and is compacted, some
  sessions with 1-hour cache writes, a few long-context (>200k prompt) sessions.
- Codex: `session_meta` with the long instructions, `turn_context` per turn (model carried
  forward, sometimes switched), reasoning items with encrypted content, function calls and big
  outputs, cumulative `token_count` lines, re-emitted identical totals, rate-limit-only
  refreshes (`info: null`); older sessions moved to `archived_sessions/`.
Files are written streaming (one line at a time): memory stays flat whatever the size.

`parity=True` builds a corpus where ccusage's known miscounts cannot show (every line of a
response carries the final usage, prompts stay under 200k tokens); see bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import string
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

CLAUDE_VERSION = "2.1.40"
CODEX_VERSION = "0.63.0"
CLAUDE_MAIN_MODELS = (("claude-sonnet-4-5-20250929", 0.55), ("claude-opus-4-6", 0.35), ("claude-opus-4-5-20251101", 0.10))
CLAUDE_SUBAGENT_MODELS = (("claude-haiku-4-5-20251001", 0.6), ("claude-sonnet-4-5-20250929", 0.4))
CODEX_MODELS = (("gpt-5.2-codex", 0.5), ("gpt-5.1-codex", 0.3), ("gpt-5-codex", 0.2))
PROJECTS = ("api-server", "web-frontend", "infra", "data-pipeline", "mobile-app", "docs-site",
            "ml-experiments", "cli-tools", "payments", "auth-service", "search", "dotfiles")
WORDS = ("the function returns value error test file import class self data config path line "
         "update build module request response token cache query index table user session model "
         "const let async await return if else for while def fn struct impl pub use mod match "
         "string number list dict map filter reduce assert expect mock fixture deploy server "
         "client handler router middleware schema migration column row commit branch merge "
         "usage report daily total cost price input output stream buffer offset").split()
BASE62 = string.ascii_letters + string.digits


def dumps(obj) -> bytes:
    # Compact, like the tools themselves write; one line each.
    return orjson.dumps(obj) + b"\n"


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"size like 200MB or 1GB, not {text!r}")
    scale = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[match.group(2).upper()]
    return int(float(match.group(1)) * scale)


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def weighted(rng: random.Random, choices) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


class TextPool:
    """Cheap filler: slices of one pre-built block of words / base64 (content is never counted)."""

    def __init__(self, rng: random.Random, size: int = 1 << 20) -> None:
        words = []
        total = 0
        while total < size:
            w = rng.choice(WORDS)
            if rng.random() < 0.08:
                w += ".\n" if rng.random() < 0.5 else ","
            words.append(w)
            total += len(w) + 1
        self.text = " ".join(words)
        alphabet = string.ascii_letters + string.digits + "+/"
        self.b64 = "".join(rng.choices(alphabet, k=size // 2))

    def words(self, rng: random.Random, n_chars: int) -> str:
        n_chars = max(1, min(n_chars, len(self.text) - 1))
        start = rng.randrange(0, len(self.text) - n_chars)
        return self.text[start:start + n_chars]

    def blob(self, rng: random.Random, n_chars: int) -> str:
        n_chars = max(4, min(n_chars, len(self.b64) - 1))
        start = rng.randrange(0, len(self.b64) - n_chars)
        return self.b64[start:start + n_chars]


def lognormal_chars(rng: random.Random, median: float, sigma: float, cap: int) -> int:
    return int(min(cap, max(8, rng.lognormvariate(0, sigma) * median)))


def new_uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[rng.getrandbits(2)]}{h[17:20]}-{h[20:32]}"


def new_id(rng: random.Random, prefix: str, n: int = 24) -> str:
    return prefix + "".join(rng.choices(BASE62, k=n))


@dataclass
class Stats:
    """What was written, for the README and for tests that want to know the shape."""

    bytes: int = 0
    files: int = 0
    claude_files: int = 0
    subagent_files: int = 0
    codex_files: int = 0
    archived_files: int = 0
    lines: int = 0
    claude_responses: int = 0
    codex_token_lines: int = 0
    codex_reemits: int = 0
    days: set = field(default_factory=set)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "days"}
        out["days"] = len(self.days)
        return out


class Writer:
    """One open JSONL file; counts bytes into the shared stats."""

    def __init__(self, path: Path, stats: Stats) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fh = open(path, "ab")  # noqa: SIM115 - closed by close()
        self.stats = stats
        self.last_ts: datetime | None = None
        stats.files += 1

    def write(self, obj: dict, ts: datetime | None = None) -> None:
        data = dumps(obj)
        self.fh.write(data)
        self.stats.bytes += len(data)
        self.stats.lines += 1
        if ts is not None:
            self.last_ts = ts

    def close(self) -> None:
        self.fh.close()
        if self.last_ts is not None:  # the tools leave mtime at the last write
            t = self.last_ts.timestamp()
            os.utime(self.path, (t, t))


# ---- Claude Code ---------------------------------------------------------------------------


@dataclass
class ClaudeSession:
    session_id: str
    cwd: str
    branch: str
    model: str
    ttl_1h: bool
    context_limit: int
    ts: datetime
    ctx: int = 0
    parent_uuid: str | None = None


class Filler:
    """Content sizes scaled by `fill` (1.0: the realistic corpus; smaller: more API calls per
    MB, as in a history of short tool results). With fill 1.0 the draws are unchanged."""

    fill: float = 1.0

    def chars(self, median: float, sigma: float, cap: int) -> int:
        cap = cap if self.fill == 1.0 else max(8, int(cap * self.fill))
        return lognormal_chars(self.rng, median * self.fill, sigma, cap)

    def scaled(self, lo: int, hi: int) -> int:
        n = self.rng.randint(lo, hi)
        return n if self.fill == 1.0 else max(4, int(n * self.fill))


class ClaudeWriter(Filler):
    def __init__(self, rng: random.Random, pool: TextPool, stats: Stats, parity: bool) -> None:
        self.rng, self.pool, self.stats, self.parity = rng, pool, stats, parity

    def base(self, s: ClaudeSession, kind: str, sidechain: bool, agent_id: str | None) -> dict:
        line = {"parentUuid": s.parent_uuid, "isSidechain": sidechain, "userType": "external",
                "cwd": s.cwd, "sessionId": s.session_id, "version": CLAUDE_VERSION,
                "gitBranch": s.branch}
        if agent_id:
            line["agentId"] = agent_id
        line["type"] = kind
        return line

    def tick(self, s: ClaudeSession, lo: float, hi: float) -> datetime:
        s.ts += timedelta(seconds=self.rng.uniform(lo, hi))
        self.stats.days.add(s.ts.date())
        return s.ts

    def user_prompt(self, w: Writer, s: ClaudeSession, sidechain=False, agent_id=None) -> int:
        ts = self.tick(s, 20, 400)
        text = self.pool.words(self.rng, self.chars(300, 1.0, 6000))
        line = self.base(s, "user", sidechain, agent_id)
        uid = new_uuid(self.rng)
        line.update({"message": {"role": "user", "content": text}, "uuid": uid, "timestamp": iso(ts)})
        w.write(line, ts)
        s.parent_uuid = uid
        return len(text) // 4 + 20

    def tool_result(self, w: Writer, s: ClaudeSession, tool_id: str, sidechain=False, agent_id=None) -> int:
        ts = self.tick(s, 0.2, 30)
        content = self.pool.words(self.rng, self.chars(1200, 1.2, 120_000))
        line = self.base(s, "user", sidechain, agent_id)
        uid = new_uuid(self.rng)
        if self.rng.random() < 0.5:
            result = {"stdout": content, "stderr": "", "interrupted": False, "isImage": False}
        else:
            result = {"type": "text", "file": {"filePath": f"{s.cwd}/src/{new_id(self.rng, '', 8)}.py",
                                               "content": content, "numLines": content.count("\n") + 1,
                                               "startLine": 1, "totalLines": content.count("\n") + 1}}
        line.update({"message": {"role": "user", "content": [
                        {"tool_use_id": tool_id, "type": "tool_result", "content": content}]},
                     "uuid": uid, "timestamp": iso(ts), "toolUseResult": result})
        w.write(line, ts)
        s.parent_uuid = uid
        return len(content) // 4 + 10

    def response(self, w: Writer, s: ClaudeSession, new_tokens: int, first: bool, *,
                 sidechain=False, agent_id=None, final_text=False) -> tuple[list[str], int]:
        """One API call: one line per content block, same ids, usage growing to the final."""
        rng = self.rng
        blocks: list[dict] = []
        if rng.random() < 0.6:
            thinking = self.pool.words(rng, self.chars(1500, 1.0, 30_000))
            blocks.append({"type": "thinking", "thinking": thinking, "signature": self.pool.blob(rng, self.scaled(300, 1500))})
        if final_text or rng.random() < 0.5:
            blocks.append({"type": "text", "text": self.pool.words(rng, self.chars(600, 1.0, 8000))})
        tool_ids = []
        if not final_text:
            for _ in range(1 if rng.random() < 0.75 else rng.randint(2, 3)):
                tid = new_id(rng, "toolu_01", 22)
                tool_ids.append(tid)
                blocks.append({"type": "tool_use", "id": tid, "name": rng.choice(("Bash", "Read", "Edit", "Grep", "Write")),
                               "input": {"command": self.pool.words(rng, self.scaled(20, 400))}})
        block_tokens = [len(orjson.dumps(b)) // 4 + 5 for b in blocks]
        output = sum(block_tokens) + rng.randint(0, 40)

        if first:  # the system prompt is written to cache, part of it maybe cached by another session
            cache_read = min(s.ctx, rng.choice((0, 0, 12_000, 14_000)))
            cache_write = s.ctx - cache_read + new_tokens
        else:
            cache_read, cache_write = s.ctx, new_tokens
        input_tokens = rng.randint(1, 12)
        s.ctx += new_tokens + output
        w_1h = cache_write if s.ttl_1h else 0
        msg_id, req_id = new_id(rng, "msg_01", 22), new_id(rng, "req_011C", 20)
        stop = "end_turn" if final_text else "tool_use"
        so_far = 0
        for i, (block, tokens) in enumerate(zip(blocks, block_tokens, strict=True)):
            last = i == len(blocks) - 1
            so_far += tokens
            if self.parity or last:
                out_i = output
            else:
                out_i = rng.randint(1, 9) if i == 0 else so_far
            ts = self.tick(s, 0.5, 8) if i == 0 else self.tick(s, 0.05, 2)
            usage = {"input_tokens": input_tokens, "cache_creation_input_tokens": cache_write,
                     "cache_read_input_tokens": cache_read,
                     "cache_creation": {"ephemeral_5m_input_tokens": cache_write - w_1h, "ephemeral_1h_input_tokens": w_1h},
                     "output_tokens": out_i, "service_tier": "standard"}
            line = self.base(s, "assistant", sidechain, agent_id)
            uid = new_uuid(rng)
            line.update({
                "message": {"id": msg_id, "type": "message", "role": "assistant", "model": s.model,
                            "content": [block], "stop_reason": stop if last else None,
                            "stop_sequence": None, "usage": usage},
                "requestId": req_id, "uuid": uid, "timestamp": iso(ts),
            })
            w.write(line, ts)
            s.parent_uuid = uid
        self.stats.claude_responses += 1
        return tool_ids, output

    def maybe_compact(self, w: Writer, s: ClaudeSession) -> None:
        if s.ctx <= s.context_limit:
            return
        ts = self.tick(s, 1, 20)
        line = self.base(s, "system", False, None)
        line.update({"subtype": "compact_boundary", "content": "Conversation compacted", "isMeta": False,
                     "level": "info", "uuid": new_uuid(self.rng), "timestamp": iso(ts),
                     "compactMetadata": {"trigger": "auto", "preTokens": s.ctx}})
        w.write(line, ts)
        s.ctx = self.rng.randint(20_000, 40_000)

    def agent_loop(self, w: Writer, s: ClaudeSession, new_tokens: int, first: bool, calls: int,
                   sidechain=False, agent_id=None, on_tool=None) -> None:
        for k in range(calls):
            final = k == calls - 1
            tool_ids, _ = self.response(w, s, new_tokens, first and k == 0, sidechain=sidechain,
                                        agent_id=agent_id, final_text=final)
            new_tokens = 0
            for tid in tool_ids:
                if on_tool is not None:
                    on_tool()
                new_tokens += self.tool_result(w, s, tid, sidechain, agent_id)
            self.maybe_compact(w, s)

    def session(self, root: Path, project: str, start: datetime, target_bytes: int) -> None:
        rng = self.rng
        cwd = f"/home/dev/src/{project}"
        encoded = re.sub(r"[^A-Za-z0-9]", "-", cwd)
        long_context = not self.parity and rng.random() < 0.05
        s = ClaudeSession(
            session_id=new_uuid(rng), cwd=cwd, branch=rng.choice(("main", "main", "feature/x", "fix/bug")),
            model=weighted(rng, CLAUDE_MAIN_MODELS), ttl_1h=rng.random() < 0.3,
            context_limit=(600_000 if long_context else 160_000) if not self.parity else 150_000,
            ts=start, ctx=rng.randint(14_000, 24_000),
        )
        if long_context:
            s.model = "claude-sonnet-4-5-20250929"
        w = Writer(root / encoded / f"{s.session_id}.jsonl", self.stats)
        self.stats.claude_files += 1
        begin = self.stats.bytes
        first = True
        while self.stats.bytes - begin < target_bytes:
            if rng.random() < 0.3:
                snap = {"type": "file-history-snapshot", "messageId": new_uuid(rng),
                        "snapshot": {"messageId": new_uuid(rng), "trackedFileBackups": {}, "timestamp": iso(s.ts)},
                        "isSnapshotUpdate": False}
                w.write(snap)
            new_tokens = self.user_prompt(w, s)
            calls = rng.randint(1, 10)
            spawn = self.spawner(root / encoded / s.session_id, s) if rng.random() < 0.12 else None
            self.agent_loop(w, s, new_tokens, first, calls, on_tool=spawn)
            first = False
        w.close()

    def spawner(self, session_dir: Path, parent: ClaudeSession):
        """A Task tool call: the first tool of the turn runs one subagent, in its own file."""
        pending = [True]

        def spawn() -> None:
            if pending:
                pending.clear()
                self.subagent(session_dir, parent)

        return spawn

    def subagent(self, session_dir: Path, parent: ClaudeSession) -> None:
        rng = self.rng
        agent_id = f"{rng.getrandbits(32):08x}"
        sub = ClaudeSession(session_id=parent.session_id, cwd=parent.cwd, branch=parent.branch,
                            model=weighted(rng, CLAUDE_SUBAGENT_MODELS), ttl_1h=False,
                            context_limit=150_000, ts=parent.ts, ctx=rng.randint(8_000, 14_000))
        sub_dir = session_dir / "subagents"
        w = Writer(sub_dir / f"agent-{agent_id}.jsonl", self.stats)
        self.stats.subagent_files += 1
        meta = sub_dir / f"agent-{agent_id}.meta.json"
        meta.write_bytes(orjson.dumps({"agentId": agent_id, "agentType": "general-purpose",
                                       "description": "explore the code base"}))
        self.stats.bytes += meta.stat().st_size
        new_tokens = self.user_prompt(w, sub, sidechain=True, agent_id=agent_id)
        self.agent_loop(w, sub, new_tokens, True, rng.randint(2, 8), sidechain=True, agent_id=agent_id)
        w.close()
        parent.ts = sub.ts  # the parent waits for its subagent


# ---- Codex -------------------------------------------------------------------------------


@dataclass
class CodexSession:
    session_id: str
    cwd: str
    model: str
    ts: datetime
    ctx: int = 0
    total: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # input, cached, output, reasoning


class CodexWriter(Filler):
    def __init__(self, rng: random.Random, pool: TextPool, stats: Stats, parity: bool) -> None:
        self.rng, self.pool, self.stats, self.parity = rng, pool, stats, parity
        self.instructions = pool.words(rng, 9000)

    def tick(self, s: CodexSession, lo: float, hi: float) -> datetime:
        s.ts += timedelta(seconds=self.rng.uniform(lo, hi))
        self.stats.days.add(s.ts.date())
        return s.ts

    def item(self, w: Writer, s: CodexSession, kind: str, payload: dict, lo=0.05, hi=3.0) -> None:
        ts = self.tick(s, lo, hi)
        w.write({"timestamp": iso(ts), "type": kind, "payload": payload}, ts)

    def token_count(self, w: Writer, s: CodexSession, last: list[int] | None, lo=0.05, hi=1.0) -> None:
        def vec(v):
            i, c, o, r = v
            return {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o,
                    "reasoning_output_tokens": r, "total_tokens": i + o}

        info = None if last is None else {"total_token_usage": vec(s.total), "last_token_usage": vec(last),
                                          "model_context_window": 272000}
        used = round(self.rng.uniform(1, 60), 1)
        self.item(w, s, "event_msg", {"type": "token_count", "info": info,
                                      "rate_limits": {"primary": {"used_percent": used, "window_minutes": 300, "resets_in_seconds": 9000},
                                                      "secondary": {"used_percent": used / 3, "window_minutes": 10080, "resets_in_seconds": 400000}}},
                  lo, hi)
        if last is not None:
            self.stats.codex_token_lines += 1

    def call(self, w: Writer, s: CodexSession, new_tokens: int, final: bool) -> None:
        rng, pool = self.rng, self.pool
        reasoning_text = pool.words(rng, self.chars(400, 0.8, 4000))
        self.item(w, s, "response_item", {"type": "reasoning", "summary": [{"type": "summary_text", "text": reasoning_text}],
                                          "content": None, "encrypted_content": pool.blob(rng, self.chars(3000, 0.8, 40_000))}, 1, 20)
        self.item(w, s, "event_msg", {"type": "agent_reasoning", "text": reasoning_text})
        reasoning = len(reasoning_text) // 4 + rng.randint(50, 1500)
        if final:
            text = pool.words(rng, self.chars(700, 1.0, 8000))
            self.item(w, s, "response_item", {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]})
            self.item(w, s, "event_msg", {"type": "agent_message", "message": text})
            visible = len(text) // 4
        else:
            call_id = new_id(rng, "call_", 24)
            args = orjson.dumps({"command": ["bash", "-lc", pool.words(rng, self.scaled(20, 300))], "workdir": s.cwd}).decode()
            self.item(w, s, "response_item", {"type": "function_call", "name": "shell", "arguments": args, "call_id": call_id})
            output = pool.words(rng, self.chars(2500, 1.3, 100_000))
            self.item(w, s, "response_item", {"type": "function_call_output", "call_id": call_id,
                                              "output": orjson.dumps({"output": output, "metadata": {"exit_code": 0, "duration_seconds": 0.4}}).decode()}, 0.2, 20)
            visible = len(args) // 4
            new_tokens += len(output) // 4
        out = visible + reasoning
        # The whole context is resent; all but the newest part is a cache hit.
        prompt = s.ctx + new_tokens
        cached = s.ctx // 256 * 256 if rng.random() < 0.92 else 0
        last = [prompt, cached, out, reasoning]
        s.total = [a + b for a, b in zip(s.total, last, strict=True)]
        s.ctx = prompt + out
        self.token_count(w, s, last)
        if rng.random() < 0.35:  # UI / rate-limit refresh: the same totals again
            self.token_count(w, s, last, 0.01, 2)
            self.stats.codex_reemits += 1
        if not self.parity and rng.random() < 0.05:
            self.token_count(w, s, None)
        if s.ctx > 200_000:
            self.item(w, s, "compacted", {"message": pool.words(rng, 2000)})
            s.ctx = rng.randint(15_000, 30_000)

    def session(self, home: Path, project: str, start: datetime, target_bytes: int, archived: bool) -> None:
        rng = self.rng
        s = CodexSession(session_id=new_uuid(rng), cwd=f"/home/dev/src/{project}", model=weighted(rng, CODEX_MODELS),
                         ts=start, ctx=rng.randint(9_000, 14_000))
        name = f"rollout-{start.strftime('%Y-%m-%dT%H-%M-%S')}-{s.session_id}.jsonl"
        if archived:
            path = home / "archived_sessions" / name
            self.stats.archived_files += 1
        else:
            path = home / "sessions" / start.strftime("%Y/%m/%d") / name
        w = Writer(path, self.stats)
        self.stats.codex_files += 1
        begin = self.stats.bytes
        w.write({"timestamp": iso(start), "type": "session_meta",
                 "payload": {"id": s.session_id, "timestamp": iso(start), "cwd": s.cwd, "originator": "codex_cli_rs",
                             "cli_version": CODEX_VERSION, "instructions": self.instructions, "source": "cli",
                             "model_provider": "openai",
                             "git": {"commit_hash": f"{rng.getrandbits(160):040x}", "branch": "main",
                                     "repository_url": f"git@github.com:example/{project}.git"}}}, start)
        while self.stats.bytes - begin < target_bytes:
            if rng.random() < 0.1:
                s.model = weighted(rng, CODEX_MODELS)
            self.item(w, s, "turn_context", {"cwd": s.cwd, "approval_policy": "on-request",
                                             "sandbox_policy": {"mode": "workspace-write", "network_access": False},
                                             "model": s.model, "effort": rng.choice(("medium", "high")), "summary": "auto"}, 10, 600)
            prompt = self.pool.words(rng, self.chars(300, 1.0, 6000))
            self.item(w, s, "response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]})
            self.item(w, s, "event_msg", {"type": "user_message", "message": prompt, "images": []})
            new_tokens = len(prompt) // 4
            calls = rng.randint(1, 12)
            for k in range(calls):
                self.call(w, s, new_tokens, k == calls - 1)
                new_tokens = 0
        w.close()


# ---- the corpus --------------------------------------------------------------------------


def generate(out: Path, size: int, seed: int = 1, *, claude_share: float = 0.75, months: int = 6,
             end: datetime = datetime(2026, 11, 20, tzinfo=UTC), parity: bool = False,
             session_bytes: int | None = None, calls_per_mb: float | None = None) -> Stats:
    """Write a history of about `size` bytes under out/home; returns what was written.

    `calls_per_mb`: make it event-dense, about this many API calls (Claude responses and Codex
    token_count lines) per MB (2**20 bytes), by shrinking the content around them. The
    realistic corpus has about 90; a history of short prompts and tool results several
    hundred. None: content at its realistic sizes."""
    rng = random.Random(seed)
    pool = TextPool(rng)
    stats = Stats()
    home = out / "home"
    claude_root = home / ".claude" / "projects"
    codex_home = home / ".codex"
    claude = ClaudeWriter(rng, pool, stats, parity)
    codex = CodexWriter(rng, pool, stats, parity)
    span = timedelta(days=30 * months)
    start_of_history = end - span
    projects = PROJECTS[: max(3, min(len(PROJECTS), 3 + size // (40 << 20)))]
    claude_bytes = 0
    # Typical session sizes (a long Claude session is several MB); small corpora get small ones.
    median = session_bytes or min(3 << 19, max(64 << 10, size // 60))
    while stats.bytes < size:
        start = start_of_history + timedelta(seconds=rng.uniform(0, span.total_seconds()))
        start = start.replace(hour=rng.choice((8, 9, 10, 11, 13, 14, 15, 16, 17, 20, 22)))
        target = min(size - stats.bytes, int(median * rng.lognormvariate(0, 0.7)))
        project = rng.choice(projects)
        before = stats.bytes
        if claude_bytes <= claude_share * stats.bytes or stats.bytes == 0:
            claude.session(claude_root, project, start, max(target, 4096))
            claude_bytes += stats.bytes - before
        else:
            archived = (end - start).days > 45 and rng.random() < 0.5
            codex.session(codex_home, project, start, max(target, 4096), archived)
        if calls_per_mb:
            claude.fill = codex.fill = _refill(claude.fill, stats, calls_per_mb)
    return stats


def _refill(fill: float, stats: Stats, calls_per_mb: float) -> float:
    """Steer the content scale so the calls per MB written so far approach the target."""
    calls = stats.claude_responses + stats.codex_token_lines
    if not calls:
        return fill
    have = calls / (stats.bytes / (1 << 20))
    return min(1.0, max(0.005, fill * (have / calls_per_mb) ** 1.2))


def append_activity(home: Path, n_lines: int, seed: int = 99) -> int:
    """Append about n_lines of new conversation to the newest Claude session and Codex rollout,
    as the tools would while in use; returns the number of lines appended."""
    rng = random.Random(seed)
    pool = TextPool(rng, 1 << 18)
    stats = Stats()
    claude_files = sorted((home / ".claude" / "projects").glob("*/*.jsonl"), key=lambda p: p.stat().st_mtime)
    codex_files = sorted((home / ".codex" / "sessions").rglob("rollout-*.jsonl"), key=lambda p: p.stat().st_mtime)
    if claude_files:
        path = claude_files[-1]
        first = orjson.loads(path.open("rb").readline())
        s = ClaudeSession(session_id=first.get("sessionId", new_uuid(rng)), cwd=first.get("cwd", "/home/dev/src/x"),
                          branch="main", model=CLAUDE_MAIN_MODELS[0][0], ttl_1h=False, context_limit=160_000,
                          ts=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), ctx=60_000)
        writer, cw = Writer(path, stats), ClaudeWriter(rng, pool, stats, False)
        while stats.lines < n_lines * 0.75:
            cw.agent_loop(writer, s, cw.user_prompt(writer, s), False, rng.randint(1, 6))
        writer.close()
    if codex_files:
        path = codex_files[-1]
        s = CodexSession(session_id=path.stem[-36:], cwd="/home/dev/src/x", model=CODEX_MODELS[0][0],
                         ts=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), ctx=30_000)
        s.total = _last_codex_total(path)
        writer, xw = Writer(path, stats), CodexWriter(rng, pool, stats, False)
        while stats.lines < n_lines:
            xw.call(writer, s, rng.randint(100, 2000), rng.random() < 0.2)
        writer.close()
    return stats.lines


def _last_codex_total(path: Path) -> list[int]:
    total = [0, 0, 0, 0]
    with open(path, "rb") as fh:
        for line in fh:
            if b'"token_count"' in line:
                info = orjson.loads(line)["payload"].get("info")
                if info:
                    t = info["total_token_usage"]
                    total = [t["input_tokens"], t["cached_input_tokens"], t["output_tokens"], t["reasoning_output_tokens"]]
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("200MB"), help="e.g. 200MB, 1GB")
    parser.add_argument("--out", type=Path, required=True, help="corpus dir (HOME will be OUT/home)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--claude-share", type=float, default=0.75, help="fraction of bytes from Claude Code")
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--parity", action="store_true", help="a corpus ccusage cannot miscount")
    parser.add_argument("--calls-per-mb", type=float, default=None,
                        help="event-dense: about this many API calls per MB (realistic: ~90)")
    args = parser.parse_args(argv)
    if (args.out / "home").exists():
        print(f"generate: {args.out / 'home'} exists; remove it first", file=sys.stderr)
        return 2
    stats = generate(args.out, args.size, args.seed, claude_share=args.claude_share, months=args.months,
                     parity=args.parity, calls_per_mb=args.calls_per_mb)
    print(orjson.dumps(stats.as_dict()).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
