"""Every usage source at once, through the real CLI; the source registry as the one place
a tool is added; and which files a scan may call deleted.

The home built here holds every tool's fixtures side by side, written by the builders of
each tool's own test module (its real on-disk format, with its quirks: repeated records,
cumulative counters, archive copies, rows only in a SQLite WAL). Each tool's expected
figures are worked out below by hand from the numbers written, following the token
semantics of design.md and log_formats.md — never by calling a parser.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import tests.test_source_aider as aider_fx
import tests.test_source_amp as amp_fx
import tests.test_source_antigravity as ag_fx
import tests.test_source_cline as cline_fx
import tests.test_source_codebuff as codebuff_fx
import tests.test_source_copilot_cli as copilot_fx
import tests.test_source_crush as crush_fx
import tests.test_source_cursor as cursor_fx
import tests.test_source_droid as droid_fx
import tests.test_source_gemini_cli as gemini_fx
import tests.test_source_goose as goose_fx
import tests.test_source_grok as grok_fx
import tests.test_source_hermes as hermes_fx
import tests.test_source_kimi as kimi_fx
import tests.test_source_openclaw as openclaw_fx
import tests.test_source_opencode as opencode_fx
import tests.test_source_pi as pi_fx
import tests.test_source_qwen_code as qwen_fx
import tests.test_source_warp as warp_fx
import tests.test_source_zcode as zcode_fx
import tests.test_source_zed as zed_fx
from tests.logs import (
    append,
    claude_assistant,
    claude_user,
    codex_meta,
    codex_tokens,
    codex_turn,
    codex_user,
)

ALL_READ = ("claude-code", "codex", "gemini-cli", "qwen-code", "opencode", "amp", "openclaw",
            "copilot-cli", "aider", "goose", "hermes", "kilo", "kimi-cli", "pi", "cline", "roo-code", "kilo-code",
            "zed", "crush", "antigravity", "droid", "codebuff", "grok", "zcode", "cursor", "warp")
DAY = "2026-11-18"
DAY_START_S = int(datetime(2026, 11, 18, tzinfo=UTC).timestamp())
TOKEN_KEYS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens",
              "total_tokens")


UNPRICED = "unpriced"  # a tool whose log names no model: its cost is unknown


def expect(events: int, inp: int = 0, cr: int = 0, cw: int = 0, out: int = 0, reasoning: int = 0,
           cost: float | None = None) -> dict:
    """A tool's expected day: token buckets as design.md defines them, the number of distinct
    events, and the cost when the tool's own log records it (None: priced from the table)."""
    return {"events": events, "cost": cost, "input_tokens": inp, "cache_read_tokens": cr, "cache_write_tokens": cw,
            "output_tokens": out, "reasoning_tokens": reasoning, "total_tokens": inp + cr + cw + out}


def iso(hour: int, minute: int = 0, second: int = 0) -> str:
    return f"{DAY}T{hour:02d}:{minute:02d}:{second:02d}.000Z"


# ---- one fixture per tool, all on DAY (UTC) ----------------------------------------------------


def claude_code(home: Path) -> dict:
    path = home / ".claude" / "projects" / "-home-me-proj" / "cc-s1.jsonl"
    append(path,
           claude_user(iso(14), "cc-s1"),
           # One API response streamed over two lines (the last is final), then a second response.
           claude_assistant(iso(14, 0, 1), "cc-s1", "msg_a", "req_a", inp=11, out=5, cr=1000, cw=300, stop=None),
           claude_assistant(iso(14, 0, 2), "cc-s1", "msg_a", "req_a", inp=11, out=250, cr=1000, cw=300,
                            stop="tool_use"),
           claude_assistant(iso(14, 0, 3), "cc-s1", "msg_b", "req_b", inp=13, out=120, cr=1300, cw=0))
    return expect(2, inp=11 + 13, cr=1000 + 1300, cw=300, out=250 + 120)


def codex(codex_home: Path) -> dict:
    sid = "0197a0c0-2222-7000-8000-000000000018"
    path = codex_home / "sessions" / "2026" / "11" / "18" / f"rollout-2026-11-18T15-00-00-{sid}.jsonl"
    # Cumulative (input incl. cached, cached, output incl. reasoning, reasoning), one re-emit.
    append(path, codex_meta(iso(15), sid), codex_turn(iso(15, 0, 1)), codex_user(iso(15, 0, 1)),
           codex_tokens(iso(15, 0, 5), total=(4000, 1000, 200, 50), last=(4000, 1000, 200, 50)),
           codex_tokens(iso(15, 0, 6), total=(4000, 1000, 200, 50), last=(4000, 1000, 200, 50)),
           codex_tokens(iso(15, 0, 9), total=(9000, 3000, 500, 120), last=(5000, 2000, 300, 70)))
    return expect(2, inp=9000 - 3000, cr=3000, out=500, reasoning=120)


def gemini_cli(home: Path) -> dict:
    g, start = gemini_fx, iso(16)
    t1 = g.tokens(7000, 210, cached=5000, thoughts=90)
    t2 = g.tokens(3000, 80, tool=40)
    append(g.session_file(home), g.metadata(start=start), g.user("u1", iso(16, 0, 1)),
           # Written before its tokens arrive, then again with them, then repeated whole.
           g.gemini("g1", iso(16, 0, 3), None), g.gemini("g1", iso(16, 0, 3), t1), g.gemini("g1", iso(16, 0, 3), t1),
           g.gemini("g2", iso(16, 1), t2))
    # input excludes the cached part and includes the tool-use prompt; thoughts are output.
    return expect(2, inp=(7000 - 5000) + (3000 + 40), cr=5000, out=(210 + 90) + 80, reasoning=90)


