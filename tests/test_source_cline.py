"""Cline, Roo Code and Kilo Code ingest over task folders in Cline's real format
(`tasks/<taskId>/ui_messages.json`, the whole message array rewritten on every save, each
request a `say: "api_req_started"` whose `text` is a JSON object), through the real scan into
a real ledger. Expected totals are worked out by hand."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.tools.cline.usage import Cline
from tokenlens.tools.kilo_code.usage import KiloCode
from tokenlens.tools.roo_code.usage import RooCode

CLINE = "saoudrizwan.claude-dev"
ROO = "rooveterinaryinc.roo-cline"
KILO = "kilocode.kilo-code"
TASK = "1779000000000"  # Cline names a task folder by its start time in ms
T0 = 1_779_000_000_000  # 2026-05-17T06:40:00Z


# ---- fixture builders (Cline's on-disk shapes) -----------------------------------------------


def say(ts: int, kind: str, text: str) -> dict:
    return {"ts": ts, "type": "say", "say": kind, "text": text}


def task_msg(ts: int = T0) -> dict:
    return say(ts, "task", f"fix the bug {CANARY}")


def placeholder(ts: int) -> dict:
    """What Cline writes before the request is sent: the request text, no usage yet."""
    return say(ts, "api_req_started", json.dumps({"request": f"<task>{CANARY}</task>\n\nLoading..."}))


def api_req(ts: int, tokens_in: int, tokens_out: int, cw: int = 0, cr: int = 0, cost: float | None = 0.01,
            **extra) -> dict:
    info = {"request": f"<task>{CANARY}</task>", "tokensIn": tokens_in, "tokensOut": tokens_out,
            "cacheWrites": cw, "cacheReads": cr}
    if cost is not None:
        info["cost"] = cost
    info.update(extra)
    return say(ts, "api_req_started", json.dumps(info))


def reply(ts: int) -> dict:
    return {"ts": ts, "type": "say", "say": "text", "text": f"done {CANARY}", "partial": False}


def storage(home: Path, extension: str = CLINE, editor: str = "Code") -> Path:
    return home / ".config" / editor / "User" / "globalStorage" / extension


def write_task(where: Path, messages: list, task: str = TASK, models: list | None = None) -> Path:
    path = where / "tasks" / task / "ui_messages.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    old = path.stat().st_mtime_ns if existed else 0
    path.write_text(json.dumps(messages))  # Cline writes it compact, whole, atomically
    if existed:  # a rewrite within the same clock tick still changes the mtime, as it would
        os.utime(path, ns=(path.stat().st_atime_ns, max(path.stat().st_mtime_ns, old + 1_000_000)))
    if models is not None:
        meta = {"files_in_context": [], "environment_history": [],
                "model_usage": [{"ts": ts, "model_id": m, "model_provider_id": p, "mode": "act"}
                                for ts, m, p in models]}
        (path.parent / "task_metadata.json").write_text(json.dumps(meta, indent=2))
    return path


def write_history(where: Path, items: list[dict]) -> None:
    path = where / "state" / "taskHistory.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(items))


def events(db, tool: str) -> list[dict]:
    cur = db.execute("SELECT * FROM events WHERE tool = ? ORDER BY ts_ms", [tool])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def expect(inp: int, out: int, cw: int, cr: int) -> dict:
    return {"input_tokens": inp, "output_tokens": out, "cache_write_tokens": cw, "cache_read_tokens": cr,
            "reasoning_tokens": 0, "total_tokens": inp + out + cw + cr}


def assert_totals(db, tool: str, expected: dict) -> None:
    t = tool_totals(db, tool)
    assert {k: t[k] for k in expected} == expected


# ---- Cline ----------------------------------------------------------------------------------


def test_totals_model_project_and_reported_cost(db, env, home):
    where = storage(home)
    write_task(where, [task_msg(), placeholder(T0 + 10), api_req(T0 + 1000, 12, 340, cw=5000, cost=0.0421),
                       reply(T0 + 2000), api_req(T0 + 60_000, 7, 120, cr=5000, cost=0.0068), reply(T0 + 61_000)],
               models=[(T0, "claude-sonnet-4-5-20250929", "anthropic")])
    write_history(where, [{"id": TASK, "ts": T0 + 61_000, "task": CANARY, "tokensIn": 19, "tokensOut": 460,
                           "totalCost": 0.0489, "cwdOnTaskInitialization": "/home/me/proj"}])
    result = scan_tool(db, env, Cline())
    assert (result.events_added, result.lines_skipped, result.errors) == (2, 0, [])
    assert_totals(db, "cline", expect(12 + 7, 340 + 120, 5000, 5000))
    rows = events(db, "cline")
    assert [(r["model"], r["provider"], r["project"], r["session_id"]) for r in rows] == [
        ("claude-sonnet-4-5-20250929", "anthropic", "/home/me/proj", TASK)] * 2
    assert [r["cost_usd"] for r in rows] == pytest.approx([0.0421, 0.0068])
    assert [r["event_key"] for r in rows] == [f"{TASK}:{T0 + 1000}", f"{TASK}:{T0 + 60_000}"]
    dump = "\n".join(str(r) for r in rows)
    assert CANARY not in dump


def test_time_is_the_message_ts_in_epoch_ms_utc(db, env, home):
    late = int(datetime(2026, 11, 18, 23, 59, 30, tzinfo=UTC).timestamp() * 1000)
    write_task(storage(home), [task_msg(late - 5000), api_req(late, 10, 20)])
    scan_tool(db, env, Cline())
    (row,) = events(db, "cline")
    assert row["ts_ms"] == late
    assert tool_totals(db, "cline")["total_tokens"] == 30


def test_a_rewritten_file_is_read_again_without_double_counting(db, env, home):
    where = storage(home)
    first = [task_msg(), api_req(T0 + 1000, 10, 100, cw=2000)]
    write_task(where, first)
    assert scan_tool(db, env, Cline()).events_added == 1
    again = scan_tool(db, env, Cline())
    assert (again.files_read, again.events_added) == (0, 0)
    # The next save rewrites the whole array: the first request again, and a new one.
    write_task(where, [*first, reply(T0 + 1500), api_req(T0 + 9000, 3, 50, cr=2000)])
    result = scan_tool(db, env, Cline())
    assert (result.files_read, result.events_added) == (1, 1)
    assert tool_event_count(db, "cline") == 2
    assert_totals(db, "cline", expect(13, 150, 2000, 2000))


def test_a_cancelled_request_counts_what_it_had(db, env, home):
    write_task(storage(home), [
        task_msg(),
        api_req(T0 + 1000, 40, 25, cr=3000, cost=0.002, cancelReason="user_cancelled"),
        # Cancelled before any usage arrived: nothing to count, not a bad record either.
        api_req(T0 + 5000, 0, 0, cost=None, cancelReason="streaming_failed", streamingFailedMessage="503"),
        api_req(T0 + 9000, 5, 60, cr=3000)])
    result = scan_tool(db, env, Cline())
    assert (result.events_added, result.lines_skipped) == (2, 0)
    assert_totals(db, "cline", expect(45, 85, 0, 6000))


def test_a_malformed_text_is_skipped_and_counted(db, env, home):
    write_task(storage(home), [
        task_msg(),
        say(T0 + 1000, "api_req_started", '{"tokensIn": 12, "tokensOut": '),  # cut short
        say(T0 + 2000, "api_req_started", '"just a string"'),
        {"ts": T0 + 3000, "type": "say", "say": "api_req_started"},  # no text at all
        api_req(T0 + 4000, -5, 10),  # a negative count
        api_req(T0 + 5000, 8, 90)])
    result = scan_tool(db, env, Cline())
    assert (result.events_added, result.lines_skipped) == (1, 4)
    assert_totals(db, "cline", expect(8, 90, 0, 0))


def test_a_damaged_file_is_one_skipped_record(db, env, home):
    path = write_task(storage(home), [task_msg()])
    path.write_text('[{"ts": 1, "type": "say"')
    result = scan_tool(db, env, Cline())
    assert (result.events_added, result.lines_skipped) == (0, 1)


def test_model_follows_model_usage_and_unknown_without_it(db, env, home):
    where = storage(home)
    write_task(where, [task_msg(), api_req(T0 + 1000, 1, 2), api_req(T0 + 90_000, 3, 4)],
               models=[(T0, "claude-sonnet-4-5", "anthropic"), (T0 + 60_000, "gpt-5", "openai-native")])
    write_task(where, [task_msg(T0), api_req(T0 + 2000, 5, 6)], task="1779000000999")
    scan_tool(db, env, Cline())
    got = {(r["session_id"], r["ts_ms"]): (r["model"], r["project"]) for r in events(db, "cline")}
    assert got == {(TASK, T0 + 1000): ("claude-sonnet-4-5", ""), (TASK, T0 + 90_000): ("gpt-5", ""),
                   ("1779000000999", T0 + 2000): ("unknown", "")}


def test_openai_compatible_tokens_in_includes_the_cache(db, env, home):
    """Cline's `openai` provider passes prompt_tokens (cache included) as tokensIn."""
    write_task(storage(home), [task_msg(), api_req(T0 + 1000, 9000, 100, cr=8000)],
               models=[(T0, "gpt-4.1", "openai")])
    scan_tool(db, env, Cline())
    assert_totals(db, "cline", expect(1000, 100, 0, 8000))


