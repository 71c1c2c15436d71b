"""Daily totals equal to ccusage's on the same Claude Code and Codex files; cost within 1%.

Both tools run as subprocesses over one generated history (bench/generate.py, parity mode:
a corpus where ccusage's known miscounts cannot show). Each known difference then gets its
own small fixture with the figures both tools must print, computed by hand here, and the
reason (also in bench/README.md).

Needs ccusage in bench/node_modules (scripts/test.sh installs it: `npm install` in bench/).
`--offline` keeps ccusage off the network; the test itself opens no socket.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.ccusage_support import ROOT, ccusage, require_ccusage, tokenlens_report

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402

DAY = "2026-03-11"
COST_ROUNDING = 5e-7  # tokenlens prints cost_usd to 6 decimals
TS = f"{DAY}T10:00:00.000Z"


@pytest.fixture(scope="module", autouse=True)
def _ccusage_installed():
    require_ccusage()


def by_day(rows: list[dict], key: str) -> dict[str, dict]:
    return {row[key]: row for row in rows}


def close(a: float, b: float, rel: float = 0.01) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-9)


def write_lines(path: Path, *lines: dict) -> None:
    """Compact JSON, as Claude Code and Codex write it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, separators=(",", ":")) + "\n")


def claude_line(msg: str, req: str, *, out: int, stop: str | None, inp=3, cr=0, cw=0, cw_1h=0,
                model="claude-sonnet-4-5-20250929", ts=TS) -> dict:
    return {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/home/me/proj",
            "sessionId": "5b1e0c6a-0000-4000-8000-000000000001", "version": "2.1.40", "gitBranch": "main",
            "type": "assistant", "uuid": f"u-{msg}-{out}", "timestamp": ts, "requestId": req,
            "message": {"id": msg, "type": "message", "role": "assistant", "model": model,
                        "content": [{"type": "text", "text": "ok"}], "stop_reason": stop, "stop_sequence": None,
                        "usage": {"input_tokens": inp, "cache_creation_input_tokens": cw, "cache_read_input_tokens": cr,
                                  "cache_creation": {"ephemeral_5m_input_tokens": cw - cw_1h,
                                                     "ephemeral_1h_input_tokens": cw_1h},
                                  "output_tokens": out, "service_tier": "standard"}}}


def claude_file(home: Path) -> Path:
    return home / ".claude" / "projects" / "-home-me-proj" / "5b1e0c6a-0000-4000-8000-000000000001.jsonl"


# ---- the same history, the same daily totals -------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parity")
    stats = generate(out, 4 << 20, seed=8, months=3, parity=True, session_bytes=48 << 10, claude_share=0.5)
    assert stats.claude_files > 10 and stats.subagent_files > 0 and stats.codex_files > 10 and stats.archived_files > 0
    home = out / "home"
    # An archived twin of a live rollout: the same session under both trees is counted once.
    live = sorted((home / ".codex" / "sessions").rglob("rollout-*.jsonl"))[0]
    shutil.copy2(live, home / ".codex" / "archived_sessions" / live.name)
    return home


def test_claude_daily_totals_equal_ccusage(corpus: Path, tmp_path: Path):
    ours = by_day(tokenlens_report(corpus, tmp_path / "data", "claude-code")["rows"], "period")
    theirs = by_day(ccusage(corpus, "claude", "daily")["daily"], "date")
    assert len(theirs) > 8
    assert ours.keys() == theirs.keys()
    for day, t in theirs.items():
        o = ours[day]
        assert (o["input_tokens"], o["output_tokens"], o["cache_read_tokens"], o["cache_write_tokens"]) == (
            t["inputTokens"], t["outputTokens"], t["cacheReadTokens"], t["cacheCreationTokens"]), day
        assert close(o["cost_usd"], t["totalCost"]), (day, o["cost_usd"], t["totalCost"])
        assert sorted(o["models"]) == sorted(t["modelsUsed"])