def qwen_code(home: Path) -> dict:
    q, s = qwen_fx, qwen_fx.S1
    # a1: OpenAI-compatible (reasoning inside candidates: total = prompt + candidates);
    # a2: native Gemini path (thoughts outside candidates: total = prompt + candidates + thoughts).
    a1 = q.assistant("a1", "u1", s, iso(17, 0, 5), q.usage(6000, 150, cached=4000, thoughts=30, total=6150))
    a2 = q.assistant("a2", "a1", s, iso(17, 0, 9), q.usage(800, 40, thoughts=60, total=900))
    append(q.chat_file(home, s), q.user("u1", s, iso(17)), a1, q.telemetry("t1", s, iso(17, 0, 6)), a1, a2)
    return expect(2, inp=(6000 - 4000) + 800, cr=4000, out=150 + (40 + 60), reasoning=30 + 60)


def opencode(home: Path) -> tuple[dict, object]:
    o, t = opencode_fx, (DAY_START_S + 20 * 3600) * 1000
    live = o.OpenCodeDb(home / ".local" / "share" / "opencode" / "opencode.db")  # left open: rows in the -wal
    live.session("ses_1", t)
    live.message("msg_0001", "ses_1", o.user_message(t + 500))
    # (input, output, reasoning, cache read, cache write); OpenCode's own cost recorded.
    live.message("msg_0002", "ses_1", o.data_of(t + 1000, (400, 90, 30, 9000, 600), cost=0.0123))
    live.message("msg_0003", "ses_1", o.data_of(t + 5000, (150, 60, 0, 2000, 0), cost=0.0045))
    # A fork: a new session holding a copy of msg_0002 under a new id (same time.created).
    live.session("ses_2", t + 60_000)
    live.message("msg_0102", "ses_2", o.data_of(t + 1000, (400, 90, 30, 9000, 600), cost=0.0123))
    return expect(2, inp=400 + 150, cr=9000 + 2000, cw=600, out=(90 + 30) + 60, reasoning=30,
                  cost=0.0123 + 0.0045), live


def amp(home: Path) -> dict:
    a = amp_fx
    ts1, ts2 = iso(18), iso(18, 2)
    messages = [a.user(0), a.assistant(1, ts1, 20, 300, cw=1500), a.user(2), a.assistant(3, ts2, 9, 110, cr=1500)]
    # The usage ledger lists the same two requests again.
    ledger = [a.ledger_event("ev-1", ts1, 1520, 300, to=1), a.ledger_event("ev-2", ts2, 1509, 110, to=3)]
    a.write_thread(home, messages, ledger=ledger)
    return expect(2, inp=20 + 9, cr=1500, cw=1500, out=300 + 110)


def droid(home: Path) -> dict:
    d, sessions = droid_fx, home / ".factory" / "sessions"
    d.write_transcript(sessions, d.S2)
    d.write_settings(sessions, d.S2, d.usage(900, 350, cw=4000, cr=16000, thinking=120), ts=iso(10))
    # Compacted: the successor's counters start from S2's; only its own part counts.
    d.write_transcript(sessions, d.S3, parent=d.S2, compacted=True)
    d.write_settings(sessions, d.S3, d.usage(900 + 25, 350 + 45, cw=4000 + 700, cr=16000 + 5000, thinking=120 + 20),
                     ts=iso(10, 30))
    # thinking is inside output: reasoning, never added
    return expect(2, inp=900 + 25, cr=16000 + 5000, cw=4000 + 700, out=350 + 45, reasoning=120 + 20)


def openclaw(home: Path) -> dict:
    c = openclaw_fx
    sessions = c.sessions_dir(home / ".openclaw")
    lines = [c.header("S1"), c.model_change("claude-opus-4-5"), c.user("u1"),
             c.assistant("m1", 30, 700, 8000, 400, cost=0.05),
             c.assistant("m2", 6, 90, 1200, 0, at=30, model=None, cost=0.004)]  # model from model_change
    append(sessions / "S1.jsonl", *lines)
    append(sessions / "S1.jsonl.deleted.2026-11-18T21-00-00.000Z", *lines)  # an archived copy: same messages
    return expect(2, inp=30 + 6, cr=8000 + 1200, cw=400, out=700 + 90, cost=0.05 + 0.004)


def copilot_cli(home: Path) -> dict:
    c = copilot_fx
    # modelMetrics: (inputTokens incl. cache, output, cacheRead, cacheWrite, reasoning)
    first = c.shutdown("e-s1", iso(19), {"claude-sonnet-4.6": (50000, 900, 42000, 1000, 0)})
    append(c.events_file(home), c.start(), c.user_message(), c.assistant_message(900), first, first,
           c.start(), c.shutdown("e-s2", iso(19, 30), {"gpt-5.1": (3000, 200, 1000, 0, 80)}))  # resumed
    return expect(2, inp=(50000 - 42000 - 1000) + (3000 - 1000), cr=42000 + 1000, cw=1000, out=900 + 200,
                  reasoning=80)


