"""Time: reports across DST changes (both directions), half-hour and 45-minute zones (and
Adelaide and Lord Howe, which have half-hour offsets AND DST — Lord Howe's DST shift is
itself 30 minutes), year and ISO-week ends, and skewed clocks (future, far past, out of
order, duplicate timestamps).

Events are dense (every 29 minutes) around each change, each with its own output count, so
any bucket off by an hour or a day changes a sum. Expected buckets come from zoneinfo here,
event by event, never from the SQL spans under test.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tests.test_robust_support import run_cli

ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Australia/Lord_Howe",
         "Pacific/Chatham", "Asia/Kathmandu", "Europe/London"]
# Around: NY spring-forward and fall-back; Adelaide/Lord Howe DST end and start; Europe's
# changes; a month end; the end of 2026 (which has an ISO week 53).
CENTRES = ["2026-03-08T07:00:00", "2026-11-01T06:00:00", "2026-04-04T16:00:00", "2026-10-03T16:00:00",
           "2026-03-29T01:00:00", "2026-10-25T01:00:00", "2026-09-30T12:00:00", "2026-12-31T12:00:00"]
STEP = timedelta(minutes=29)


def dense_events() -> list[tuple[datetime, int]]:
    events, n = [], 0
    for centre in CENTRES:
        t = datetime.fromisoformat(centre).replace(tzinfo=UTC) - timedelta(hours=52)
        for _ in range(int(timedelta(hours=104) / STEP)):
            n += 1
            events.append((t, n))
            t += STEP
    return events


def expected_periods(events, zone: str, kind: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for ts, out_tokens in events:
        local = ts.astimezone(ZoneInfo(zone))
        if kind == "daily":
            key = local.date().isoformat()
        elif kind == "weekly":
            year, week, _ = local.date().isocalendar()
            key = f"{year}-W{week:02d}"
        else:
            key = f"{local.year}-{local.month:02d}"
        out[key] = out.get(key, 0) + out_tokens
    return out


def expected_blocks(events, zone: str) -> dict[str, int]:
    """5-hour windows: opened at the (UTC) hour of the first event, closed 5 h later or
    after a 5-hour gap; labelled by their start in the report's zone."""
    out: dict[str, int] = {}
    start = last = None
    for ts, out_tokens in sorted(events):
        if start is None or ts >= start + timedelta(hours=5) or ts - last > timedelta(hours=5):
            start = ts.replace(minute=0, second=0, microsecond=0)
        last = ts
        key = start.astimezone(ZoneInfo(zone)).isoformat()
        out[key] = out.get(key, 0) + out_tokens
    return out


def write_claude(path, events) -> None:
    lines = [claude_assistant(ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "s", f"m{n}", f"r{n}", inp=1, out=out)
             for n, (ts, out) in enumerate(events)]
    append(path, *lines)


@pytest.fixture(scope="module")
def dense_ledger(tmp_path_factory):
    from tokenlens.config import Env
    from tokenlens.ingest import scan
    from tokenlens.store import open_ledger
    from tokenlens.tools.claude_code.usage import ClaudeCode

    root = tmp_path_factory.mktemp("time")
    events = dense_events()
    write_claude(root / "home/.claude/projects/-p/dense.jsonl", events)
    db = open_ledger(root / "data")
    scan(db, Env(environ={"HOME": str(root / "home")}), [ClaudeCode()])
    yield db, events
    db.conn.close()


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly"])
def test_calendar_buckets_across_dst_and_odd_offsets(dense_ledger, zone, kind):
    from tokenlens.reports import build_report

    db, events = dense_ledger
    report = build_report(db, kind, tz=zone)
    assert {r["period"]: r["output_tokens"] for r in report.rows} == expected_periods(events, zone, kind)
    assert report.totals["output_tokens"] == sum(out for _, out in events)


@pytest.mark.parametrize("zone", ZONES)
def test_blocks_across_dst_and_odd_offsets(dense_ledger, zone):
    from tokenlens.reports import build_report

    db, events = dense_ledger
    report = build_report(db, "blocks", tz=zone)
    assert {r["period"]: r["output_tokens"] for r in report.rows} == expected_blocks(events, zone)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Adelaide", "Australia/Lord_Howe", "Asia/Kolkata"])
@pytest.mark.parametrize("day", ["2026-03-08", "2026-11-01", "2026-04-05", "2026-10-04"])
def test_since_until_on_the_days_clocks_change(dense_ledger, zone, day):
    """A day that is 23 or 25 hours (or 23.5 / 24.5) long is still exactly one day."""
    from tokenlens.reports import build_report

    db, events = dense_ledger
    report = build_report(db, "daily", tz=zone, since=day, until=day)
    inside = [out for ts, out in events if ts.astimezone(ZoneInfo(zone)).date().isoformat() == day]
    assert report.totals["output_tokens"] == sum(inside)
    assert [r["period"] for r in report.rows] == ([day] if inside else [])


