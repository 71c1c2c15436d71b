"""Hermes Agent and Kilo CLI daily totals beside ccusage 20.0.24's (`ccusage hermes|kilo daily`)
on the same fixtures (the builders of tests/test_source_hermes.py and test_source_opencode.py).

Where they differ, the difference is asserted to be exactly ccusage's known miscount:
- Hermes: ccusage reads only `~/.hermes/state.db`, not the named profiles'
  `~/.hermes/profiles/<name>/state.db`; and its totalTokens adds `reasoning_tokens` on top of
  output, which already includes them (its outputTokens does not).
- Kilo: ccusage keys messages on their id alone, so a forked session's copies count twice;
  and its outputTokens leaves `tokens.reasoning` out (tokenlens adds it: it is billed as output).
Needs ccusage (tests/ccusage_support.py: skipped without it, failed without it in CI).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import tests.test_source_hermes as hermes_fx
import tests.test_source_opencode as opencode_fx
from tests.ccusage_support import ccusage, require_ccusage, tokenlens_report

START = datetime(2026, 3, 11, 10, tzinfo=UTC).timestamp()
FIELDS = {"inputTokens": "input_tokens", "cacheReadTokens": "cache_read_tokens",
          "cacheCreationTokens": "cache_write_tokens", "outputTokens": "output_tokens"}


@pytest.fixture(scope="module", autouse=True)
def _ccusage_installed():
    require_ccusage()


def ccusage_daily(home: Path, tool: str) -> dict[str, dict]:
    return {row["date"]: row for row in ccusage(home, tool, "daily")["daily"]}


def tokenlens_daily(home: Path, data: Path, tool: str) -> dict[str, dict]:
    return {row["period"]: row for row in tokenlens_report(home, data, tool)["rows"]}


A = (1200, 800, 40000, 2000, 300)  # (input, output incl. reasoning, cache read, cache write, reasoning)
B = (500, 250, 0, 0, 0)
C = (90, 700, 5000, 0, 64)  # in a named profile: ccusage never sees it


def test_hermes_daily_totals_differ_only_by_profiles_and_reasoning(tmp_path):
    home = tmp_path / "home"
    default = hermes_fx.HermesDb(home / ".hermes" / "state.db")
    default.session("a", START, A, actual=0.09)
    default.session("b", START + 86400, B, actual=0.003)
    profile = hermes_fx.HermesDb(home / ".hermes" / "profiles" / "work" / "state.db")
    profile.session("c", START + 60, C, actual=0.001)
    for live in (default, profile):
        live.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        live.close()
    ours, theirs = tokenlens_daily(home, tmp_path / "data", "hermes"), ccusage_daily(home, "hermes")
    assert set(ours) == set(theirs) == {"2026-03-11", "2026-03-12"}
    missing = {"2026-03-11": C, "2026-03-12": (0, 0, 0, 0, 0)}  # what ccusage does not read
    seen = {"2026-03-11": A, "2026-03-12": B}
    for day, row in theirs.items():
        inp, out, cr, cw, rea = missing[day]
        gap = {"inputTokens": inp, "outputTokens": out, "cacheReadTokens": cr, "cacheCreationTokens": cw}
        for theirs_key, ours_key in FIELDS.items():
            assert ours[day][ours_key] - row[theirs_key] == gap[theirs_key], (day, theirs_key)
        # ccusage's total counts reasoning twice (on top of output, which already holds it).
        assert ours[day]["total_tokens"] - sum(missing[day][:4]) == row["totalTokens"] - seen[day][4], day
    assert ours["2026-03-11"]["cost_usd"] == pytest.approx(0.09 + 0.001)
    assert theirs["2026-03-11"]["totalCost"] == pytest.approx(0.09)
    assert ours["2026-03-12"]["cost_usd"] == pytest.approx(theirs["2026-03-12"]["totalCost"]) == pytest.approx(0.003)


M = (638, 412, 0, 42944, 1800)  # (input, output, reasoning, cache read, cache write) as Kilo writes them


def test_kilo_daily_totals_differ_only_by_fork_copies(tmp_path):
    home = tmp_path / "home"
    t = int(START * 1000)
    live = opencode_fx.OpenCodeDb(home / ".local" / "share" / "kilo" / "kilo.db", checkpoint=True)
    live.session("ses_1", t)
    live.message("msg_1", "ses_1", opencode_fx.data_of(t + 1000, M, cost=0.02, provider="kilo"))
    live.message("msg_2", "ses_1", opencode_fx.data_of(t + 5000, (90, 700, 64, 0, 0), cost=0.01, provider="kilo"))
    live.session("ses_fork", t + 100_000)  # forked after msg_1: a copy of msg_1 under a new id
    live.message("msg_9", "ses_fork", opencode_fx.data_of(t + 1000, M, cost=0.02, provider="kilo"))
    live.close()
    ours, theirs = tokenlens_daily(home, tmp_path / "data", "kilo"), ccusage_daily(home, "kilo")
    assert set(ours) == set(theirs) == {"2026-03-11"}
    row, mine = theirs["2026-03-11"], ours["2026-03-11"]
    inp, out, rea, cr, cw = M
    copy = {"inputTokens": inp, "outputTokens": out + rea, "cacheReadTokens": cr, "cacheCreationTokens": cw}
    # ccusage's Kilo output leaves reasoning out (OpenCode's tokens.output excludes it; billed as output).
    mine = {**mine, "output_tokens": mine["output_tokens"] - mine["reasoning_tokens"]}
    assert ours["2026-03-11"]["reasoning_tokens"] == 64
    for theirs_key, ours_key in FIELDS.items():
        assert row[theirs_key] - mine[ours_key] == copy[theirs_key], theirs_key
    assert ours["2026-03-11"]["total_tokens"] == 638 + 412 + 42944 + 1800 + 90 + 700 + 64
    assert row["totalCost"] - mine["cost_usd"] == pytest.approx(0.02)