def kimi_cli(home: Path) -> dict:
    k, t = kimi_fx, DAY_START_S + 20 * 3600 + 0.25  # epoch seconds, as kimi writes them
    k.write_kimi_json(home / ".kimi")
    wire = k.session_dir(home / ".kimi") / "wire.jsonl"
    append(wire, k.metadata(), k.turn_begin(t - 5), *k.step(t, "chatcmpl-k1", 1200, 80, cr=3000, cw=200),
           k.turn_end(t + 1))
    fork = k.session_dir(home / ".kimi", k.FORK_SID) / "wire.jsonl"  # /fork: the lines copied, one new step
    append(fork, *wire.read_text().splitlines(keepends=True), *k.step(t + 60, "chatcmpl-k2", 30, 9, cr=4000))
    # the model is not in kimi's log: "unknown", so it is not priced (no cost, not $0)
    return expect(2, inp=1200 + 30, cr=3000 + 4000, cw=200, out=80 + 9, cost=UNPRICED)


def pi(home: Path) -> dict:
    p, agent = pi_fx, home / ".pi" / "agent"
    original = p.session_file(agent, p.SID, iso(21))
    p.write(original, p.header(p.SID, iso(21)), p.user("ee000001", None, iso(21, 0, 1), (DAY_START_S + 21 * 3600 + 1) * 1000),
             p.assistant("ee000002", "ee000001", iso(21, 0, 9), (DAY_START_S + 21 * 3600 + 9) * 1000, 310, 41, cr=2600, cw=120, cost=0.0042))
    fork = p.session_file(agent, p.FORK_SID, iso(21, 30))
    p.write(fork, p.header(p.FORK_SID, iso(21, 30), parent=str(original)),
             *original.read_text().splitlines()[1:],
             p.assistant("ff000001", "ee000002", iso(21, 31), (DAY_START_S + 21 * 3600 + 31 * 60) * 1000, 11, 5, cr=2900, cost=0.0011))
    return expect(2, inp=310 + 11, cr=2600 + 2900, cw=120, out=41 + 5, cost=0.0042 + 0.0011)


def aider(home: Path) -> dict:
    a, t = aider_fx, DAY_START_S + 22 * 3600
    (home / ".aider.conf.yml").write_text("model: sonnet\nanalytics-log: ~/.aider/analytics.jsonl\n")
    first = a.message_send(t, 4200, 310, 0.017, 0.017)
    append(home / ".aider" / "analytics.jsonl", a.other_event(t - 5), first, first,
           a.message_send(t + 40, 1800, 95, 0.0081, 0.0251))
    return expect(2, inp=4200 + 1800, out=310 + 95, cost=0.017 + 0.0081)


def goose(home: Path) -> tuple[dict, object]:
    g = goose_fx
    live = g.open_goose(g.db_path(home))  # left open, WAL not checkpointed: a running Goose
    g.put_session(live, "20261118_1", f"{DAY} 12:00:00", acc=(2500, 400, 2900))
    g.put_session(live, "20261118_2", f"{DAY} 13:00:00", acc=(700, 60, 800))  # 40 reasoning, only in total
    g.grow(live, "20261118_1", (5000, 800, 5800), f"{DAY} 23:00:00")  # counters grow in place
    return expect(2, inp=5000 + 700, out=800 + 60 + 40, reasoning=40), live


def hermes(home: Path) -> tuple[dict, object]:
    h = hermes_fx
    live = h.HermesDb(home / ".hermes" / "state.db")  # left open: rows in the -wal
    live.session("h1", DAY_START_S + 14 * 3600, (1500, 620, 9000, 300, 120), actual=0.0123)
    profile = h.HermesDb(home / ".hermes" / "profiles" / "work" / "state.db")
    profile.session("h2", DAY_START_S + 15 * 3600, (410, 90, 0, 0, 0), estimated=0.0004)
    profile.session("h1", DAY_START_S + 14 * 3600, (1000, 400, 5000, 300, 60))  # a copy, smaller
    profile.close()
    return expect(2, inp=1500 + 410, cr=9000, cw=300, out=620 + 90, reasoning=120, cost=0.0123 + 0.0004), live


def kilo(home: Path) -> tuple[dict, object]:
    o, t = opencode_fx, (DAY_START_S + 16 * 3600) * 1000
    live = o.OpenCodeDb(home / ".local" / "share" / "kilo" / "kilo.db")
    live.session("ses_k1", t)
    live.message("msg_k1", "ses_k1", o.data_of(t + 1000, (700, 230, 40, 12000, 0), cost=0.0071, provider="kilo"))
    live.session("ses_k2", t + 60_000)  # a fork: its copy of msg_k1 counts once
    live.message("msg_k2", "ses_k2", o.data_of(t + 1000, (700, 230, 40, 12000, 0), cost=0.0071, provider="kilo"))
    return expect(1, inp=700, cr=12000, out=230 + 40, reasoning=40, cost=0.0071), live


