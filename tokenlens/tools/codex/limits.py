"""Codex's plan-window readings: the `rate_limits` of its `token_count` events.

Codex writes a `token_count` event_msg after each response and on rate-limit refreshes; the
refreshes carry `"info": null` and only `rate_limits`. Shapes, from openai/codex's own source:

- current (codex-rs/protocol/src/protocol.rs, `TokenCountEvent { info, rate_limits:
  Option<RateLimitSnapshot> }`): `rate_limits = {limit_id, limit_name, primary, secondary,
  credits, plan_type, rate_limit_reached_type}`, each window `{used_percent: f64,
  window_minutes: Option<i64>, resets_at: Option<i64>}`, `resets_at` in Unix seconds;
- the version before it (same file): the window's reset as `resets_in_seconds` ("legacy
  relative reset in seconds"), counted here from the line's timestamp;
- the first one (codex-rs/core/src/client.rs `parse_rate_limit_snapshot`, read from the
  `x-codex-primary-used-percent`... headers into `RateLimitSnapshotEvent`): flat
  `{primary_used_percent, secondary_used_percent, primary_to_secondary_ratio_percent,
  primary_window_minutes, secondary_window_minutes}`, some builds adding
  `primary_reset_after_seconds` / `secondary_reset_after_seconds`.

A window is named by its length, not by primary/secondary: Codex has moved a length from
one slot to the other, and a length that changes is another window ("5h", "7d", or minutes).
The account is the CODEX_HOME the rollout lies under, and a `limit_id` other than "codex"
(a model-scoped bucket) is kept apart as "<home>#<limit_id>".

Bad readings are skipped and counted (a Skip with its reason), never stored: a percentage
below 0 or over 100 or not a number, a window of unknown length, a reset before the reading
or further ahead than the window is long (clock skew beyond a minute), two different readings
of one window at the same time. A reading repeated on the next lines is the same row
(reading_key), seen again. Residual risk: a fork's copy of its parent's rollout is stamped
when copied, so a legacy reading (`resets_in_seconds`) copied into a fork counts its reset
from the copy's time and becomes a second, later reading of the same percentage; current
readings (absolute `resets_at`) copied into a fork are the parent's rows again.
"""

from __future__ import annotations

import functools
from typing import Any

from tokenlens.limits import LimitReading
from tokenlens.model import Skip

SOURCE = "codex-log"
TOOL = "codex"
SKEW_MS = 60_000  # a reset this much in the past is clock skew, not a bad reading
LEGACY_DRIFT_MS = 90_000  # `resets_in_seconds` counted from whole-second stamps wobbles


def window_name(minutes: int) -> str:
    if minutes == 300:
        return "5h"
    if minutes == 10080:
        return "7d"
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return str(minutes)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _windows(rate_limits: dict) -> list[tuple[str, Any, Any, Any, Any]]:
    """(slot, used_percent, window_minutes, resets_at seconds, resets_in seconds) per window."""
    found = []
    for slot in ("primary", "secondary"):
        if f"{slot}_used_percent" in rate_limits:  # the first, flat shape
            found.append((slot, rate_limits.get(f"{slot}_used_percent"), rate_limits.get(f"{slot}_window_minutes"),
                          None, rate_limits.get(f"{slot}_reset_after_seconds")))
            continue
        window = rate_limits.get(slot)
        if isinstance(window, dict):
            found.append((slot, window.get("used_percent"), window.get("window_minutes"),
                          window.get("resets_at"), window.get("resets_in_seconds")))
    return found


def readings(rate_limits: Any, ts_ms: int, account: str, state: dict) -> list[LimitReading | Skip]:
    """The readings of one token_count line's `rate_limits` (None or absent: none).

    `state` is the file's parse state: the last reading per window, to name repeats and
    catch two readings at one time."""
    if not isinstance(rate_limits, dict):
        return []
    limit_id = rate_limits.get("limit_id")
    if isinstance(limit_id, str) and limit_id and limit_id != "codex":
        account = f"{account}#{limit_id}"
    plan = rate_limits.get("plan_type")
    plan = plan if isinstance(plan, str) and plan else None
    last: dict = state.setdefault("limits", {})
    out: list[LimitReading | Skip] = []
    for slot, used, minutes, resets_at, resets_in in _windows(rate_limits):
        item = _reading(slot, used, minutes, resets_at, resets_in, ts_ms, account, plan, last)
        if item is not None:
            out.append(item)
    return out


