"""Antigravity daily totals beside ccusage 20.0.24's (`ccusage antigravity daily`) on the same
conversation databases (written by the builders of tests/test_source_antigravity.py).

Both read the SQLite files under `conversations/` (recursively: a sub-conversation's copy of
its parent's call counts once in both). Where they differ, the difference is asserted to be
exactly ccusage's known miscount:
- a failed retry that shares its message id with the call it retried: ccusage merges records
  sharing any id, so the failed attempt's tokens vanish into the call (tokenlens counts it:
  it was a billed call, keyed by its own response id);
- ccusage's outputTokens leave thinking out (its totalTokens put it back); tokenlens's
  output includes it, as design.md defines output.
Needs ccusage (tests/ccusage_support.py: skipped without it, failed without it in CI).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ccusage_support import ccusage, require_ccusage, tokenlens_report
from tests.test_source_antigravity import (
    T0,
    AgDb,
    conversations,
    gen,
    stamp,
    step,
    trajectory,
    usage,
)

DAY1, DAY2 = "2026-05-20", "2026-05-21"


@pytest.fixture(scope="module", autouse=True)
def _ccusage_installed():
    require_ccusage()


def ccusage_daily(home: Path) -> dict[str, dict]:
    return {row["date"]: row for row in ccusage(home, "antigravity", "daily")["daily"]}


def tokenlens_daily(home: Path, data: Path) -> dict[str, dict]:
    return {row["period"]: row for row in tokenlens_report(home, data, "antigravity")["rows"]}


def test_antigravity_daily_totals_differ_only_by_failed_retries_and_thinking(tmp_path):
    home = tmp_path / "home"
    # Day 1: a call stored as step + generation + its succeeded retry, after one failed attempt.
    ok = usage(inp=900, out=40, cw=7, cr=100, think=10, mid="m1", rid="r1")
    failed = usage(inp=900, out=5, mid="m1", rid="r1-failed")
    a = AgDb(conversations(home) / "a.db").trajectory(trajectory(stamp(T0)))
    a.steps(step(ok, retries=[failed, ok], ts=stamp(T0 + 1)))
    a.gens(gen(ok, retries=[failed, ok], ts=stamp(T0 + 1), name="Gemini 3 Pro"))
    # Day 2: a parent's call repeated by its sub-conversation, plus one call of each.
    shared = usage(inp=300, out=70, cr=2000, think=20, mid="m2", pid="p2")
    b = AgDb(conversations(home) / "b.db").gens(gen(shared, ts=stamp(T0 + 86400), name="Gemini 3 Pro"),
                                                gen(usage(inp=11, out=3, rid="r3"), ts=stamp(T0 + 86500),
                                                    name="Gemini 3 Pro"))
    sub = AgDb(conversations(home) / "b" / "sub.db").steps(step(shared, ts=stamp(T0 + 86400)))
    sub.gens(gen(usage(inp=20, out=4, rid="r4"), ts=stamp(T0 + 86600), name="Gemini 3 Pro"))
    # An IDE conversation on day 2, a failed retry known only by its message id.
    ide_ok = usage(inp=50, out=9, rid="r5", mid="m5")
    ide = AgDb(conversations(home, ".gemini/antigravity-ide") / "c.db")
    ide.gens(gen(ide_ok, retries=[usage(inp=50, out=1, mid="m5"), ide_ok], ts=stamp(T0 + 86700), name="Gemini 3 Pro"))
    for d in (a, b, sub, ide):
        d.close()

    ours, theirs = tokenlens_daily(home, tmp_path / "data"), ccusage_daily(home)
    assert set(ours) == set(theirs) == {DAY1, DAY2}
    failed_retries = {DAY1: (900, 5), DAY2: (50, 1)}  # (input, output) ccusage swallows
    thinking = {DAY1: 10, DAY2: 20}
    for day, row in theirs.items():
        mine = ours[day]
        gap_in, gap_out = failed_retries[day]
        assert mine["input_tokens"] == row["inputTokens"] + gap_in
        assert mine["cache_read_tokens"] == row["cacheReadTokens"]
        assert mine["cache_write_tokens"] == row["cacheCreationTokens"]
        assert mine["output_tokens"] == row["outputTokens"] + gap_out + thinking[day]
        assert mine["reasoning_tokens"] == thinking[day]
        assert mine["total_tokens"] == row["totalTokens"] + gap_in + gap_out
    # The figures themselves, by hand.
    assert (ours[DAY1]["input_tokens"], ours[DAY1]["output_tokens"], ours[DAY1]["total_tokens"]) == (
        1800, 45, 1800 + 100 + 7 + 45)
    assert (ours[DAY2]["input_tokens"], ours[DAY2]["output_tokens"], ours[DAY2]["total_tokens"]) == (
        300 + 11 + 20 + 100, 70 + 3 + 4 + 10, 431 + 2000 + 87)