def antigravity(home: Path) -> dict:
    a, t = ag_fx, DAY_START_S + 17 * 3600
    ok = a.usage(inp=800, out=120, cr=3000, think=30, mid="agm1", rid="agr1")
    failed = a.usage(inp=800, out=2, mid="agm1", rid="agr1-failed")  # a failed attempt: billed, counted
    conv = a.AgDb(a.conversations(home) / "ag-1.db").trajectory(a.trajectory(a.stamp(t)))
    # One call stored three times: its step, its generation and its succeeded retry.
    conv.steps(a.step(ok, retries=[failed, ok], ts=a.stamp(t)))
    conv.gens(a.gen(ok, retries=[failed, ok], ts=a.stamp(t), name="Gemini 2.5 Pro"))
    conv.close()
    return expect(2, inp=800 + 800, cr=3000, out=120 + 2, reasoning=30)


def cline_family(home: Path, extension: str, editor: str, task: str, tokens: tuple[int, int, int, int],
                 cost: float, whole_prompt: bool = False) -> dict:
    """One task with a placeholder, one finished request and one cancelled with what it had.
    `tokens`: (fresh input, output, cache writes, cache reads). Cline writes fresh input as
    tokensIn; Roo Code and Kilo Code (builds from 2025-11 on) the whole prompt, cache included."""
    c, t = cline_fx, (DAY_START_S + 9 * 3600) * 1000
    inp, out, cw, cr = tokens
    first_in, second_in = (inp + cw + cr, 3 + cw) if whole_prompt else (inp, 3)
    c.write_task(c.storage(home, extension, editor), [
        c.task_msg(t), c.placeholder(t + 10), c.api_req(t + 1000, first_in, out, cw=cw, cr=cr, cost=cost),
        c.reply(t + 2000), c.api_req(t + 9000, second_in, 40, cr=cw, cost=0.001, cancelReason="user_cancelled")],
        task=task, models=[(t, "claude-sonnet-4-5", "anthropic")])
    return expect(2, inp=inp + 3, cr=cr + cw, cw=cw, out=out + 40, cost=cost + 0.001)


def grok(home: Path) -> dict:
    g, ms = grok_fx, (DAY_START_S + 11 * 3600) * 1000
    first = g.turn("evt-g1", "g-a", {"grok-4.5-build": g.usage(6000, 210, cached=5000, reasoning=60,
                                                               ticks=40_000_000)}, agent_ms=ms)
    append(g.session_dir(home / ".grok", "/home/me/g", "g-a") / "updates.jsonl", first)
    # Resumed in a new session folder: the first turn again (same eventId), then a new one.
    append(g.session_dir(home / ".grok", "/home/me/g", "g-b") / "updates.jsonl", first,
           g.turn("evt-g2", "g-b", {"grok-code-fast-1": g.usage(900, 33, ticks=2_000_000)}, agent_ms=ms + 60_000))
    # input includes the cache: 6000 - 5000 fresh; 1e-10 USD ticks
    return expect(2, inp=1000 + 900, cr=5000, out=210 + 33, reasoning=60, cost=0.004 + 0.0002)


def zcode(home: Path) -> dict:
    z, ms = zcode_fx, (DAY_START_S + 12 * 3600 + 1800) * 1000
    db = z.ZCodeDb(home / ".zcode").session("z-1", "/home/me/z")
    db.usage("zu1", "z-1", ms, "completed", 7300, 41, cr=7000)  # input includes the cached 7000
    db.usage("zu2", "z-1", ms + 1000, "error", 0, 0)
    db.close()
    return expect(1, inp=300, cr=7000, out=41)