@pytest.mark.parametrize("editor", ["Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf"])
def test_every_vscode_family_editor_is_read(db, env, home, editor):
    write_task(storage(home, editor=editor), [task_msg(), api_req(T0 + 1000, 10, 20)])
    assert scan_tool(db, env, Cline()).events_added == 1


def test_the_other_operating_systems_folders(home):
    env = Env(environ={"HOME": str(home), "APPDATA": str(home / "AppData" / "Roaming")})
    roots = Cline().roots(env)
    assert home / "Library" / "Application Support" / "Cursor" / "User" / "globalStorage" / CLINE / "tasks" in roots
    assert home / "AppData" / "Roaming" / "Code" / "User" / "globalStorage" / CLINE / "tasks" in roots


def test_cline_cli_data_dir_and_its_overrides(db, home, tmp_path):
    write_task(home / ".cline" / "data", [task_msg(), api_req(T0 + 1000, 10, 20)])
    env = Env(environ={"HOME": str(home)})
    assert scan_tool(db, env, Cline()).events_added == 1
    alt = tmp_path / "alt"
    write_task(alt, [task_msg(), api_req(T0 + 1000, 30, 40)], task="1779000000555")
    assert home / ".cline" / "data" / "tasks" not in Cline().roots(Env(environ={"HOME": str(home), "CLINE_DATA_DIR": str(alt)}))
    assert scan_tool(db, Env(environ={"HOME": str(home), "CLINE_DATA_DIR": str(alt)}), Cline()).events_added == 1
    assert tmp_path / "cd" / "data" / "tasks" in Cline().roots(Env(environ={"HOME": str(home), "CLINE_DIR": str(tmp_path / "cd")}))


