"""Reports: day boundaries in zones with DST and half-hour offsets, periods, groups, blocks.

Expected buckets are computed here with zoneinfo directly, independently of the SQL spans."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.logs import append, claude_assistant
from tokenlens.ingest import scan
from tokenlens.reports import ReportError, build_report, zone_spans
from tokenlens.tools.claude_code.usage import ClaudeCode

# Events around New York's 2026 spring-forward (Mar 8, 07:00 UTC) and Kolkata midnights.
EVENT_TIMES = [
    "2026-03-07T23:30:00.000Z",
    "2026-03-08T04:59:00.000Z",
    "2026-03-08T05:00:00.000Z",
    "2026-03-08T06:59:00.000Z",
    "2026-03-08T07:01:00.000Z",
    "2026-03-08T18:29:00.000Z",
    "2026-03-08T18:31:00.000Z",
    "2026-11-01T04:30:00.000Z",  # New York fall-back day (Nov 1, 06:00 UTC)
    "2026-11-01T05:30:00.000Z",
    "2026-11-01T06:30:00.000Z",
]


@pytest.fixture
def ledger(db, env, home):
    path = home / ".claude/projects/-p/s.jsonl"
    for i, ts in enumerate(EVENT_TIMES):
        append(path, claude_assistant(ts, "s", f"m{i}", f"r{i}", inp=1, out=10 * (i + 1)))
    scan(db, env, [ClaudeCode()])
    return db


def expected_days(zone: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, ts in enumerate(EVENT_TIMES):
        local = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
        day = local.date().isoformat()
        out[day] = out.get(day, 0) + 10 * (i + 1)
    return out


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Asia/Kathmandu"])
def test_daily_buckets_follow_the_zone(ledger, zone):
    report = build_report(ledger, "daily", tz=zone)
    assert {r["period"]: r["output_tokens"] for r in report.rows} == expected_days(zone)
    assert report.tz == zone


def test_zones_split_days_differently(ledger):
    ny = {r["period"] for r in build_report(ledger, "daily", tz="America/New_York").rows}
    kol = {r["period"] for r in build_report(ledger, "daily", tz="Asia/Kolkata").rows}
    assert ny != kol


@pytest.mark.parametrize("name", [
    "America/New_York",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Recife",  # two offset changes 6.96 days apart in 2000
    "Africa/Casablanca",  # DST paused for Ramadan: changes a month apart
    "UTC",
])
def test_zone_spans_match_zoneinfo_offsets(name):
    zone = ZoneInfo(name)
    start = int(datetime(1999, 6, 1, tzinfo=UTC).timestamp() * 1000)
    end = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp() * 1000)
    spans = zone_spans(zone, start, end)
    assert all(s < e for s, e, _ in spans)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))  # no gaps
    for ms in range(start, end, 3_599_000 * 7):
        off = next(o for s, e, o in spans if s <= ms < e)
        dt = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone)
        assert off == dt.utcoffset().total_seconds(), datetime.fromtimestamp(ms / 1000, tz=UTC)


def test_since_until_are_local_days(ledger):
    report = build_report(ledger, "daily", tz="Asia/Kolkata", since="2026-03-09", until="2026-03-09")
    assert [r["period"] for r in report.rows] == ["2026-03-09"]
    assert report.totals["output_tokens"] == expected_days("Asia/Kolkata")["2026-03-09"]


def test_weekly_and_monthly_periods(ledger):
    weeks = {r["period"] for r in build_report(ledger, "weekly", tz="UTC").rows}
    assert weeks == {"2026-W10", "2026-W44"}  # Mar 7 (Sat) and Mar 8 (Sun) are both in ISO week 10
    months = {r["period"]: r["output_tokens"] for r in build_report(ledger, "monthly", tz="UTC").rows}
    assert months == {"2026-03": sum(10 * (i + 1) for i in range(7)), "2026-11": 80 + 90 + 100}


def test_totals_equal_sum_of_rows(ledger):
    report = build_report(ledger, "daily", tz="America/New_York", by="model")
    for field in ("input_tokens", "output_tokens", "total_tokens"):
        assert report.totals[field] == sum(r[field] for r in report.rows)


def test_blocks_are_five_hour_windows(ledger):
    blocks = build_report(ledger, "blocks", tz="UTC").rows
    # 23:30 opens a block at 23:00 (to 04:00); 04:59 opens 04:00-09:00 holding 04:59, 05:00,
    # 06:59, 07:01; 18:29 opens 18:00 holding 18:31; Nov 1 04:30 opens 04:00 holding all three.
    assert [b["period"][:16] for b in blocks] == [
        "2026-03-07T23:00", "2026-03-08T04:00", "2026-03-08T18:00", "2026-11-01T04:00",
    ]
    assert [b["output_tokens"] for b in blocks] == [10, 20 + 30 + 40 + 50, 60 + 70, 80 + 90 + 100]


def test_json_row_shape(ledger):
    row = build_report(ledger, "daily", tz="UTC", by="tool").to_json()["rows"][0]
    assert list(row)[:2] == ["period", "group"]
    for key in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                "reasoning_tokens", "total_tokens", "cost_usd", "models", "tools"):
        assert key in row


@pytest.mark.parametrize("kwargs, message", [
    ({"tz": "Mars/Olympus"}, "unknown time zone"),
    ({"since": "2026-13-01"}, "--since must be a date"),
    ({"since": "2026-03-09", "until": "2026-03-01"}, "--since is after --until"),
    ({"by": "colour"}, "--by must be one of"),
])
def test_bad_requests_raise_one_line_errors(db, kwargs, message):
    with pytest.raises(ReportError, match=message):
        build_report(db, "daily", **kwargs)


@pytest.mark.parametrize("given, zone", [("utc", "UTC"), ("europe/berlin", "Europe/Berlin"),
                                         ("AMERICA/NEW_YORK", "America/New_York")])
def test_zone_names_are_accepted_in_any_case(ledger, given, zone):
    report = build_report(ledger, "daily", tz=given)
    assert report.tz == zone
    assert report.rows == build_report(ledger, "daily", tz=zone).rows


def test_a_zone_name_matching_several_zones_by_case_is_refused(db, monkeypatch):
    import zoneinfo

    monkeypatch.setattr(zoneinfo, "available_timezones", lambda: {"Foo/Bar", "FOO/bar", "UTC"})
    with pytest.raises(ReportError, match=r"'foo/bar' is ambiguous: it could be FOO/bar or Foo/Bar"):
        build_report(db, "daily", tz="foo/bar")


@pytest.mark.parametrize("kind", ["daily", "monthly", "session", "blocks"])
def test_an_unknown_models_cost_is_null_not_zero(db, env, home, kind):
    path = home / ".claude/projects/-p/s.jsonl"
    append(path, claude_assistant("2026-03-08T10:00:00.000Z", "s1", "m1", "r1", inp=1000, out=100),
           claude_assistant("2026-03-08T10:05:00.000Z", "s1", "m2", "r2", inp=500, out=50, model="claude-zz-private"),
           claude_assistant("2026-03-09T10:00:00.000Z", "s2", "m3", "r3", inp=1000, out=100))
    scan(db, env, [ClaudeCode()])
    assert db.execute("SELECT COUNT(*) FROM events WHERE cost_usd IS NULL").fetchone()[0] == 1
    report = build_report(db, kind, tz="UTC")
    mixed, priced = report.rows[0], report.rows[-1]
    assert mixed["cost_usd"] is None and mixed["unpriced_models"] == ["claude-zz-private"]
    if kind != "monthly":
        assert priced["cost_usd"] is not None and priced["cost_usd"] > 0 and priced["unpriced_models"] == []
        assert priced["cost_usd_known"] == priced["cost_usd"]
        assert mixed["cost_usd_known"] == pytest.approx(priced["cost_usd"])  # the priced part: same usage
    assert report.totals["cost_usd"] is None and report.totals["unpriced_models"] == ["claude-zz-private"]
    parts = {p["model"]: p for p in report.breakdown[report.key_of(mixed)]}
    assert parts["claude-zz-private"]["cost_usd"] is None
    assert parts["claude-sonnet-4-5-20250929"]["cost_usd"] > 0


def test_a_block_across_a_dst_change_ends_five_hours_after_it_starts(ledger):
    # New York springs forward at 07:00 UTC on Mar 8: the block from 04:00 UTC (23:00 EST)
    # ends at 09:00 UTC, which is 05:00 EDT, not the wall-clock 04:00.
    block = next(b for b in build_report(ledger, "blocks", tz="America/New_York").rows
                 if b["start"].startswith("2026-03-07T23:00"))
    assert block["start"] == "2026-03-07T23:00:00-05:00"
    assert block["end"] == "2026-03-08T05:00:00-04:00"
    ends = datetime.fromisoformat(block["end"]) - datetime.fromisoformat(block["start"])
    assert ends.total_seconds() == 5 * 3600


def test_two_tools_with_the_same_session_id_are_two_sessions(db):
    """A session is a (tool, session id) pair, as in insights: two tools that happen to use
    the same id (a short counter, a date) must not merge into one row."""
    db.execute("BEGIN IMMEDIATE")
    for tool, ts, out in (("claude-code", 1_780_000_000_000, 10), ("codex", 1_780_000_060_000, 20)):
        db.execute("INSERT INTO events (tool, event_key, ts_ms, session_id, model, output_tokens, total_tokens)"
                   " VALUES (?, ?, ?, 'same-id', 'm', ?, ?)", [tool, f"k-{tool}", ts, out, out])
    db.execute("COMMIT")
    report = build_report(db, "session", tz="UTC")
    assert sorted((r["period"], r["tools"], r["output_tokens"]) for r in report.rows) == [
        ("same-id", ["claude-code"], 10), ("same-id", ["codex"], 20)]
    assert [p["output_tokens"] for r in report.rows for p in report.breakdown[report.key_of(r)]] == [10, 20]
    assert report.totals["output_tokens"] == 30