def test_day_lengths_really_differ(dense_ledger):
    """Guard against a fixture that misses the changes: NY's fall-back day has 25 hours of events."""
    _, events = dense_ledger
    zone = ZoneInfo("America/New_York")
    on_day = [ts for ts, _ in events if ts.astimezone(zone).date().isoformat() == "2026-11-01"]
    assert max(on_day) - min(on_day) > timedelta(hours=24)


# ---- skewed clocks ---------------------------------------------------------------------


def test_skewed_clocks_future_past_out_of_order_and_duplicates(tmp_path):
    home = tmp_path / "home"
    now = datetime.now(UTC).replace(microsecond=0)
    claude = [
        (datetime(2026, 11, 3, 12, 0, tzinfo=UTC), 1),
        (datetime(2026, 11, 1, 12, 0, tzinfo=UTC), 2),  # out of order
        (datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC), 4),
        (datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC), 8),  # same instant, another request
        (now + timedelta(days=3), 16),  # a clock running days ahead
        (datetime(2099, 6, 1, 3, 0, tzinfo=UTC), 32),  # far ahead
        (datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), 64),  # a dead RTC battery before NTP
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), 128),  # and back again
    ]
    write_claude(home / ".claude/projects/-p/skew.jsonl", claude)
    # Codex: totals keep growing line by line while the timestamps jump back and repeat.
    rollout = home / ".codex/sessions/2026/11/02/rollout-2026-11-02T10-00-00-0199aaaa-1111-2222-3333-444455556666.jsonl"
    stamps = ["2026-11-02T10:00:00.000Z", "2026-11-02T09:00:00.000Z", "2026-11-02T09:00:00.000Z",
              "2026-11-04T00:10:00.000Z"]
    append(rollout, codex_meta(stamps[0], "0199aaaa-1111-2222-3333-444455556666"), codex_turn(stamps[0]))
    total = [0, 0, 0, 0]
    codex = []
    for i, stamp in enumerate(stamps):
        last = (100 * (i + 1), 0, 256 * (i + 1), 0)
        total = [a + b for a, b in zip(total, last, strict=True)]
        append(rollout, codex_tokens(stamp, tuple(total), last))
        codex.append((datetime.fromisoformat(stamp.replace("Z", "+00:00")), 256 * (i + 1)))
    events = claude + codex
    data_dir = tmp_path / "data"
    for zone in ("America/New_York", "Australia/Adelaide", "Asia/Kolkata"):
        for kind in ("daily", "weekly", "monthly"):
            started = time.perf_counter()
            proc = run_cli(home, data_dir, "report", kind, "--json", "--tz", zone)
            assert proc.returncode == 0, proc.stderr
            # One event in 1970 and one in 2099 must not make reports crawl.
            assert time.perf_counter() - started < 10
            rows = json.loads(proc.stdout)["rows"]
            assert {r["period"]: r["output_tokens"] for r in rows} == expected_periods(events, zone, kind)
        proc = run_cli(home, data_dir, "report", "blocks", "--json", "--tz", zone, "--no-scan")
        assert proc.returncode == 0, proc.stderr
        rows = json.loads(proc.stdout)["rows"]
        assert {r["period"]: r["output_tokens"] for r in rows} == expected_blocks(events, zone)
    # Nothing was dropped as bad, and rescanning adds nothing.
    scan = json.loads(run_cli(home, data_dir, "scan", "--json").stdout)
    assert all(s["lines_skipped"] == 0 and s["events_added"] == 0 for s in scan["sources"].values())


def test_report_over_a_skewed_ledger_is_fast(tmp_path):
    """A lone event a millennium away used to cost each report seconds of offset probing."""
    from tokenlens.config import Env
    from tokenlens.ingest import scan
    from tokenlens.reports import build_report
    from tokenlens.store import open_ledger
    from tokenlens.tools.claude_code.usage import ClaudeCode

    home = tmp_path / "home"
    events = [(datetime(1970, 1, 2, tzinfo=UTC), 1), (datetime(2026, 11, 1, tzinfo=UTC), 2),
              (datetime(2999, 12, 1, tzinfo=UTC), 4)]
    write_claude(home / ".claude/projects/-p/s.jsonl", events)
    db = open_ledger(tmp_path / "data")
    scan(db, Env(environ={"HOME": str(home)}), [ClaudeCode()])
    started = time.perf_counter()
    report = build_report(db, "daily", tz="America/New_York")
    elapsed = time.perf_counter() - started
    assert {r["period"]: r["output_tokens"] for r in report.rows} == expected_periods(events, "America/New_York", "daily")
    assert elapsed < 0.5, f"{elapsed:.2f} s"
    db.conn.close()