def cursor(home: Path) -> dict:
    c = cursor_fx
    db = c.StateDb(home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb")
    db.put(f"bubbleId:{c.C1}:u1", c.bubble(1, iso(13)))
    db.put(f"bubbleId:{c.C1}:a1", c.bubble(2, iso(13, 0, 5), 2600, 140, model="gpt-5"))
    db.put(f"bubbleId:{c.C2}:a1", c.bubble(2, iso(13, 5), 0, 0, model="default"))  # a current build: zeros
    db.close()
    return expect(1, inp=2600, out=140)


def warp(home: Path) -> dict:
    w = warp_fx
    db = w.WarpDb(w.linux_db(home))
    db.save("w-1", w.data(w.charged(610, 95, cr=4400, cents=(0.1, 0.2, 0.3, 0, 0)), provider_cents=0.5,
                          models=(("claude-4-sonnet", 5105),)), f"{DAY} 08:00:00")
    db.close()
    return expect(1, inp=610, cr=4400, out=95, cost=0.006)  # what Warp charged, in cents


def zed(home: Path) -> dict:
    z = zed_fx
    live = z.ZedDb(z.db_path(home))
    # A turn of three requests: its request_token_usage entry is the last request's only; the
    # cumulative total holds all three.
    cumulative = z.usage(3 * 20, 90 + 70 + 110, cw=2400, cr=7000 + 7500 + 8100)
    live.save("zt-1", iso(7, 45), cumulative, {"zu1": z.usage(20, 110, 0, 8100)})
    live.save("zt-2", iso(7, 50), None, {})  # a draft: nothing sent, no event
    # Continued: Zed replaces the row whole with the new cumulative total (one event per thread).
    live.save("zt-3", iso(7, 55), z.usage(8, 30), {"zu9": z.usage(8, 30)})
    live.save("zt-3", iso(7, 58), z.usage(8 + 9, 30 + 41, cr=900), {"zu9": z.usage(8, 30), "zu10": z.usage(9, 41, cr=900)})
    live.close()
    return expect(2, inp=60 + 17, cr=22600 + 900, cw=2400, out=270 + 71)


def crush(home: Path) -> dict:
    c, created = crush_fx, DAY_START_S + 6 * 3600  # seconds, as strftime('%s', 'now') writes them
    project = home / "src" / "crush-app"
    c.register(home, (project, str(project / ".crush")))
    live = c.CrushDb(project / ".crush" / "crush.db")
    live.session("cs-1", created)
    live.step("cs-1", created + 10, 0.0141, 21000, 500)
    live.step("cs-1", created + 40, 0.0259, 28000, 700)  # the token fields are a gauge: never counted
    live.session("cs-1-task", created + 20, parent="cs-1")  # a sub-agent, its cost added to its parent
    live.step("cs-1-task", created + 30, 0.003, 4000, 90)
    live.conn.execute("UPDATE sessions SET cost = cost + 0.003 WHERE id = 'cs-1'")
    live.close()
    return expect(1, cost=0.0141 + 0.0259 + 0.003)  # cost only, zero tokens


def codebuff(home: Path) -> dict:
    b = codebuff_fx
    # An Anthropic-style message (input fresh), then OpenRouter-style agent messages whose cached
    # tokens are inside the prompt; the second's stored run state repeats the first's entry.
    b.write_chat(b.chat_file(home, "2026-11-18T05-00-00.000Z"), [
        b.user("u1", iso(5)), b.ai_anthropic("a1", iso(5, 0, 4), 130, 410, cw=2100),
        b.user("u2", iso(5, 1)), b.ai_openrouter("a2", iso(5, 1, 5), 5200, 310, 4100, reasoning=90),
        b.ai_openrouter("a3", iso(5, 3), 6100, 205, 5150, earlier=(5200, 310, 4100, 90))])
    return expect(3, inp=130 + (5200 - 4100) + (6100 - 5150), cr=4100 + 5150, cw=2100, out=410 + 310 + 205,
                  reasoning=90)


@pytest.fixture
def all_tools_home(tmp_path: Path):
    """(home, env for the CLI, expected per tool id)."""
    home = tmp_path / "home"
    home.mkdir()
    codex_home = home / "codex-home"  # a non-default location, found only through CODEX_HOME
    expected = {
        "claude-code": claude_code(home),
        "codex": codex(codex_home),
        "gemini-cli": gemini_cli(home),
        "qwen-code": qwen_code(home),
        "amp": amp(home),
        "droid": droid(home),
        "openclaw": openclaw(home),
        "copilot-cli": copilot_cli(home),
        "aider": aider(home),
        "kimi-cli": kimi_cli(home),
        "pi": pi(home),
        "cline": cline_family(home, cline_fx.CLINE, "Code", "1795510800000", (14, 420, 6100, 0), 0.031),
        "roo-code": cline_family(home, cline_fx.ROO, "Cursor", "1795510800001", (15, 430, 6200, 0), 0.032, True),
        "kilo-code": cline_family(home, cline_fx.KILO, "VSCodium", "1795510800002", (16, 440, 6300, 0), 0.033, True),
        "zed": zed(home),
        "crush": crush(home),
        "antigravity": antigravity(home),
        "codebuff": codebuff(home),
        "grok": grok(home),
        "zcode": zcode(home),
        "cursor": cursor(home),
        "warp": warp(home),
    }
    expected["opencode"], opencode_db = opencode(home)
    expected["goose"], goose_db = goose(home)
    expected["hermes"], hermes_db = hermes(home)
    expected["kilo"], kilo_db = kilo(home)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),  # OpenCode, Amp, Goose
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "CODEX_HOME": str(codex_home),
        "GEMINI_CLI_HOME": str(home),
        "QWEN_HOME": str(home / ".qwen"),
        "OPENCLAW_STATE_DIR": str(home / ".openclaw"),
        "COPILOT_HOME": str(home / ".copilot"),
        # Aider: no env var; its log is named in ~/.aider.conf.yml.
    }
    yield home, env, expected
    opencode_db.close()
    goose_db.close()
    hermes_db.close()
    kilo_db.close()


