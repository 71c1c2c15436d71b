"""iso_to_ms against an independent computation (calendar.timegm over the fields)."""

from __future__ import annotations

import calendar
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenlens.tools.source import BadLine, iso_to_ms

moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 30))
offsets = st.integers(-14 * 60, 14 * 60)


def expected_ms(moment: datetime, offset_minutes: int = 0) -> int:
    seconds = calendar.timegm(moment.timetuple()) - offset_minutes * 60
    return seconds * 1000 + moment.microsecond // 1000


@given(moments)
def test_what_claude_and_codex_write(moment):
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    assert iso_to_ms(text) == expected_ms(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


@given(moments, offsets)
def test_offsets_and_microseconds(moment, offset):
    sign = "+" if offset >= 0 else "-"
    text = moment.isoformat(timespec="microseconds") + f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    assert iso_to_ms(text) == expected_ms(moment, offset)


@pytest.mark.parametrize(("text", "ms"), [
    ("2026-08-13T10:29:51Z", 1786616991000),
    (" 2026-08-13T10:29:51.250z ", 1786616991250),  # lowercase z, spaces
    ("2026-08-13 10:29:51", 1786616991000),  # naive means UTC
])
def test_lenient_forms(text, ms):
    assert iso_to_ms(text) == ms


@pytest.mark.parametrize("text", ["", "yesterday", "0001-01-01T00:00:00+05:00", "1969-12-31T23:59:59Z"])
def test_bad_timestamps_are_bad_lines(text):
    with pytest.raises(BadLine):
        iso_to_ms(text)
