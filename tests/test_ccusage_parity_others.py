"""Daily totals against ccusage 20.0.24 for the rest of the tools it reads (OpenCode, Amp, Goose,
Copilot CLI, Gemini CLI, Qwen Code, OpenClaw), on the one-day fixtures of
tests/test_all_sources.py (each in its tool's real format, its expected figures worked out by
hand there). Where ccusage's buckets differ, the difference is asserted to be exactly the
record or field the docstring of each test names; bench/README.md's parity table lists them.

Needs ccusage in bench/node_modules (scripts/test.sh installs it), or its path in $CCUSAGE.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.test_all_sources as fixtures
from tests.ccusage_support import ccusage, require_ccusage, tokenlens_report

BUCKETS = (("input_tokens", "inputTokens"), ("output_tokens", "outputTokens"),
           ("cache_read_tokens", "cacheReadTokens"), ("cache_write_tokens", "cacheCreationTokens"))
DAY = fixtures.DAY


@pytest.fixture(scope="module", autouse=True)
def _ccusage_installed():
    require_ccusage()


def both(tmp_path: Path, build, tool: str, cc_tool: str) -> tuple[dict, dict, dict]:
    """(our row, ccusage's row, the hand-computed expectation) for one tool's fixture day."""
    home = tmp_path / "home"
    home.mkdir()
    made = build(home)
    want, live = made if isinstance(made, tuple) else (made, None)
    try:
        mine = {row["period"]: row for row in tokenlens_report(home, tmp_path / "data", tool)["rows"]}
        theirs = {row["date"]: row for row in ccusage(home, cc_tool, "daily")["daily"]}
    finally:
        if live is not None:
            live.close()
    assert mine.keys() == theirs.keys() == {DAY}
    assert tuple(mine[DAY][a] for a, _ in BUCKETS) == tuple(want[a] for a, _ in BUCKETS)  # ours = by hand
    return mine[DAY], theirs[DAY], want


def diff(mine: dict, theirs: dict) -> tuple[int, ...]:
    """ccusage's buckets less ours: (input, output, cache read, cache write)."""
    return tuple(theirs[b] - mine[a] for a, b in BUCKETS)


def test_copilot_cli_equal(tmp_path):
    mine, theirs, _ = both(tmp_path, fixtures.copilot_cli, "copilot-cli", "copilot")
    assert diff(mine, theirs) == (0, 0, 0, 0)
    assert mine["cost_usd"] == pytest.approx(theirs["totalCost"], abs=1e-6)


def test_openclaw_equal(tmp_path):
    """Both count the archived `.deleted` copy of a session once and keep OpenClaw's own cost."""
    mine, theirs, _ = both(tmp_path, fixtures.openclaw, "openclaw", "openclaw")
    assert diff(mine, theirs) == (0, 0, 0, 0)
    assert mine["cost_usd"] == pytest.approx(theirs["totalCost"], abs=1e-6)


def test_opencode_ccusage_counts_the_fork_copy_and_leaves_reasoning_out(tmp_path):
    """The fork's copy of msg_0002 (400 in, 90 out, 9000 cache read, 600 written) counted again by
    ccusage (it keys on the message id); and its output leaves out `tokens.reasoning` (30, once:
    for the original, since the copy adds its 90 output without the 30)."""
    mine, theirs, _ = both(tmp_path, fixtures.opencode, "opencode", "opencode")
    assert diff(mine, theirs) == (400, 90 - 30, 9000, 600)
    assert theirs["totalCost"] == pytest.approx(mine["cost_usd"] + 0.0123, abs=1e-6)  # the copy's cost again


def test_amp_ccusage_takes_the_ledger_input_which_includes_the_cache(tmp_path):
    """Amp's usage ledger repeats both requests with `tokens.input` = fresh + cache (1520 and
    1509); ccusage takes that as input and the messages' cache buckets as well, so the 1500
    written and the 1500 read are counted twice."""
    mine, theirs, _ = both(tmp_path, fixtures.amp, "amp", "amp")
    assert diff(mine, theirs) == (1500 + 1500, 0, 0, 0)


def test_goose_ccusage_leaves_out_reasoning_known_only_from_the_total(tmp_path):
    """Goose stores input, output and a total; the 40 tokens of the total beyond the two are
    reasoning, which tokenlens counts as output and ccusage drops."""
    mine, theirs, _ = both(tmp_path, fixtures.goose, "goose", "goose")
    assert diff(mine, theirs) == (0, -40, 0, 0)
    assert mine["cost_usd"] == pytest.approx(theirs["totalCost"], abs=1e-6)


def test_gemini_cli_ccusage_output_without_thoughts(tmp_path):
    """`thoughts` (90) is generated output; ccusage's outputTokens leaves it out (its cost
    does not: equal)."""
    mine, theirs, _ = both(tmp_path, fixtures.gemini_cli, "gemini-cli", "gemini")
    assert diff(mine, theirs) == (0, -90, 0, 0)
    assert mine["cost_usd"] == pytest.approx(theirs["totalCost"], abs=1e-6)


def test_qwen_code_ccusage_counts_cached_prompt_twice_and_drops_native_thoughts(tmp_path):
    """a1's prompt (6000) includes the 4000 cached tokens: ccusage counts them in input and
    again as cache read; a2's thoughts (60), outside its candidates on the native Gemini path,
    are left out of ccusage's output."""
    mine, theirs, _ = both(tmp_path, fixtures.qwen_code, "qwen-code", "qwen")
    assert diff(mine, theirs) == (4000, -60, 0, 0)
