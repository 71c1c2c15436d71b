"""Daily token totals against ccusage's (`ccusage droid daily`, `ccusage codebuff daily`) on the
histories of tests/test_source_droid.py and tests/test_source_codebuff.py. The buckets are equal
where ccusage counts right; each difference is exact and explained: for Droid ccusage counts a
compaction successor's inherited counters again and adds `thinkingTokens` (already inside
outputTokens) to its totalTokens; for Codebuff it counts OpenAI-style cached prompt tokens
twice (in input and again as cache read).

Needs ccusage in bench/node_modules (scripts/test.sh installs it), or its path in $CCUSAGE.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.test_source_codebuff as codebuff
import tests.test_source_droid as droid
from tests.ccusage_support import ccusage, require_ccusage, tokenlens_report

BUCKETS = (("input_tokens", "inputTokens"), ("output_tokens", "outputTokens"),
           ("cache_write_tokens", "cacheCreationTokens"), ("cache_read_tokens", "cacheReadTokens"),
           ("total_tokens", "totalTokens"))


@pytest.fixture(scope="module", autouse=True)
def _ccusage_installed():
    require_ccusage()


def theirs(home: Path, tool: str = "droid") -> dict[str, tuple[int, ...]]:
    return {row["date"]: tuple(row[b] for _, b in BUCKETS) for row in ccusage(home, tool, "daily")["daily"]}


def ours(home: Path, data: Path, tool: str = "droid") -> dict[str, tuple[int, ...]]:
    return {row["period"]: tuple(row[a] for a, _ in BUCKETS) for row in tokenlens_report(home, data, tool)["rows"]}


def test_droid_daily_totals_against_ccusage(tmp_path: Path):
    home = tmp_path / "home"
    droid.history(home / ".factory" / "sessions")
    mine, cc = ours(home, tmp_path / "data"), theirs(home)
    assert mine.keys() == cc.keys() == {droid.DAY1, droid.DAY2}
    # Ours by hand: day 1 is S1 (1200, 800, 5000, 20000); day 2 is S2 (400, 600, 3000, 9000)
    # plus S3's own part (50, 70, 0, 4000). Totals exclude thinking (it is inside output).
    assert mine[droid.DAY1] == (1200, 800, 5000, 20000, 27000)
    assert mine[droid.DAY2] == (450, 670, 3000, 13000, 17120)
    # ccusage: S3 again with the counters it inherited from S2 at compaction (400, 600, 3000,
    # 9000), and each day's totalTokens plus the thinking tokens (day 1: 300; day 2: S2's 100
    # and S3's cumulative 110).
    inherited = {droid.DAY1: (0, 0, 0, 0), droid.DAY2: (400, 600, 3000, 9000)}
    thinking = {droid.DAY1: 300, droid.DAY2: 100 + 110}
    for day in cc:
        buckets = tuple(m + i for m, i in zip(mine[day][:4], inherited[day], strict=True))
        assert cc[day] == (*buckets, mine[day][4] + sum(inherited[day]) + thinking[day]), day


def test_codebuff_daily_totals_ccusage_counts_cached_prompt_twice(tmp_path: Path):
    home = tmp_path / "home"
    codebuff.history(home)
    mine, cc = ours(home, tmp_path / "data", "codebuff"), theirs(home, "codebuff")
    assert mine.keys() == cc.keys() == {codebuff.DAY}
    # Ours by hand: a1 (120, 400, 2000, 0); a2 prompt 5000 with 4000 cached -> (1000, 300, 0, 4000);
    # a3 prompt 6000 with 5000 cached -> (1000, 200, 0, 5000).
    assert mine[codebuff.DAY] == (2120, 900, 2000, 9000, 14020)
    # ccusage takes the whole prompt as input and the cached part again as cache read: its input
    # (and total) is ours plus the 4000 + 5000 cached tokens; every other bucket is equal.
    cached = 4000 + 5000
    assert cc[codebuff.DAY] == (2120 + cached, 900, 2000, 9000, 14020 + cached)
