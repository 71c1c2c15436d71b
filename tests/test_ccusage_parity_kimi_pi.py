"""Daily token totals equal to ccusage's (`ccusage kimi`, `ccusage pi`) on the fixtures of
tests/test_source_kimi.py and tests/test_source_pi.py, where ccusage counts right; where it
does not, the difference is exactly the rows it counts twice.

Needs ccusage in bench/node_modules (scripts/test.sh installs it), or its path in $CCUSAGE.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.test_source_kimi as kimi
import tests.test_source_pi as pi
from tests.ccusage_support import ccusage, require_ccusage, tokenlens_report

BUCKETS = (("input_tokens", "inputTokens"), ("output_tokens", "outputTokens"),
           ("cache_read_tokens", "cacheReadTokens"), ("cache_write_tokens", "cacheCreationTokens"))


@pytest.fixture(scope="module", autouse=True)
def _ccusage_installed():
    require_ccusage()


def theirs(home: Path, tool: str) -> dict[str, tuple[int, ...]]:
    return {row["date"]: tuple(row[b] for _, b in BUCKETS) for row in ccusage(home, tool, "daily")["daily"]}


def ours(home: Path, data: Path, tool: str) -> dict[str, tuple[int, ...]]:
    return {row["period"]: tuple(row[a] for a, _ in BUCKETS) for row in tokenlens_report(home, data, tool)["rows"]}


def test_kimi_daily_totals_ccusage_counts_fork_copies_twice(tmp_path: Path):
    home = tmp_path / "home"
    kimi.history(home / ".kimi")
    mine, cc = ours(home, tmp_path / "data", "kimi-cli"), theirs(home, "kimi")
    assert mine.keys() == cc.keys() == {kimi.DAY1, kimi.DAY2}
    # ccusage's key includes the session dir, so the two steps /fork copied (a1 on day 1, a2 on
    # day 2, in both the source and the forked wire.jsonl) are counted again: its totals are
    # ours plus exactly those copied rows (input, output, cache read, cache write).
    copied = {kimi.DAY1: (1000, 100, 5000, 0), kimi.DAY2: (200, 20, 6000, 300)}
    for day in cc:
        assert cc[day] == tuple(m + c for m, c in zip(mine[day], copied[day], strict=True)), day


def test_pi_daily_totals_equal_ccusage(tmp_path: Path):
    home = tmp_path / "home"
    pi.history(home / ".pi" / "agent")
    mine, cc = ours(home, tmp_path / "data", "pi"), theirs(home, "pi")
    # The fork's header names its source (parentSession), which ccusage resolves here, so it
    # skips the copies too and the totals are equal.
    assert mine == cc
    assert set(mine) == {"2026-03-10", "2026-03-11"}