# ---- Roo Code and Kilo Code: Cline's reader, their own folders -----------------------------


@pytest.mark.parametrize(("source", "extension"), [(RooCode, ROO), (KiloCode, KILO)])
def test_forks_are_found_under_their_own_extension_ids(db, env, home, source, extension):
    # An older build (before Roo's whole-prompt tokensIn): Anthropic-style buckets.
    old = int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() * 1000)
    where = storage(home, extension, editor="Cursor")
    write_task(where, [task_msg(old), api_req(old + 1000, 12, 300, cw=4000, cost=0.03)])
    (where / "tasks" / TASK / "history_item.json").write_text(json.dumps({"id": TASK, "workspace": "/w/roo"}))
    write_task(storage(home), [task_msg(), api_req(T0 + 1000, 1, 1)])  # Cline's: not theirs
    result = scan_tool(db, env, source())
    assert (result.events_added, result.lines_skipped) == (1, 0)
    assert_totals(db, source.id, expect(12, 300, 4000, 0))
    (row,) = events(db, source.id)
    assert (row["project"], row["cost_usd"]) == ("/w/roo", pytest.approx(0.03))
    assert scan_tool(db, env, Cline()).events_added == 1
    assert tool_event_count(db, "cline") == 1


def test_roo_whole_prompt_tokens_in(db, env, home):
    """Roo since 2025-10-31: tokensIn = input + cache writes + cache reads, both protocols."""
    new = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp() * 1000)
    old = int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() * 1000)
    write_task(storage(home, ROO), [
        task_msg(old),
        api_req(old + 1000, 6000, 10, cr=5000, apiProtocol="openai"),  # OpenAI protocol: always whole
        api_req(old + 2000, 20, 10, cr=5000, apiProtocol="anthropic"),  # older Anthropic: fresh only
        api_req(new, 7020, 30, cw=2000, cr=5000, apiProtocol="anthropic"),  # newer: whole prompt
    ])
    scan_tool(db, env, RooCode())
    assert_totals(db, "roo-code", expect(1000 + 20 + 20, 50, 2000, 15000))