def test_codex_daily_totals_equal_ccusage(corpus: Path, tmp_path: Path):
    ours = by_day(tokenlens_report(corpus, tmp_path / "data", "codex")["rows"], "period")
    theirs = by_day(ccusage(corpus, "codex", "daily")["daily"], "date")
    assert len(theirs) > 5
    assert ours.keys() == theirs.keys()
    for day, t in theirs.items():
        o = ours[day]
        # ccusage's codex inputTokens is the uncached part, like ours.
        assert (o["input_tokens"], o["output_tokens"], o["cache_read_tokens"], o["reasoning_tokens"]) == (
            t["inputTokens"], t["outputTokens"], t["cacheReadTokens"], t["reasoningOutputTokens"]), day
        assert o["cache_write_tokens"] == t["cacheCreationTokens"] == 0
        assert close(o["cost_usd"], t["costUSD"]), (day, o["cost_usd"], t["costUSD"])


# ---- known differences, each with both tools' figures computed by hand ----------------------


def _both_claude(home: Path, data: Path) -> tuple[dict, dict]:
    ours = tokenlens_report(home, data, "claude-code")["totals"]
    theirs = ccusage(home, "claude", "daily")["totals"]
    return ours, theirs


def test_streamed_response_counted_once_with_final_output_by_both(tmp_path: Path):
    """Claude Code writes one response as several lines; mid-stream lines carry placeholder
    output counts (4, 180) and only the last the final one (412). ccusage used to keep the
    first line of a message id + request id and undercounted output 2-3x (ccusage #705, #888,
    #901, #938); 20.0.24 keeps the largest figures, like tokenlens: both count 412, once."""
    home = tmp_path / "home"
    write_lines(claude_file(home),
                claude_line("msg_01S", "req_01S", out=4, stop=None, cr=20_000, cw=1_000),
                claude_line("msg_01S", "req_01S", out=180, stop=None, cr=20_000, cw=1_000),
                claude_line("msg_01S", "req_01S", out=412, stop="tool_use", cr=20_000, cw=1_000))
    ours, theirs = _both_claude(home, tmp_path / "data")
    assert (ours["input_tokens"], ours["cache_read_tokens"], ours["cache_write_tokens"], ours["output_tokens"]) == (
        3, 20_000, 1_000, 412)
    assert (theirs["inputTokens"], theirs["cacheReadTokens"], theirs["cacheCreationTokens"], theirs["outputTokens"]) == (
        3, 20_000, 1_000, 412)
    # Sonnet 4.5: $3 in, $0.30 cache read, $3.75 cache write, $15 out per Mtok.
    expected = 3 * 3e-6 + 20_000 * 0.3e-6 + 1_000 * 3.75e-6 + 412 * 15e-6
    assert ours["cost_usd"] == pytest.approx(expected, abs=COST_ROUNDING)
    assert theirs["totalCost"] == pytest.approx(expected, rel=1e-9)


def test_long_context_cliff_vs_marginal_tiering(tmp_path: Path):
    """Above 200k prompt tokens Anthropic bills EVERY token of the request at the long-context
    rate (genai-prices, so tokenlens, does); ccusage prices each bucket marginally, the first
    200k tokens of it at the base rate, and so undercharges such requests."""
    home = tmp_path / "home"
    write_lines(claude_file(home),
                claude_line("msg_01L", "req_01L", out=2_000, stop="end_turn", inp=1_000, cr=230_000, cw=9_000))
    ours, theirs = _both_claude(home, tmp_path / "data")
    assert (ours["input_tokens"], ours["cache_read_tokens"], ours["cache_write_tokens"], ours["output_tokens"]) == (
        theirs["inputTokens"], theirs["cacheReadTokens"], theirs["cacheCreationTokens"], theirs["outputTokens"])
    # Prompt = 1k + 230k + 9k = 240k > 200k: the whole request at $6 / $0.60 / $7.50 / $22.50.
    cliff = 1_000 * 6e-6 + 230_000 * 0.6e-6 + 9_000 * 7.5e-6 + 2_000 * 22.5e-6
    # ccusage: only the cache-read bucket itself passes 200k, so 200k of it at $0.30, 30k at $0.60.
    marginal = 1_000 * 3e-6 + (200_000 * 0.3e-6 + 30_000 * 0.6e-6) + 9_000 * 3.75e-6 + 2_000 * 15e-6
    assert ours["cost_usd"] == pytest.approx(cliff, abs=COST_ROUNDING)
    assert theirs["totalCost"] == pytest.approx(marginal, rel=1e-9)


