"""Kilo CLI ingest: OpenCode's schema (the fixture builder of tests/test_source_opencode.py)
in Kilo's data dir, through the real scan into a real ledger; totals worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger_helpers import cli_daily, scan_tool, tool_event_count, tool_totals
from tests.test_source_opencode import M1, M2, M3, T0, OpenCodeDb, data_of, expect
from tokenlens.config import Env
from tokenlens.tools.kilo.usage import Kilo


@pytest.fixture
def kilo_root(home: Path) -> Path:
    return home / ".local" / "share" / "kilo"


@pytest.fixture
def kdb(kilo_root: Path):
    db = OpenCodeDb(kilo_root / "kilo.db")
    yield db
    db.close()


def run(db, env):
    return scan_tool(db, env, Kilo())


def assert_totals(db, expected: dict) -> None:
    t = tool_totals(db, "kilo")
    assert {k: t[k] for k in expected} == expected


def test_messages_are_read_as_kilo(db, env, kdb):
    kdb.session("ses_1", T0)
    kdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1, cost=0.0213, provider="kilo"))
    kdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2))
    stats = run(db, env)
    assert stats.lines_skipped == 0 and not stats.errors
    assert_totals(db, expect(M1, M2))
    assert tool_event_count(db, "opencode") == 0
    assert db.execute("SELECT cost_usd FROM events WHERE event_key = 'msg_0002'").fetchone()[0] == pytest.approx(0.0213)


def test_forked_session_copies_count_once(db, env, kdb):
    kdb.session("ses_1", T0)
    kdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
    kdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2))
    kdb.session("ses_2", T0 + 100_000)  # the fork: copies under new ids, same time.created and tokens
    kdb.message("msg_0101", "ses_2", data_of(T0 + 1000, M1))
    kdb.message("msg_0102", "ses_2", data_of(T0 + 9000, M2))
    kdb.message("msg_0103", "ses_2", data_of(T0 + 120_000, M3))
    run(db, env)
    assert_totals(db, expect(M1, M2, M3))
    # Two genuine calls with the same figures in different milliseconds both count.
    kdb.message("msg_0104", "ses_2", data_of(T0 + 121_000, M3))
    run(db, env)
    assert_totals(db, expect(M1, M2, M3, M3))


def test_channel_databases_and_kilo_db_override(db, home, tmp_path, kilo_root):
    beta = OpenCodeDb(kilo_root / "kilo-dev.db")
    beta.session("ses_b", T0)
    beta.message("msg_b1", "ses_b", data_of(T0 + 1000, M1))
    legacy_channel = OpenCodeDb(kilo_root / "opencode-dev.db")
    legacy_channel.session("ses_c", T0)
    legacy_channel.message("msg_c1", "ses_c", data_of(T0 + 2000, M2))
    other = OpenCodeDb(tmp_path / "elsewhere" / "mine.db")
    other.session("ses_o", T0)
    other.message("msg_o1", "ses_o", data_of(T0 + 3000, M3))
    run(db, Env(environ={"HOME": str(home)}))
    assert_totals(db, expect(M1, M2))
    run(db, Env(environ={"HOME": str(home), "KILO_DB": str(tmp_path / "elsewhere" / "mine.db")}))
    assert_totals(db, expect(M1, M2, M3))
    for live in (beta, legacy_channel, other):
        live.close()


def test_xdg_data_home_moves_the_data_dir(db, home, tmp_path):
    xdg = tmp_path / "xdg"
    live = OpenCodeDb(xdg / "kilo" / "kilo.db")
    live.session("ses_1", T0)
    live.message("msg_1", "ses_1", data_of(T0 + 1000, M2))
    run(db, Env(environ={"HOME": str(home), "XDG_DATA_HOME": str(xdg)}))
    assert_totals(db, expect(M2))
    live.close()


def test_bad_rows_are_skipped_and_counted(db, env, kdb):
    kdb.session("ses_1", T0)
    kdb.message("msg_0001", "ses_1", '{"role": "assistant", "tokens": {"input": 5')
    kdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2))
    stats = run(db, env)
    assert stats.lines_skipped == 1
    assert_totals(db, expect(M2))


def test_a_message_near_local_midnight_lands_on_its_local_day(data_dir, home, kdb):
    """`time.created` is epoch milliseconds (UTC): in Tokyo (UTC+9, no DST) 14:59:59.900Z is
    23:59:59.900 on May 17 and 15:00:00Z is midnight on May 18; both are May 17 in UTC."""
    before, at = 1_779_029_999_900, 1_779_030_000_000  # 2026-05-17T14:59:59.900Z, T15:00:00Z
    kdb.session("ses_1", before - 60_000)
    kdb.message("msg_late", "ses_1", data_of(before, M1, provider="kilo"))
    kdb.message("msg_midnight", "ses_1", data_of(at, M3, provider="kilo"))
    days = cli_daily(data_dir, home, "kilo", "Asia/Tokyo")
    assert {day: row["total_tokens"] for day, row in days.items()} == {
        "2026-05-17": expect(M1)["total_tokens"], "2026-05-18": expect(M3)["total_tokens"]}
    utc = cli_daily(data_dir, home, "kilo", "UTC")
    assert {day: row["total_tokens"] for day, row in utc.items()} == {"2026-05-17": expect(M1, M3)["total_tokens"]}