def tokenlens(data_dir: Path, env: dict, *args: str) -> dict:
    script = Path(sys.executable).with_name("tokenlens")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tokenlens"]
    out = subprocess.run([*command, "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                         env=env, timeout=120, cwd=env["HOME"])
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return json.loads(out.stdout)


def test_fixtures_are_distinct_per_tool(all_tools_home):
    _, _, expected = all_tools_home
    assert set(expected) == set(ALL_READ)
    totals = [e["total_tokens"] for e in expected.values()]
    assert len(set(totals)) == len(totals)  # a row swapped between tools could not pass


def test_all_ten_tools_through_the_cli(all_tools_home, tmp_path):
    home, env, expected = all_tools_home
    data_dir = tmp_path / "data"

    first = tokenlens(data_dir, env, "scan", "--json")["sources"]
    for tool, want in expected.items():
        got = first[tool]
        assert (got["events_added"], got["events_total"], got["lines_skipped"], got["errors"]) == (
            want["events"], want["events"], 0, []), tool
    second = tokenlens(data_dir, env, "scan", "--json")["sources"]
    for tool in ALL_READ:
        assert (second[tool]["events_added"], second[tool]["files_read"]) == (0, 0), tool
        assert second[tool]["events_total"] == expected[tool]["events"], tool

    report = tokenlens(data_dir, env, "report", "daily", "--by", "tool", "--json", "--tz", "UTC")
    rows = {row["group"]: row for row in report["rows"]}
    assert len(report["rows"]) == len(rows) == len(ALL_READ)  # one row per tool
    assert set(rows) == set(ALL_READ)
    for tool, want in expected.items():
        row = rows[tool]
        assert (row["period"], row["tools"]) == (DAY, [tool])
        assert {k: row[k] for k in TOKEN_KEYS} == {k: want[k] for k in TOKEN_KEYS}, tool
        if want["cost"] == UNPRICED:
            assert row["cost_usd"] is None, tool
        elif want["cost"] is not None:  # the tool's own recorded cost, kept as is
            assert row["cost_usd"] == pytest.approx(want["cost"], abs=1e-6), tool
        else:  # priced from the offline table: every model here is a known one
            assert row["cost_usd"] > 0, tool
    totals = report["totals"]
    for key in TOKEN_KEYS:
        assert totals[key] == sum(row[key] for row in report["rows"]) == sum(e[key] for e in expected.values())
    # one unpriced tool (kimi-cli: no model in its log) leaves the day's total cost unknown
    assert totals["cost_usd"] is None and sum(row["cost_usd"] is None for row in report["rows"]) == 1
    assert totals["tools"] == sorted(ALL_READ)
    assert totals["models"] == sorted({m for row in report["rows"] for m in row["models"]})

    from tokenlens.tools import TOOLS

    SOURCES = [tool.source() for tool in TOOLS if tool.listed]
    listed = {row["id"]: row for row in tokenlens(data_dir, env, "sources", "--json")["sources"]}
    # Every tool that reads usage (wholly or in part) has its fixture here.
    assert {tool for tool, row in listed.items() if row["reads_usage"]} == set(ALL_READ)
    for tool, want in expected.items():
        row = listed[tool]
        assert row["found"] is True and row["paths_found"], tool
        assert row["events"] == want["events"] > 0, tool
        assert row["files"] >= 1 and row["lines_skipped"] == 0, tool
        assert row["note"] == (row["why_not"] if row["reads_usage"] == "partial" else None), tool
        assert row["last_event"].startswith(DAY), tool
    no_data = {cls.id: cls.no_local_data_reason for cls in SOURCES if cls.no_local_data_reason}
    assert no_data, "the registry lists tools without local token data"
    for tool, reason in no_data.items():
        assert (listed[tool]["note"], listed[tool]["events"], listed[tool]["files"]) == (reason, 0, 0)
    assert set(listed) == {cls.id for cls in SOURCES}


# ---- adding an eleventh tool -------------------------------------------------------------------


def _source_classes_in_package() -> dict[str, type]:
    """Every concrete tool class (one that sets `id`) defined in a module of tokenlens.tools."""
    import tokenlens.tools as package
    from tokenlens.tools.source import Source

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Source) and value.__module__ == module.__name__
                    and "id" in vars(value)):
                found[f"{module.__name__}.{value.__qualname__}"] = value
    return found


def test_sources_is_the_one_registry_of_tools():
    from tokenlens.tools import TOOLS

    SOURCES = [type(tool.source()) for tool in TOOLS if tool.usage]
    defined = _source_classes_in_package()
    assert len(defined) >= len(ALL_READ)
    unregistered = sorted(name for name, cls in defined.items() if cls not in SOURCES)
    assert not unregistered, f"tool classes missing from tokenlens.tools.TOOLS: {unregistered}"
    ids = [cls.id for cls in SOURCES]
    assert len(ids) == len(set(ids))
    assert set(ALL_READ) <= set(ids)
    assert all(cls.name for cls in SOURCES)


# Everything that names a tool lives in its package under tokenlens/tools/.
REGISTRY_DIRS = ("tools/",)


