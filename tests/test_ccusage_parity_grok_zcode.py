"""Daily totals against ccusage 20.0.24 (`ccusage grok`, `ccusage zcode`) on the fixtures of
tests/test_source_grok.py and tests/test_source_zcode.py: the token buckets equal where both
read the same requests; each difference is the one case the test names.

Needs ccusage in bench/node_modules (scripts/test.sh installs it), or its path in $CCUSAGE.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.test_source_grok as grok
import tests.test_source_zcode as zcode
from tests.ccusage_support import ccusage, require_ccusage, tokenlens_report

BUCKETS = (("input_tokens", "inputTokens"), ("output_tokens", "outputTokens"),
           ("cache_read_tokens", "cacheReadTokens"), ("cache_write_tokens", "cacheCreationTokens"))


@pytest.fixture(scope="module", autouse=True)
def _ccusage_installed():
    require_ccusage()


def theirs(home: Path, tool: str) -> dict[str, dict]:
    return {row["date"]: row for row in ccusage(home, tool, "daily")["daily"]}


def ours(home: Path, data: Path, tool: str) -> dict[str, dict]:
    return {row["period"]: row for row in tokenlens_report(home, data, tool)["rows"]}


def buckets(row: dict, names: int) -> tuple[int, ...]:
    return tuple(row[pair[names]] for pair in BUCKETS)


def test_grok_tokens_equal_cost_differs_only_where_no_ticks(tmp_path: Path):
    home = tmp_path / "home"
    grok.history(home / ".grok")
    mine, cc = ours(home, tmp_path / "data", "grok"), theirs(home, "grok")
    assert mine.keys() == cc.keys() == {grok.DAY1, grok.DAY2}
    # Both split the cache out of inputTokens and count the resumed copy of evt-1 once.
    for day in cc:
        assert buckets(mine[day], 0) == buckets(cc[day], 1), day
    # Day 1 is one turn with costUsdTicks: both report Grok's own figure.
    assert mine[grok.DAY1]["cost_usd"] == pytest.approx(cc[grok.DAY1]["totalCost"], abs=1e-6) == 0.012345
    # Day 2 holds evt-3, which recorded no ticks: ccusage prices grok-4.5-build as LiteLLM's
    # xai/grok-4.5 (dropping "-build"); genai-prices has no grok-4.5, so tokenlens leaves the
    # day's cost unknown rather than borrow another model's price.
    assert mine[grok.DAY2]["cost_usd"] is None
    assert cc[grok.DAY2]["totalCost"] > 0.005 + 0.0001  # the two ticked rows and its estimate


def test_zcode_tokens_equal_but_for_the_cancelled_request(tmp_path: Path):
    home = tmp_path / "home"
    zcode.history(home / ".zcode").close()
    mine, cc = ours(home, tmp_path / "data", "zcode"), theirs(home, "zcode")
    assert mine.keys() == cc.keys() == {zcode.DAY1, zcode.DAY2}
    assert buckets(mine[zcode.DAY1], 0) == buckets(cc[zcode.DAY1], 1) == (4795, 59, 11712, 0)
    assert mine[zcode.DAY1]["cost_usd"] == pytest.approx(cc[zcode.DAY1]["totalCost"], rel=0.01)
    # ccusage reads only status 'completed'; u4 was cancelled after its 400 prompt tokens were
    # counted, and tokenlens counts them (billed usage, whatever the request's outcome).
    assert buckets(mine[zcode.DAY2], 0) == tuple(
        c + extra for c, extra in zip(buckets(cc[zcode.DAY2], 1), (400, 0, 0, 0), strict=True))
