"""tokenlens.insights over a real ledger filled from real-format logs by the real scanner.

Expected numbers are written out by hand from the lines each test appends; costs come from
the `costUSD` the log itself carries (which the pricer keeps as is), so they are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens import insights
from tokenlens.ingest import scan

UTCZ = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def claude_log(home, name="s1"):
    return home / ".claude" / "projects" / "-home-me-proj" / f"{name}.jsonl"


def add_claude(home, ts, session, msg, *, inp=0, out=0, cr=0, cw=0, cost=None, cwd="/home/me/proj", log="s1"):
    extra = {"costUSD": cost} if cost is not None else {}
    append(claude_log(home, log), claude_assistant(ts, session, msg, f"req-{msg}", inp=inp, out=out, cr=cr, cw=cw, cwd=cwd, **extra))


@pytest.fixture
def history(home, env, db):
    """Two tools over several days; totals are listed next to each line."""
    # 2026-03-02 is a Monday.
    add_claude(home, "2026-03-02T10:00:00Z", "A", "m1", inp=100, out=900, cost=1.0)  # 1000
    add_claude(home, "2026-03-04T23:30:00Z", "A", "m2", inp=500, out=1500, cost=2.0)  # 2000 (Thu 00:30 Berlin)
    add_claude(home, "2026-03-09T09:15:00Z", "B", "m3", inp=10, cr=80, cw=10, out=900, cost=0.5, cwd="/home/me/other")  # 1000
    add_claude(home, "2026-03-10T14:00:00Z", "B", "m4", inp=0, cr=3000, cw=0, out=1000, cost=0.25, cwd="/home/me/other")  # 4000
    rollout = home / ".codex" / "sessions" / "2026" / "03" / "10" / "rollout-2026-03-10T08-00-00-11111111-2222-3333-4444-555555555555.jsonl"
    append(
        rollout,
        codex_meta("2026-03-10T08:00:00Z", "cx-1", cwd="/home/me/proj"),
        codex_turn("2026-03-10T08:00:01Z", model="gpt-5"),
        # cumulative totals (input incl. cached, cached, output, reasoning): delta 1 = 600 fresh + 200 cached + 400 output = 1200 tokens
        codex_tokens("2026-03-10T08:01:00Z", (800, 200, 400, 100), (800, 200, 400, 100)),
        # delta 2 = (1000-800) input incl. (300-200) cached + (500-400) output = 300 tokens
        codex_tokens("2026-03-10T08:02:00Z", (1000, 300, 500, 100), (200, 100, 100, 0)),
    )
    result = scan(db, env)
    assert result.events_added == 6
    return db


def test_daily_series_splits_by_tool_on_local_days(history):
    series = insights.daily_series(history, UTCZ, date(2026, 3, 1), date(2026, 3, 10), by="tool")
    assert len(series.days) == 10
    assert series.groups == ["claude-code", "codex"]  # 8000 vs 1500 tokens
    assert series.value(date(2026, 3, 2), "claude-code") == 1000
    assert series.value(date(2026, 3, 4), "claude-code") == 2000
    assert series.value(date(2026, 3, 10), "claude-code") == 4000
    assert series.value(date(2026, 3, 10), "codex") == 1500
    assert series.day_total(date(2026, 3, 10)) == 5500
    assert series.value(date(2026, 3, 10), "claude-code", "cost") == pytest.approx(0.25)
    assert series.day_total(date(2026, 3, 3)) == 0


def test_daily_series_uses_the_time_zone(history):
    # 23:30 UTC on Wednesday the 4th is 00:30 on Thursday the 5th in Berlin (UTC+1 in March).
    series = insights.daily_series(history, BERLIN, date(2026, 3, 1), date(2026, 3, 10), by="model")
    assert series.day_total(date(2026, 3, 4)) == 0
    assert series.day_total(date(2026, 3, 5)) == 2000
    assert "gpt-5" in series.groups


def test_glance_today_week_average_and_split(history):
    at = ms("2026-03-10T20:00:00Z")  # Tuesday
    g = insights.glance(history, UTCZ, at)
    assert g.day == date(2026, 3, 10)
    assert g.today_tokens == 5500
    assert g.today_cost == pytest.approx(0.25 + g.by_tool_today[1][2])
    # the 7 days before today: 3..9 March hold 2000 + 1000 tokens
    assert g.avg7_tokens == pytest.approx(3000 / 7)
    assert g.avg7_cost == pytest.approx(2.5 / 7)
    # ISO week of the 10th starts Monday the 9th: 1000 + 5500
    assert g.week_tokens == 6500
    assert [d.tokens for d in g.series14][-3:] == [0, 1000, 5500]
    assert len(g.series14) == 14 and g.series14[0].day == date(2026, 2, 25)
    assert [(t, n) for t, n, _ in g.by_tool_today] == [("claude-code", 4000), ("codex", 1500)]
    assert [(t, n) for t, n, _ in g.by_tool_week] == [("claude-code", 5000), ("codex", 1500)]
    assert g.ratio_to_average == pytest.approx(5500 / (3000 / 7))
    assert g.events_total == 6


def test_glance_on_an_empty_ledger(db):
    g = insights.glance(db, UTCZ, ms("2026-03-10T20:00:00Z"))
    assert g.today_tokens == 0 and g.week_tokens == 0 and g.by_tool_today == []
    assert g.ratio_to_average is None


def test_hour_of_week_and_busiest_hours(history):
    lo, hi = ms("2026-03-01T00:00:00Z"), ms("2026-03-11T00:00:00Z")
    grid = insights.hour_of_week(history, UTCZ, lo, hi)
    assert grid[0][10] == 1000 and grid[0][9] == 1000  # Mondays 2nd and 9th
    assert grid[2][23] == 2000  # Wednesday 4th
    assert grid[1][14] == 4000 and grid[1][8] == 1500  # Tuesday 10th
    assert sum(map(sum, grid)) == 9500
    assert insights.busiest_hours(grid) == [14, 23, 8]
    berlin = insights.hour_of_week(history, BERLIN, lo, hi)
    assert berlin[3][0] == 2000  # Thursday 00:30 local


def test_top_projects(history):
    rows = insights.top_projects(history, ms("2026-03-01T00:00:00Z"), ms("2026-03-11T00:00:00Z"))
    assert [(r["project"], r["tokens"], r["sessions"]) for r in rows] == [
        ("/home/me/other", 5000, 1),
        ("/home/me/proj", 4500, 2),
    ]


def test_sessions_and_signals(history):
    lo, hi = ms("2026-03-01T00:00:00Z"), ms("2026-03-11T00:00:00Z")
    rows = insights.sessions(history, lo, hi)
    by_id = {r["session_id"]: r for r in rows}
    assert set(by_id) == {"A", "B", "cx-1"}
    assert rows[0]["session_id"] == "B"  # newest activity first
    b = by_id["B"]
    assert b["total_tokens"] == 5000 and b["requests"] == 2
    assert b["cost_usd"] == pytest.approx(0.75)
    # prompt tokens: 10 + 80 + 10 + 0 + 3000 + 0 = 3100, of which 3080 read from cache
    assert b["cache_hit"] == pytest.approx(3080 / 3100)
    assert by_id["cx-1"]["cache_read_tokens"] == 300 and by_id["cx-1"]["input_tokens"] == 700
    sig = insights.signals(history, UTCZ, lo, hi, biggest=2)
    assert sig.sessions == 3
    assert sig.active_days == 4
    # all prompt tokens: A 600 fresh; B 3100 (3080 cached); codex 1000 (300 cached)
    assert sig.cache_hit_ratio == pytest.approx((3080 + 300) / (600 + 3100 + 1000))
    assert [s["session_id"] for s in sig.biggest_sessions] == ["B", "A"]
    total_cost = 1.0 + 2.0 + 0.5 + 0.25 + by_id["cx-1"]["cost_usd"]
    assert sig.cost_per_session == pytest.approx(total_cost / 3)


def test_signals_on_an_empty_range(history):
    sig = insights.signals(history, UTCZ, ms("2020-01-01T00:00:00Z"), ms("2020-01-02T00:00:00Z"))
    assert sig.sessions == 0 and sig.cost_per_session is None and sig.cache_hit_ratio is None
    assert sig.busiest_hours == [] and sig.biggest_sessions == []


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (950, "950"), (12_345, "12.3k"), (4_560_000, "4.56M"), (1_200_000_000, "1.20B"), (123_456, "123k"),
     (999_999, "1.00M"), (999.6, "1.00k"), (99_960, "100k"), (9_996, "10.0k")],
)
def test_format_tokens(value, text):
    assert insights.format_tokens(value) == text


def test_format_cost():
    assert insights.format_cost(None) == "–"
    assert insights.format_cost(0.001) == "$0"
    assert insights.format_cost(3.456) == "$3.46"
    assert insights.format_cost(1234.5) == "$1,234"


def test_local_day_follows_the_zone():
    at = int(datetime(2026, 3, 4, 23, 30, tzinfo=UTC).timestamp() * 1000)
    assert insights.local_day(UTCZ, at) == date(2026, 3, 4)
    assert insights.local_day(BERLIN, at) == date(2026, 3, 5)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"])
def test_the_app_reads_days_and_hours_from_the_rollup_with_the_events_numbers(history, zone):
    """The tray's glance and the Overview read the quarter-hour rollup (a few rows per
    quarter-hour) while it is exact, and give what the events give, in half-hour zones too."""
    tz = ZoneInfo(zone)
    lo, hi = insights.day_range_ms(tz, date(2026, 3, 1), date(2026, 3, 11))
    statements = []
    history.conn.set_trace_callback(statements.append)
    series = insights.daily_series(history, tz, date(2026, 3, 1), date(2026, 3, 11), by="model")
    grid = insights.hour_of_week(history, tz, lo, hi)
    history.conn.set_trace_callback(None)
    assert all("FROM rollup" in sql for sql in statements if "tz_spans" in sql)
    assert sum("tz_spans" in sql for sql in statements) == 2
    history.execute("INSERT INTO rollup_dirty (bucket) VALUES (0)")  # now only the events are trusted
    assert insights.daily_series(history, tz, date(2026, 3, 1), date(2026, 3, 11), by="model") == series
    assert insights.hour_of_week(history, tz, lo, hi) == grid
    assert sum(map(sum, grid)) == 9500
