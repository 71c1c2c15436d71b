"""How much of each plan window is used, from the readings the tools leave locally (issue 17).

Readings come from Codex's rollouts (tools/codex/limits.py) and Claude Code's status line
(tokenlens/statusline.py); nothing here asks a server. For each window (tool, account,
window length) this works out:

- its state: "current"; "stale" when the newest reading was last seen long ago (an hour, or
  a fifth of a shorter window); "reset" when its reset time has passed since: the use is then
  unknown, never the old percentage;
- pace: at the rate of the last hour of readings (the earliest reading of this window within
  the hour before the newest, at least 5 minutes back), else of the window so far (its start
  being the reset less the window's length), when it reaches 100 %; null when not before the
  reset;
- calibration: tokens (and API-equivalent dollars) per 1 % of the window, from the ledger's
  own events between the first and last reading of each window instance (one reset time),
  attributed to a model family when that family holds at least 90 % of those tokens. The
  estimate is sum(tokens) / sum(percentage points); percentages are read rounded (Claude
  gives whole numbers), so each instance's rise is uncertain by one point, and the bounds are
  sum(tokens) / (points + instances) and sum(tokens) / (points - instances).

Other devices' windows (readings a synced folder brought, tokenlens/sync/engine.py) are listed
apart, each labelled with its device's name (`with_devices`), and calibrated against that
device's events only; this device's against its own.

Residual risks: tokens of one tool are not split by account, so two Codex homes used in the
same hours calibrate together; Claude's windows also count claude.ai use that leaves no local
log, which makes tokens per percent look smaller (that is the evidence the issue asks for).
"""

from __future__ import annotations

import time
from collections import namedtuple

HOUR_MS = 3_600_000
MIN_PACE_SPAN_MS = 5 * 60_000  # a rise over less than this says more about rounding than pace
STALE_MAX_MS = HOUR_MS
FAMILY_SHARE = 0.9
RESET_MATCH_MS = 90_000  # readings of one window instance: resets this close are the same


# The value types here are namedtuples and a slots class, not dataclasses: the status line
# imports this module on every run, and `dataclasses` (with the `inspect` it loads) costs it
# more than the rest of its imports together (bench/statusline.py).


class LimitReading(namedtuple("LimitReading", [
        "tool", "window", "window_minutes", "observed_at_ms", "used_percent", "resets_at_ms",
        "reading_key", "source", "account", "plan", "last_seen_ms"], defaults=("", None, 0))):
    """One reading of a plan window's use (Codex's rate_limits, Claude Code's status line).

    `window`: "5h", "7d", or the window's length in minutes ("60"); a window whose length
    changes is another window. `account`: "" when unknown (a NULL would defeat the ledger's
    uniqueness rule). `reading_key` names the reading's content (its reset and percentage):
    the same reading seen again (Codex repeats it on every token_count line) is one row whose
    `last_seen_ms` moves; `observed_at_ms` stays the first time it was seen. `resets_at_ms`
    and `plan` may be None."""

    __slots__ = ()

    @property
    def ts_ms(self) -> int:
        return self.observed_at_ms


class Calibration(namedtuple("Calibration", [
        "family", "tokens_per_percent",
        "low",  # the estimate's bounds; one a line, as test_layering reads two level-like words
        "high",  # on one line as a second definition of the risk levels
        "usd_per_percent", "instances", "points"])):
    """Tokens per 1 % of a window for a model family ("all": every instance, one family or
    mixed), with its bounds `low`..`high` (`high` None: the rise is too small to bound it from
    above); `usd_per_percent` None when part of the tokens has no known price."""

    __slots__ = ()

    def as_json(self) -> dict:
        return {"family": self.family, "tokens_per_percent": round(self.tokens_per_percent),
                "at_least": round(self.low), "at_most": None if self.high is None else round(self.high),
                "usd_per_percent": None if self.usd_per_percent is None else round(self.usd_per_percent, 4),
                "instances": self.instances, "percent_points": round(self.points, 2)}