def _reading(slot, used, minutes, resets_at, resets_in, ts_ms, account, plan, last) -> LimitReading | Skip | None:
    if used is None and minutes is None:
        return None  # an empty slot: Codex had nothing to say about it
    percent = _number(used)
    if percent is None or percent != percent:
        return Skip(0, f"rate_limits.{slot}: used_percent is not a number")
    if not 0.0 <= percent <= 100.0:
        return Skip(0, f"rate_limits.{slot}: used_percent {percent:g} out of 0-100")
    length = _number(minutes)
    if length is None or length <= 0 or length != int(length):
        return Skip(0, f"rate_limits.{slot}: window length unknown")
    length = int(length)
    reset_ms = _reset_ms(resets_at, resets_in, ts_ms)
    if isinstance(reset_ms, str):
        return Skip(0, f"rate_limits.{slot}: {reset_ms}")
    if reset_ms is not None:
        if reset_ms < ts_ms - SKEW_MS:
            return Skip(0, f"rate_limits.{slot}: resets before it was read")
        if reset_ms > ts_ms + length * 60_000 + SKEW_MS:
            return Skip(0, f"rate_limits.{slot}: resets further ahead than the window is long")
    window = window_name(length)
    key = f"{account}|{window}"
    previous = last.get(key)
    if previous is not None:
        prev_ts, prev_percent, prev_reset, prev_key = previous
        same_reset = (prev_reset == reset_ms or (
            prev_reset is not None and reset_ms is not None and resets_at is None
            and abs(prev_reset - reset_ms) <= LEGACY_DRIFT_MS))
        if prev_percent == percent and same_reset:
            # Codex repeats the reading on every token_count: the same row, seen again.
            return LimitReading(TOOL, window, length, prev_ts, percent, prev_reset, prev_key, SOURCE,
                                account, plan, last_seen_ms=ts_ms)
        if prev_ts == ts_ms:
            return Skip(0, f"rate_limits.{slot}: a second, different reading at the same time")
    reading_key = f"{reset_ms // 1000 if reset_ms is not None else 't' + str(ts_ms)}:{percent:g}"
    last[key] = [ts_ms, percent, reset_ms, reading_key]
    return LimitReading(TOOL, window, length, ts_ms, percent, reset_ms, reading_key, SOURCE, account, plan,
                        last_seen_ms=ts_ms)


def _reset_ms(resets_at: Any, resets_in: Any, ts_ms: int) -> int | None | str:
    """The reset in Unix ms; None when not given; a reason string when given but unusable."""
    if resets_at is not None:
        seconds = _number(resets_at)
        if seconds is None or seconds != seconds:
            return "resets_at is not a number"
        return int(seconds * 1000)
    if resets_in is not None:
        seconds = _number(resets_in)
        if seconds is None or seconds != seconds:
            return "resets_in_seconds is not a number"
        return ts_ms + int(seconds * 1000)
    return None


def home_label(root) -> str:
    """The CODEX_HOME a rollout root (`<home>/sessions`, `<home>/archived_sessions`) lies in,
    shown with ~ for the person's home: the account its readings belong to."""
    import os

    if root is None:
        return ""
    return _home_label(str(root), os.environ.get("HOME") or os.path.expanduser("~"))


@functools.lru_cache(maxsize=64)
def _home_label(root: str, person_home: str) -> str:
    """Asked for every token_count line (a first scan: thousands): worked out once a root."""
    from pathlib import Path

    home = Path(root).parent
    try:
        return "~/" + home.relative_to(Path(person_home)).as_posix()
    except (ValueError, RuntimeError):
        return home.as_posix()