def test_subagent_usage_is_counted_beside_the_parent_requests(db, env, home):
    usage = {"source": "subagents", "tokensIn": 200, "tokensOut": 80, "cacheWrites": 0, "cacheReads": 900,
             "cost": 0.004}
    write_task(storage(home), [task_msg(), api_req(T0 + 1000, 10, 20),
                               say(T0 + 1000, "subagent_usage", json.dumps(usage))])
    assert scan_tool(db, env, Cline()).events_added == 2
    assert_totals(db, "cline", expect(210, 100, 0, 900))


def test_mcp_servers_and_their_auto_approved_tools_are_grants(home):
    """Cline's `settings/cline_mcp_settings.json` (Roo Code and Kilo Code: `mcp_settings.json`):
    each server is rated, and each tool on its auto-approve list is an allow without asking."""
    from tokenlens.config import Env
    from tokenlens.permissions.scan import scan_all
    from tokenlens.permissions.secrets import Fingerprinter

    cline_settings = storage(home, CLINE, "Code") / "settings"
    cline_settings.mkdir(parents=True, exist_ok=True)
    (cline_settings / "cline_mcp_settings.json").write_text(json.dumps({"mcpServers": {
        "slack": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-slack@1.2.0"],
                  "autoApprove": ["slack_post_message"]},
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"],
                   "alwaysAllow": ["get_issue"]},
        "old": {"command": "npx", "args": ["-y", "stripe-mcp@1.0.0"], "disabled": True, "autoApprove": ["create_refund"]},
    }}))
    roo_settings = storage(home, ROO, "Cursor") / "settings"
    roo_settings.mkdir(parents=True, exist_ok=True)
    (roo_settings / "mcp_settings.json").write_text(json.dumps({"mcpServers": {
        "aws": {"command": "uvx", "args": ["awslabs.aws-api-mcp-server==1.0.0"], "alwaysAllow": ["call_aws"]}}}))
    grants = scan_all(Env(environ={"HOME": str(home)}), Fingerprinter(b"k" * 32)).grants
    allowed = {(g.tool, g.subject): (g.risk, g.rule) for g in grants if g.kind == "allowed_tool"}
    assert allowed[("cline", "mcp slack: slack_post_message")] == ("high", "MCP-7")  # posts as you
    assert allowed[("cline", "mcp github: get_issue")][0] == "low"  # a read
    assert ("cline", "mcp old: create_refund") not in allowed  # a disabled server grants nothing
    assert allowed[("roo-code", "mcp aws: call_aws")][0] == "high"  # a cloud console
    servers = {(g.tool, g.subject) for g in grants if g.kind == "mcp_server"}
    assert {("cline", "slack"), ("cline", "github"), ("cline", "old"), ("roo-code", "aws")} <= servers