def test_one_hour_cache_writes_priced_alike_below_200k(tmp_path: Path):
    """ccusage hard-codes a 1-hour cache write at 2x the input price; genai-prices has the
    1-hour rate per model, which for Anthropic is also 2x input: equal below 200k tokens."""
    home = tmp_path / "home"
    write_lines(claude_file(home),
                claude_line("msg_01H", "req_01H", out=500, stop="end_turn", cr=50_000, cw=10_000, cw_1h=6_000,
                            model="claude-opus-4-6"))
    ours, theirs = _both_claude(home, tmp_path / "data")
    # Opus 4.6: $5 in, $0.50 read, $6.25 5-minute write, $10 1-hour write, $25 out per Mtok.
    expected = 3 * 5e-6 + 50_000 * 0.5e-6 + 4_000 * 6.25e-6 + 6_000 * 10e-6 + 500 * 25e-6
    assert ours["cost_usd"] == pytest.approx(expected, abs=COST_ROUNDING)
    assert theirs["totalCost"] == pytest.approx(expected, rel=1e-9)


def test_codex_reemitted_totals_counted_once_by_both(tmp_path: Path):
    """Codex re-emits token_count lines with unchanged cumulative totals. Summing
    last_token_usage on every line overstated usage by 30-67% in older ccusage; 20.0.24, like
    tokenlens, counts deltas of the totals, so both count 3500 input once, not 6000."""
    home = tmp_path / "home"
    sid = "0197a0b0-0000-7000-8000-0000000000aa"
    path = home / ".codex" / "sessions" / "2026" / "03" / "11" / f"rollout-2026-03-11T10-00-00-{sid}.jsonl"

    def tokens(ts: str, total: tuple, last: tuple) -> dict:
        vec = lambda v: {"input_tokens": v[0], "cached_input_tokens": v[1], "output_tokens": v[2],  # noqa: E731
                         "reasoning_output_tokens": v[3], "total_tokens": v[0] + v[2]}
        return {"timestamp": ts, "type": "event_msg", "payload": {"type": "token_count", "info": {
            "total_token_usage": vec(total), "last_token_usage": vec(last), "model_context_window": 272000}}}

    write_lines(path,
                {"timestamp": "2026-03-11T10:00:00.000Z", "type": "session_meta",
                 "payload": {"id": sid, "cwd": "/home/me/proj", "cli_version": "0.63.0", "originator": "codex_cli_rs"}},
                {"timestamp": "2026-03-11T10:00:01.000Z", "type": "turn_context",
                 "payload": {"cwd": "/home/me/proj", "model": "gpt-5.1-codex"}},
                tokens("2026-03-11T10:00:09.000Z", (2500, 500, 300, 200), (2500, 500, 300, 200)),
                tokens("2026-03-11T10:00:10.000Z", (2500, 500, 300, 200), (2500, 500, 300, 200)),
                tokens("2026-03-11T10:00:19.000Z", (3500, 750, 425, 275), (1000, 250, 125, 75)))
    ours = tokenlens_report(home, tmp_path / "data", "codex")["totals"]
    theirs = ccusage(home, "codex", "daily")["totals"]
    assert (ours["input_tokens"], ours["cache_read_tokens"], ours["output_tokens"]) == (2750, 750, 425)
    assert (theirs["inputTokens"], theirs["cacheReadTokens"], theirs["outputTokens"]) == (2750, 750, 425)
    # gpt-5.1: $1.25 in, $0.125 cached, $10 out per Mtok.
    expected = 2750 * 1.25e-6 + 750 * 0.125e-6 + 425 * 10e-6
    assert ours["cost_usd"] == pytest.approx(expected, abs=COST_ROUNDING)
    assert theirs["costUSD"] == pytest.approx(expected, rel=1e-9)


def test_spaced_json_lines_ccusage_sees_nothing(tmp_path: Path):
    """ccusage pre-filters Claude lines on compact JSON (`"type":"assistant"`); a line written
    with `"key": value` spacing (Python's json.dumps default, not what Claude Code writes) is
    invisible to it. tokenlens parses JSON, whatever the spacing."""
    home = tmp_path / "home"
    path = claude_file(home)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(claude_line("msg_01J", "req_01J", out=100, stop="end_turn", cr=1_000)) + "\n")
    ours, theirs = _both_claude(home, tmp_path / "data")
    assert ours["output_tokens"] == 100 and ours["cache_read_tokens"] == 1_000
    assert theirs["outputTokens"] == 0 and theirs["totalTokens"] == 0