class WindowStatus:
    """One window's state at a moment: `used_percent` None when it reset since the last
    reading (use unknown); `state` current, stale or reset; `pace` full_at, not_before_reset
    or unknown, on `pace_basis` ("last hour", "window so far"); `device` the name of the
    device whose window this is ("" for this one), `device_id` its id in the ledger. Pace and
    calibration are filled in after."""

    __slots__ = ("tool", "account", "window", "window_minutes", "used_percent", "resets_at_ms",
                 "observed_at_ms", "last_seen_ms", "source", "plan", "state", "pace_full_at_ms",
                 "pace", "pace_basis", "percent_per_hour", "calibration", "device", "device_id")

    def __init__(self, tool: str, account: str, window: str, window_minutes: int | None,
                 used_percent: float | None, resets_at_ms: int | None, observed_at_ms: int,
                 last_seen_ms: int, source: str, plan: str | None, state: str,
                 pace_full_at_ms: int | None = None, pace: str = "unknown", pace_basis: str | None = None,
                 percent_per_hour: float | None = None, calibration: list[Calibration] | None = None,
                 device: str = "", device_id: str = "") -> None:
        self.tool, self.account, self.window, self.window_minutes = tool, account, window, window_minutes
        self.used_percent, self.resets_at_ms = used_percent, resets_at_ms
        self.observed_at_ms, self.last_seen_ms = observed_at_ms, last_seen_ms
        self.source, self.plan, self.state = source, plan, state
        self.pace_full_at_ms, self.pace, self.pace_basis = pace_full_at_ms, pace, pace_basis
        self.percent_per_hour = percent_per_hour
        self.calibration: list[Calibration] = calibration if calibration is not None else []
        self.device, self.device_id = device, device_id

    def __repr__(self) -> str:
        return (f"WindowStatus({self.tool!r}, {self.window!r}, used={self.used_percent}, state={self.state!r},"
                f" pace={self.pace!r}, device={self.device!r})")

    @property
    def tokens_per_percent(self) -> float | None:
        overall = [c for c in self.calibration if c.family == "all"]
        return overall[0].tokens_per_percent if overall else None

    def as_json(self) -> dict:
        return {
            "tool": self.tool, "account": self.account or None, "window": self.window,
            "window_minutes": self.window_minutes,
            "used_percent": self.used_percent, "resets_at": iso(self.resets_at_ms),
            "observed_at": iso(self.observed_at_ms), "last_seen_at": iso(self.last_seen_ms),
            "source": self.source, "plan": self.plan, "state": self.state,
            "pace_full_at": iso(self.pace_full_at_ms) if self.pace == "full_at" else None,
            "pace": self.pace, "pace_basis": self.pace_basis,
            "percent_per_hour": None if self.percent_per_hour is None else round(self.percent_per_hour, 3),
            "tokens_per_percent": None if self.tokens_per_percent is None else round(self.tokens_per_percent),
            "calibration": [c.as_json() for c in self.calibration if c.family != "all"],
            "device": self.device or None,
        }


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def stale_after_ms(window_minutes: int | None) -> int:
    if not window_minutes:
        return STALE_MAX_MS
    return min(STALE_MAX_MS, window_minutes * 60_000 // 5)


def same_instance(a: int | None, b: int | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= RESET_MATCH_MS


def window_states(db, now_ms: int, *, calibrate: bool = True, with_devices: bool = False) -> list[WindowStatus]:
    """Every known window's status at `now_ms`, tightest (highest use) first; this device's
    windows first, then (`with_devices`) the other devices', by device name."""
    from tokenlens.store import queries

    out = [_window_state(db, latest, now_ms, calibrate) for latest in queries.latest_limit_readings(db)]
    out.sort(key=lambda s: (s.used_percent is None, -(s.used_percent or 0.0), s.tool, s.window))
    if not with_devices:
        return out
    names = queries.device_names(db)
    others = [_window_state(db, latest, now_ms, calibrate, latest["device"], names.get(latest["device"]))
              for latest in queries.latest_device_limit_readings(db)]
    others.sort(key=lambda s: (s.device, s.used_percent is None, -(s.used_percent or 0.0), s.tool, s.window))
    return out + others


def _window_state(db, latest: dict, now_ms: int, calibrate: bool, device: str = "",
                  name: str | None = None) -> WindowStatus:
    from tokenlens.store import queries

    def history_of(since: int | None = None) -> list[dict]:
        key = (latest["tool"], latest["account"], latest["window"])
        if device:
            return queries.device_limit_readings_of(db, device, *key, since)
        return queries.limit_readings_of(db, *key, since)

    status = _status(latest, now_ms)
    status.device = (name or f"device {device[:6]}") if device else ""
    status.device_id = device
    if status.state != "reset":
        # Pace looks back an hour at most (the window-so-far rate needs no history): a 7-day
        # window's every reading would be thousands of rows on each status line.
        since = latest["observed_at_ms"] - HOUR_MS
        _add_pace(status, _instance(history_of(since), latest))
    if calibrate:
        status.calibration = calibrate_window(db, latest["tool"], history_of(), device)
    return status


def _status(latest: dict, now_ms: int) -> WindowStatus:
    resets = latest["resets_at_ms"]
    minutes = latest["window_minutes"]
    if resets is not None:
        is_reset = now_ms >= resets
    else:  # no reset time given: a window older than its length has surely rolled over
        is_reset = bool(minutes) and now_ms - latest["last_seen_ms"] >= minutes * 60_000
    if is_reset:
        state = "reset"
    elif now_ms - latest["last_seen_ms"] > stale_after_ms(minutes):
        state = "stale"
    else:
        state = "current"
    return WindowStatus(
        tool=latest["tool"], account=latest["account"], window=latest["window"], window_minutes=minutes,
        used_percent=None if is_reset else latest["used_percent"], resets_at_ms=resets,
        observed_at_ms=latest["observed_at_ms"], last_seen_ms=latest["last_seen_ms"],
        source=latest["source"], plan=latest["plan"], state=state)


def _instance(history: list[dict], latest: dict) -> list[dict]:
    """The readings of the newest reading's window instance (its reset), oldest first."""
    if latest["resets_at_ms"] is None:
        span = (latest["window_minutes"] or 0) * 60_000
        return [r for r in history if r["resets_at_ms"] is None and latest["observed_at_ms"] - r["observed_at_ms"] < span]
    return [r for r in history if same_instance(r["resets_at_ms"], latest["resets_at_ms"])]


def _add_pace(status: WindowStatus, instance: list[dict]) -> None:
    """Pace from the instance's readings: the last hour's rise, else the window's so far."""
    newest = max(instance, key=lambda r: (r["observed_at_ms"], r["used_percent"]))
    t1, p1 = newest["observed_at_ms"], newest["used_percent"]
    rate = None
    recent = [r for r in instance if t1 - HOUR_MS <= r["observed_at_ms"] <= t1 - MIN_PACE_SPAN_MS]
    if recent:
        first = recent[0]
        rate = (p1 - first["used_percent"]) / (t1 - first["observed_at_ms"])
        status.pace_basis = "last hour"
    elif status.resets_at_ms is not None and status.window_minutes:
        start = status.resets_at_ms - status.window_minutes * 60_000
        if t1 - start >= MIN_PACE_SPAN_MS:
            rate = p1 / (t1 - start)
            status.pace_basis = "window so far"
    if rate is None:
        return
    status.percent_per_hour = rate * HOUR_MS
    if p1 >= 100.0:
        status.pace, status.pace_full_at_ms = "full_at", t1
        return
    if rate <= 0:
        status.pace = "not_before_reset"
        return
    full_at = t1 + int((100.0 - p1) / rate)
    if status.resets_at_ms is not None and full_at >= status.resets_at_ms:
        status.pace = "not_before_reset"
    else:
        status.pace, status.pace_full_at_ms = "full_at", full_at


def _instances(history: list[dict]) -> list[list[dict]]:
    """The readings grouped by window instance (one reset time), each oldest first.

    Resets within RESET_MATCH_MS of a group's first are that group: looked up by buckets of
    that width (the reading's and both neighbours), not by a scan of every group."""
    groups: list[list[dict]] = []
    by_bucket: dict[int, list[int]] = {}
    for reading in history:
        reset = reading["resets_at_ms"]
        if reset is None:
            continue
        bucket = reset // RESET_MATCH_MS
        found = None
        for near in (bucket - 1, bucket, bucket + 1):
            for index in by_bucket.get(near, ()):
                if same_instance(groups[index][0]["resets_at_ms"], reset):
                    found = index
                    break
            if found is not None:
                break
        if found is None:
            groups.append([reading])
            by_bucket.setdefault(bucket, []).append(len(groups) - 1)
        else:
            groups[found].append(reading)
    return groups


def calibrate_window(db, tool: str, history: list[dict], device: str = "") -> list[Calibration]:
    """Tokens and dollars per 1 % of a window, per model family and over all ("all"), from
    the events of the device whose window it is ('' this one)."""
    from tokenlens.export.summary import model_family
    from tokenlens.store import queries

    sums: dict[str, list] = {}  # family: [tokens, cost, unpriced, points, instances]
    for group in _instances(history):
        first = group[0]
        last = max(group, key=lambda r: (r["observed_at_ms"], r["used_percent"]))
        points = last["used_percent"] - first["used_percent"]
        if points <= 0:
            continue
        per_family: dict[str, list] = {}
        for model, tokens, cost, unpriced in queries.tokens_per_model_between(
                db, tool, first["observed_at_ms"], last["observed_at_ms"], device):
            bucket = per_family.setdefault(model_family(model), [0, 0.0, 0])
            bucket[0] += tokens or 0
            bucket[1] += cost or 0.0
            bucket[2] += unpriced or 0
        total = sum(b[0] for b in per_family.values())
        if total <= 0:
            continue
        families = ["all"]
        top = max(per_family, key=lambda f: per_family[f][0])
        if per_family[top][0] >= FAMILY_SHARE * total:
            families.append(top)
        cost = sum(b[1] for b in per_family.values())
        unpriced = sum(b[2] for b in per_family.values())
        for family in families:
            acc = sums.setdefault(family, [0, 0.0, 0, 0.0, 0])
            acc[0] += total
            acc[1] += cost
            acc[2] += unpriced
            acc[3] += points
            acc[4] += 1
    out = []
    for family, (tokens, cost, unpriced, points, n) in sums.items():
        high = tokens / (points - n) if points > n else None
        out.append(Calibration(family, tokens / points, tokens / (points + n), high,
                               None if unpriced else cost / points, n, points))
    out.sort(key=lambda c: (c.family != "all", -c.tokens_per_percent))
    return out


def status_of_reading(reading, now_ms: int) -> WindowStatus:
    """A window's status from one reading alone (tokenlens.limits.LimitReading): no pace."""
    return _status({"tool": reading.tool, "account": reading.account, "window": reading.window,
                    "window_minutes": reading.window_minutes, "observed_at_ms": reading.observed_at_ms,
                    "last_seen_ms": max(reading.last_seen_ms, reading.observed_at_ms),
                    "used_percent": reading.used_percent, "resets_at_ms": reading.resets_at_ms,
                    "plan": reading.plan, "source": reading.source}, now_ms)


# ---- alerts (the tray app tells them; no Qt here) -------------------------------------------

DEFAULT_ALERT_THRESHOLDS = (80, 95)
MAX_ALERT_THRESHOLDS = 10


def alert_thresholds(value) -> tuple[int, ...]:
    """The thresholds a stored `limit_alert_thresholds` value means: a list of percentages
    1-100; anything else (unset, damaged by hand) is the defaults."""
    if isinstance(value, list) and value and all(isinstance(v, int | float) and not isinstance(v, bool)
                                                 and 0 < v <= 100 for v in value):
        return tuple(sorted({int(v) for v in value}))
    return DEFAULT_ALERT_THRESHOLDS


def parse_alert_thresholds(text: str) -> tuple[int, ...]:
    """What the person typed ("80, 95"; commas or spaces) as thresholds, sorted, once each;
    blank is the defaults. ValueError with a one-line reason for anything else."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        return DEFAULT_ALERT_THRESHOLDS
    out = set()
    for part in parts:
        number = part.removesuffix("%")
        if not number.isdigit() or not 1 <= int(number) <= 100:
            raise ValueError(f"{part!r} is not a whole percentage from 1 to 100")
        out.add(int(number))
    if len(out) > MAX_ALERT_THRESHOLDS:
        raise ValueError(f"at most {MAX_ALERT_THRESHOLDS} thresholds")
    return tuple(sorted(out))


def alert_key(status: WindowStatus, threshold: int) -> str:
    """One window instance (its reset) and one threshold: told once, whatever restarts."""
    instance = status.resets_at_ms // 60_000 if status.resets_at_ms is not None else f"t{status.observed_at_ms}"
    return f"{status.tool}|{status.account}|{status.window}|{instance}|{threshold}"


def tool_name(tool_id: str) -> str:
    """As a person reads it, from the registry ("Claude Code")."""
    from tokenlens.tools import TOOLS

    return next((t.name for t in TOOLS if t.id == tool_id), tool_id)


def window_label(status: WindowStatus) -> str:
    return f"{tool_name(status.tool)} {status.window}"


def due_alerts(states: list[WindowStatus], thresholds, told: set[str], *, at_start: bool = False,
               started_ms: int | None = None) -> list[tuple[str, str]]:
    """(key, text) of each threshold a current window has crossed and that was not told.

    Only the highest crossed threshold of a window is told (95 % says 80 % too); the lower
    ones are marked told with it. `at_start`: the first look after the app started; a crossing
    observed before `started_ms` happened while the app was not running, and says so."""
    out = []
    for status in states:
        if status.used_percent is None or status.state == "reset":
            continue
        crossed = sorted(t for t in thresholds if status.used_percent >= t)
        if not crossed or alert_key(status, crossed[-1]) in told:
            continue
        keys = [alert_key(status, t) for t in crossed]
        text = f"{window_label(status)} window at {status.used_percent:.0f}% (past {crossed[-1]}%)"
        if status.resets_at_ms is not None:
            text += f"; resets {time_of_day(status.resets_at_ms)}"
        if at_start and started_ms is not None and status.observed_at_ms < started_ms:
            text = "While tokenlens was not running: " + text
        out.append((";".join(keys), text))
    return out


def time_of_day(ms: int) -> str:
    import time

    return time.strftime("%a %H:%M", time.localtime(ms / 1000))


def tightest(states: list[WindowStatus]) -> WindowStatus | None:
    known = [s for s in states if s.used_percent is not None]
    return max(known, key=lambda s: s.used_percent) if known else None