def _tool_id_listings(ids: set[str]) -> list[str]:
    """Places outside the registry that hard-code tool ids: a collection literal naming two or
    more of them, or a comparison against one (`tool == "codex"`, `tool in (...)`)."""
    import tokenlens

    root = Path(tokenlens.__file__).parent
    hits = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(REGISTRY_DIRS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
                # Only a collection's own elements (a dict's keys and values): a table of
                # (model prefix, provider) pairs names models such as "codex" or "grok", not tools.
                elements = [*node.keys, *node.values] if isinstance(node, ast.Dict) else node.elts
                named = {n.value for n in elements if isinstance(n, ast.Constant) and n.value in ids}
                if len(named) >= 2:
                    hits.append(f"{rel}:{node.lineno} lists {sorted(named)}")
            elif isinstance(node, ast.Compare):
                named = {n.value for n in node.comparators if isinstance(n, ast.Constant) and n.value in ids}
                if named:
                    hits.append(f"{rel}:{node.lineno} compares with {sorted(named)}")
    return hits


def test_no_other_module_lists_tool_ids():
    from tokenlens.tools import source_ids

    assert _tool_id_listings(set(source_ids())) == []


def test_the_listing_check_would_catch_a_hard_coded_list(tmp_path, monkeypatch):
    # Control: the same check over a module that does hard-code tools does report it.
    import tokenlens

    fake_root = tmp_path / "tokenlens"
    (fake_root / "tools").mkdir(parents=True)
    (fake_root / "reports.py").write_text('COLORS = {"codex": 1, "amp": 2}\nif t == "aider":\n    pass\n')
    (fake_root / "tools" / "x.py").write_text('IDS = ("codex", "amp")\n')  # the registry may
    monkeypatch.setattr(tokenlens, "__file__", str(fake_root / "__init__.py"))
    assert _tool_id_listings({"codex", "amp", "aider"}) == [
        "reports.py:1 lists ['amp', 'codex']", "reports.py:2 compares with ['aider']"]


ELEVENTH_INIT = '''
"""A made-up eleventh tool: one JSONL line per request under ~/.eleventh/usage/, grants in
~/.eleventh/settings.json."""

from tokenlens.tools.base import Tool


def homes(env):
    return [env.home / ".eleventh"]


TOOL = Tool(__name__, "eleventh-tool", "Eleventh Tool", homes, usage="Eleventh", permissions=True)
'''

ELEVENTH_USAGE = '''
from tokenlens.model import UsageEvent
from tokenlens.tools.source import JsonlSource, count, iso_to_ms, text

import eleventh_tool as where


class Eleventh(JsonlSource):
    id = "eleventh-tool"
    name = "Eleventh Tool"
    line_markers = (b'"usage"',)

    def roots(self, env):
        return [home / "usage" for home in where.homes(env)]

    def parse_line(self, obj, state, ctx):
        usage = obj.get("usage")
        if not isinstance(usage, dict):
            return []
        return [UsageEvent(tool=self.id, event_key=text(obj.get("id")), ts_ms=iso_to_ms(obj.get("ts")),
                           model=text(obj.get("model")), session_id=ctx.path.stem,
                           input_tokens=count(usage.get("in"), "in"), output_tokens=count(usage.get("out"), "out"))]
'''

ELEVENTH_PERMISSIONS = '''
import eleventh_tool as where


def scan(ctx):
    for home in where.homes(ctx.env):
        config = ctx.read(home / "settings.json")
        if config and config.data.get("autoApprove") is True:
            ctx.add("eleventh-tool", "global", "approval_mode", "autoApprove", True, config, "MODE-1")
'''


def test_an_eleventh_tool_is_one_new_package_and_one_registration(tmp_path, monkeypatch, qtbot):
    """Adding a tool is one package plus one registry line: it shows in scan, sources,
    report --tool, permissions and the app's list of sources, with no other file touched."""
    from click.testing import CliRunner

    import tokenlens.tools as registry
    from tokenlens.cli import cli

    package = tmp_path / "newtool" / "eleventh_tool"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(ELEVENTH_INIT)
    (package / "usage.py").write_text(ELEVENTH_USAGE)
    (package / "permissions.py").write_text(ELEVENTH_PERMISSIONS)
    monkeypatch.syspath_prepend(str(package.parent))
    import eleventh_tool  # the one new package

    monkeypatch.setattr(registry, "TOOLS", [*registry.TOOLS, eleventh_tool.TOOL])  # the one line of registration
    from tokenlens.permissions import base as permissions_base

    permissions_base.never_open.cache_clear()  # the credential patterns are read from the registry

    home = tmp_path / "home"
    append(home / ".eleventh" / "usage" / "sess-1.jsonl",
           {"id": "r1", "ts": iso(9), "model": "gpt-5", "usage": {"in": 1234, "out": 56}},
           {"id": "r1", "ts": iso(9), "model": "gpt-5", "usage": {"in": 1234, "out": 56}},  # repeated
           {"id": "r2", "ts": iso(10), "model": "gpt-5", "usage": {"in": 700, "out": 8}},
           {"id": "r3", "note": "no usage here"})
    (home / ".eleventh" / "settings.json").write_text(json.dumps({"autoApprove": True}))
    # Only this home: no tool env var of the machine running the tests may leak in.
    environ = {name: None for name in os.environ} | {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
    runner = CliRunner(env=environ)
    data = ["--data-dir", str(tmp_path / "data")]

    def run(*args: str) -> dict:
        result = runner.invoke(cli, [*data, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    scanned = run("scan", "--json")["sources"]["eleventh-tool"]
    assert (scanned["files"], scanned["events_added"], scanned["lines_skipped"]) == (1, 2, 0)
    row = {r["id"]: r for r in run("sources", "--json")["sources"]}["eleventh-tool"]
    assert (row["name"], row["found"], row["files"], row["events"], row["note"]) == ("Eleventh Tool", True, 1, 2, None)
    totals = run("report", "daily", "--tool", "eleventh-tool", "--tz", "UTC", "--json")["totals"]
    assert (totals["input_tokens"], totals["output_tokens"], totals["total_tokens"]) == (1934, 64, 1998)
    assert totals["tools"] == ["eleventh-tool"]
    by_tool = run("report", "daily", "--by", "tool", "--tz", "UTC", "--json", "--no-scan")["rows"]
    assert [(r["period"], r["group"]) for r in by_tool] == [(DAY, "eleventh-tool")]
    grants = [g for g in run("permissions", "--json")["grants"] if g["tool"] == "eleventh-tool"]
    assert [(g["subject"], g["risk"]) for g in grants] == [("autoApprove", "high")]

    # The app's list of sources (Settings) shows it, to be turned off like any other.
    from tokenlens.app.settings import AppSettings
    from tokenlens.app.settings_tab import SettingsTab
    from tokenlens.config import Env

    tab = SettingsTab(AppSettings(tmp_path / "data"), Env(environ={"HOME": str(home)}), ["tokenlens"])
    qtbot.addWidget(tab)
    assert tab.source_boxes["eleventh-tool"].text().startswith("Eleventh Tool")

    # Control: without the registration line the same id is refused, in one line.
    monkeypatch.setattr(registry, "TOOLS", registry.TOOLS[:-1])
    refused = runner.invoke(cli, [*data, "report", "daily", "--tool", "eleventh-tool"])
    assert refused.exit_code == 2 and "unknown tool id 'eleventh-tool'" in refused.stderr


# ---- which files a scan may call deleted -------------------------------------------------------


def _missing(db) -> dict[str, int]:
    return {Path(p).name: m for p, m in db.execute("SELECT path, missing FROM files")}


def _claude_file(base: Path, name: str) -> Path:
    path = base / "projects" / "-home-me-proj" / f"{name}.jsonl"
    append(path, claude_assistant(iso(8), name, f"msg-{name}", f"req-{name}", inp=1, out=10))
    return path


def test_a_scan_looking_elsewhere_marks_nothing_missing(db, home):
    from tokenlens.config import Env
    from tokenlens.ingest import scan
    from tokenlens.tools.claude_code.usage import ClaudeCode

    _claude_file(home / ".claude", "a")
    _claude_file(home / ".claude", "b")
    scan(db, Env(environ={"HOME": str(home)}), [ClaudeCode()])
    # CLAUDE_CONFIG_DIR now points elsewhere: ~/.claude is not looked at, its files still exist.
    other = home / "work-claude"
    _claude_file(other, "c")
    result = scan(db, Env(environ={"HOME": str(home), "CLAUDE_CONFIG_DIR": str(other)}), [ClaudeCode()])
    assert result.sources["claude-code"].files_missing == 0
    assert _missing(db) == {"a.jsonl": 0, "b.jsonl": 0, "c.jsonl": 0}
    # Deleted while not looked at: unknown to this scan, so left as it was.
    (home / ".claude" / "projects" / "-home-me-proj" / "a.jsonl").unlink()
    scan(db, Env(environ={"HOME": str(home), "CLAUDE_CONFIG_DIR": str(other)}), [ClaudeCode()])
    assert _missing(db)["a.jsonl"] == 0
    # Looked at again: now it is known to be gone; its usage stays in the ledger.
    result = scan(db, Env(environ={"HOME": str(home)}), [ClaudeCode()])
    assert result.sources["claude-code"].files_missing == 1
    assert _missing(db) == {"a.jsonl": 1, "b.jsonl": 0, "c.jsonl": 0}
    assert db.execute("SELECT COALESCE(SUM(output_tokens), 0) FROM events").fetchone()[0] == 30


def _narrowed(keep: str):
    """Claude Code with its discovery narrowed (e.g. to the files a watcher reported)."""
    from tokenlens.tools.claude_code.usage import ClaudeCode

    class Narrowed(ClaudeCode):
        def discover(self, env):
            return (d for d in super().discover(env) if d.path.name == keep)

    return Narrowed()


def test_a_narrowed_discovery_never_marks_existing_files(db, env, home):
    from tokenlens.ingest import scan
    from tokenlens.tools.claude_code.usage import ClaudeCode

    for name in ("a", "b", "c"):
        _claude_file(home / ".claude", name)
    scan(db, env, [ClaudeCode()])
    (home / ".claude" / "projects" / "-home-me-proj" / "c.jsonl").unlink()
    result = scan(db, env, [_narrowed("a.jsonl")])
    # b was not discovered but still exists: not missing. c is under the walked root and gone.
    assert _missing(db) == {"a.jsonl": 0, "b.jsonl": 0, "c.jsonl": 1}
    assert result.sources["claude-code"].files_missing == 1


def test_a_file_wrongly_marked_missing_is_healed(db, env, home):
    from tokenlens.ingest import scan
    from tokenlens.tools.claude_code.usage import ClaudeCode

    _claude_file(home / ".claude", "a")
    scan(db, env, [ClaudeCode()])
    db.execute("UPDATE files SET missing = 1")  # as the old rule left it after a narrowed scan
    db.conn.commit()
    result = scan(db, env, [_narrowed("nothing")])
    assert _missing(db) == {"a.jsonl": 0}
    assert result.sources["claude-code"].files_missing == 0


def test_a_deleted_file_comes_back(db, env, home):
    from tokenlens.ingest import scan
    from tokenlens.tools.aider.usage import Aider

    log = home / "logs" / "aider.jsonl"  # a root that is itself a file
    (home / ".aider.conf.yml").write_text("analytics-log: ~/logs/aider.jsonl\n")
    append(log, aider_fx.message_send(DAY_START_S, 100, 10, 0.001, 0.001))
    scan(db, env, [Aider()])
    saved = log.read_bytes()
    log.unlink()
    assert scan(db, env, [Aider()]).sources["aider"].files_missing == 1
    assert _missing(db) == {"aider.jsonl": 1}
    log.write_bytes(saved)
    assert scan(db, env, [Aider()]).sources["aider"].files_missing == 0
    assert _missing(db) == {"aider.jsonl": 0}
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1
