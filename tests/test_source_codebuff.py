"""Codebuff ingest over `chat-messages.json` files (a JSON array rewritten whole), through the
real scan into a real ledger. Expected totals are worked out by hand."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.tools.codebuff.usage import Codebuff

PROJECT = "proj"
CHAT = "2026-06-01T08-30-00.000Z"
DAY = "2026-06-01"


def chat_file(home: Path, chat: str = CHAT, channel: str = "manicode") -> Path:
    return home / ".config" / channel / "projects" / PROJECT / "chats" / chat / "chat-messages.json"


def user(mid: str, ts: str) -> dict:
    return {"id": mid, "variant": "user", "content": CANARY, "timestamp": ts}


def ai_anthropic(mid: str, ts: str | None, inp: int, out: int, cw: int = 0, cr: int = 0,
                 model: str = "claude-sonnet-4-5-20250929") -> dict:
    msg = {"id": mid, "variant": "ai", "content": f"ok {CANARY}", "credits": 3, "isComplete": True,
           "metadata": {"model": model, "usage": {"inputTokens": inp, "outputTokens": out,
                                                  "cacheCreationInputTokens": cw, "cacheReadInputTokens": cr}}}
    if ts is not None:
        msg["timestamp"] = ts
    return msg


def ai_openrouter(mid: str, ts: str, prompt: int, completion: int, cached: int, reasoning: int = 0,
                  earlier: tuple[int, int, int] | None = None, model: str = "openai/gpt-5") -> dict:
    """An agent message whose stored runState holds the history: earlier entries repeat."""
    def entry(p: int, c: int, k: int, r: int = 0) -> dict:
        return {"role": "assistant", "content": [{"type": "text", "text": CANARY}],
                "providerOptions": {"codebuff": {"model": model, "usage": {
                    "prompt_tokens": p, "completion_tokens": c, "prompt_tokens_details": {"cached_tokens": k},
                    "completion_tokens_details": {"reasoning_tokens": r}, "total_tokens": p + c}}}}
    history = [{"role": "user", "content": CANARY}]
    if earlier:
        history += [entry(*earlier), {"role": "user", "content": CANARY}]
    history.append(entry(prompt, completion, cached, reasoning))
    return {"id": mid, "variant": "agent", "content": CANARY, "timestamp": ts, "credits": 1,
            "metadata": {"runState": {"sessionState": {"mainAgentState": {"messageHistory": history}}}}}


def write_chat(path: Path, messages: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    old = path.stat().st_mtime_ns if existed else 0
    path.write_text(json.dumps(messages, indent=2))
    if existed:
        os.utime(path, ns=(path.stat().st_atime_ns, max(path.stat().st_mtime_ns, old + 1_000_000)))
    return path


A1 = (120, 400, 2000, 0)  # (input, output, cache write, cache read)
TS1, TS2, TS3 = f"{DAY}T08:30:05.000Z", f"{DAY}T08:31:00.000Z", f"{DAY}T08:33:00.000Z"


def history(home: Path) -> None:
    """One Anthropic-style message, then two OpenRouter-style agent messages (the second's run
    state repeats the first's entry). Used by the parity test too."""
    write_chat(chat_file(home), [user("u1", TS1), ai_anthropic("a1", TS1, *A1), user("u2", TS2),
                                 ai_openrouter("a2", TS2, 5000, 300, 4000, reasoning=100),
                                 ai_openrouter("a3", TS3, 6000, 200, 5000, earlier=(5000, 300, 4000, 100))])


def expect(*parts: tuple[int, ...]) -> dict:
    inp, out, cw, cr, r = (sum(p[i] if i < len(p) else 0 for p in parts) for i in range(5))
    return {"input_tokens": inp, "output_tokens": out, "cache_write_tokens": cw, "cache_read_tokens": cr,
            "reasoning_tokens": r, "total_tokens": inp + out + cw + cr}


def assert_totals(db, expected: dict) -> None:
    t = tool_totals(db, "codebuff")
    assert {k: t[k] for k in expected} == expected


def test_both_spellings_cached_prompt_counted_once(db, env, home):
    history(home)
    stats = scan_tool(db, env, Codebuff())
    assert stats.lines_skipped == 0
    # a2: prompt 5000 of which 4000 cached -> 1000 fresh + 4000 cache read; a3: 1000 + 5000.
    assert_totals(db, expect(A1, (1000, 300, 0, 4000, 100), (1000, 200, 0, 5000, 0)))
    assert tool_event_count(db, "codebuff") == 3
    rows = db.execute("SELECT model, project, session_id FROM events ORDER BY ts_ms").fetchall()
    assert rows[0] == ("claude-sonnet-4-5-20250929", PROJECT, f"manicode/{PROJECT}/{CHAT}")
    assert rows[1][0] == "openai/gpt-5"


def test_rewrite_adds_only_the_new_message(db, env, home):
    path = write_chat(chat_file(home), [user("u1", TS1), ai_anthropic("a1", TS1, *A1)])
    scan_tool(db, env, Codebuff())
    write_chat(path, [user("u1", TS1), ai_anthropic("a1", TS1, *A1), user("u2", TS2),
                      ai_anthropic("a2", TS2, 10, 20, cr=2000)])
    stats = scan_tool(db, env, Codebuff())
    assert stats.events_added == 1
    assert_totals(db, expect(A1, (10, 20, 0, 2000)))


def test_malformed_file_and_message_are_skipped_and_counted(db, env, home):
    write_chat(chat_file(home), [ai_anthropic("a1", TS1, *A1), ai_anthropic("bad", TS2, -5, 10), "junk"])
    broken = chat_file(home, "2026-06-01T09-00-00.000Z")
    broken.parent.mkdir(parents=True)
    broken.write_text('[{"id": "x", "variant": "ai"')  # cut mid-write
    stats = scan_tool(db, env, Codebuff())
    assert stats.lines_skipped == 2
    assert_totals(db, expect(A1))


def test_time_from_message_else_chat_id_else_mtime(db, env, home):
    write_chat(chat_file(home), [ai_anthropic("a1", None, 1, 2)])
    odd = write_chat(chat_file(home, "not-a-date"), [ai_anthropic("a2", None, 3, 4)])
    mtime = datetime(2026, 6, 3, 12, 0, tzinfo=UTC).timestamp()
    os.utime(odd, (mtime, mtime))
    scan_tool(db, env, Codebuff())
    got = dict(db.execute("SELECT input_tokens, ts_ms FROM events").fetchall())
    assert got[1] == int(datetime(2026, 6, 1, 8, 30, tzinfo=UTC).timestamp() * 1000)
    assert got[3] == int(mtime * 1000)


def test_dev_channel_is_read(db, env, home):
    write_chat(chat_file(home, channel="manicode-dev"), [ai_anthropic("a1", TS1, *A1)])
    scan_tool(db, env, Codebuff())
    assert_totals(db, expect(A1))
