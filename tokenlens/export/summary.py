"""The anonymized summary of one period (`"schema": "tokenlens.summary/1"`), built from the ledger.

What goes in is decided by a whitelist, not by scrubbing: figures come out of SQL aggregates
(tokenlens.reports), tool ids from the fixed list of sources, model names are mapped onto a
fixed set of families (anything else is "other"), and posture is reduced to yes/no facts and
counts per risk level. So no project, path, session id, host, user, e-mail, model version or
timestamp can reach the file even if a log or a config holds one. Numbers are rounded to two
significant digits; the only time granularity is the period itself.

The bytes are canonical (sorted keys, fixed indent, trailing newline): the preview shows
exactly what a save writes.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import orjson

from tokenlens import __version__
from tokenlens.export import noise as rr
from tokenlens.export.keys import DeviceKey, load_device_key, pseudonym
from tokenlens.permissions.rules import RISK_LEVELS
from tokenlens.store import queries, writes
from tokenlens.store.ledger import Ledger

SCHEMA = "tokenlens.summary/1"
METHODOLOGY = (
    "Estimates from this device's local AI tool logs at list prices, not billing; "
    "figures rounded to 2 significant digits."
)
# With --all-devices: the file says so (team merge takes any short methodology text).
METHODOLOGY_ALL_DEVICES = (
    "Estimates from the local AI tool logs of all of this person's devices (synced through their own "
    "folder) at list prices, not billing; figures rounded to 2 significant digits."
)
# Yes/no posture facts and the risk rules (tokenlens.permissions.rules) that make each true.
POSTURE_FACTS = {
    "approve_everything_mode": ("MODE-1",),
    "no_sandbox_or_auto_approve": ("MODE-2", "SBX-2"),
    "unrestricted_shell": ("SHELL-1",),
    "secret_files_allowed": ("FILE-1",),
    "home_wide_access": ("FILE-3", "TRUST-1"),
    "network_enabled_sandbox": ("NET-1", "NET-2"),
    "secrets_in_agent_configs": ("MCP-1", "SECRET-1"),
}
MCP_FACT = "mcp_servers_configured"
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class ExportError(ValueError):
    """A bad export request (period, path); the message is one line for the person."""


# ---- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    label: str  # "2026-W38" or "2026-09"
    kind: str  # "week" or "month"
    first: date
    last: date


def resolve_period(value: str, today: date) -> Period:
    value = (value or "").strip()
    if value == "last-week":
        monday = today - timedelta(days=today.weekday() + 7)
        return _week(monday)
    if value == "last-month":
        first_this = today.replace(day=1)
        return _month((first_this - timedelta(days=1)).replace(day=1))
    if m := WEEK_RE.match(value):
        try:
            return _week(date.fromisocalendar(int(m[1]), int(m[2]), 1))
        except ValueError:
            raise ExportError(f"{value!r} is not an ISO week of that year") from None
    if m := MONTH_RE.match(value):
        try:
            return _month(date(int(m[1]), int(m[2]), 1))
        except ValueError:
            raise ExportError(f"{value!r} is not a month") from None
    raise ExportError(f"period must be last-week, last-month, YYYY-Www or YYYY-MM, not {value!r}")


def _week(monday: date) -> Period:
    year, week, _ = monday.isocalendar()
    return Period(f"{year}-W{week:02d}", "week", monday, monday + timedelta(days=6))


def _month(first: date) -> Period:
    nxt = (first + timedelta(days=32)).replace(day=1)
    return Period(f"{first.year}-{first.month:02d}", "month", first, nxt - timedelta(days=1))


# ---- coarsening -----------------------------------------------------------------------------


def round_sig(value: float, digits: int = 2) -> float:
    """Round to `digits` significant digits, halves up (1234567 -> 1200000, 20500 -> 21000,
    0.01234 -> 0.012). Decimal, so a float's binary tail cannot tip a tie either way."""
    if not value or not math.isfinite(value):
        return 0.0
    exact = Decimal(repr(value))
    exponent = exact.adjusted() - (digits - 1)
    return float(exact.scaleb(-exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP).scaleb(exponent))


def coarse_tokens(value: int) -> int:
    return int(round_sig(value))


def coarse_cost(value: float) -> float:
    return round_sig(value)


# Ordered: the first pattern that matches names the family. Anything else is "other", so a
# custom or fine-tuned model's name (which may name a company or person) never leaves.
_FAMILIES = (
    (re.compile(r"claude.*opus|opus"), "claude-opus"),
    (re.compile(r"claude.*sonnet|sonnet"), "claude-sonnet"),
    (re.compile(r"claude.*haiku|haiku"), "claude-haiku"),
    (re.compile(r"^claude"), "claude-other"),
    (re.compile(r"^gpt-?5"), "gpt-5"),
    (re.compile(r"^gpt-?4"), "gpt-4"),
    (re.compile(r"^o\d"), "openai-o"),
    (re.compile(r"codex"), "gpt-codex"),
    (re.compile(r"^gemini.*pro"), "gemini-pro"),
    (re.compile(r"^gemini.*flash"), "gemini-flash"),
    (re.compile(r"^gemini"), "gemini-other"),
    (re.compile(r"^qwen"), "qwen"),
    (re.compile(r"^deepseek"), "deepseek"),
    (re.compile(r"^grok"), "grok"),
    (re.compile(r"^glm"), "glm"),
    (re.compile(r"^kimi"), "kimi"),
    (re.compile(r"^(mistral|codestral|devstral|magistral)"), "mistral"),
    (re.compile(r"^llama"), "llama"),
)


def model_family(model: str) -> str:
    """'claude-sonnet-4-5-20250929' -> 'claude-sonnet', 'gpt-5.2-codex' -> 'gpt-5'."""
    name = (model or "").strip().lower()
    name = name.rsplit("/", 1)[-1]  # provider prefixes: anthropic/..., openrouter/x/...
    name = re.sub(r"^(us|eu|apac|global)\.(anthropic\.)?|^anthropic\.", "", name)  # Bedrock ids
    for pattern, family in _FAMILIES:
        if pattern.search(name):
            return family
    return "other"


# ---- figures from the ledger ---------------------------------------------------------------


def usage_figures(db: Ledger, period: Period, tz: str | None, all_devices: bool = False) -> dict:
    """Exact sums for the period (bucketed in `tz` by tokenlens.reports), before coarsening."""
    from tokenlens.reports import build_report
    from tokenlens.store.queries import has_imported_events

    kind = "weekly" if period.kind == "week" else "monthly"
    since, until = period.first.isoformat(), period.last.isoformat()
    # A summary is this device's: events other devices brought through a synced folder
    # (tokenlens/sync/) are theirs to export.
    own = ("",) if not all_devices and has_imported_events(db) else ()
    by_tool = build_report(db, kind, tz=tz, since=since, until=until, by="tool", devices=own)
    tools: dict[str, dict] = {}
    families: dict[str, dict] = {}
    for row in by_tool.rows:
        tool = tools.setdefault(row["group"], {"total_tokens": 0, "cost_usd": 0.0})
        tool["total_tokens"] += row["total_tokens"]
        tool["cost_usd"] += row["cost_usd_known"]  # the priced part, as the export always counted
        for part in by_tool.breakdown[by_tool.key_of(row)]:
            family = families.setdefault(model_family(part["model"]), {"total_tokens": 0, "cost_usd": 0.0})
            family["total_tokens"] += part["total_tokens"]
            family["cost_usd"] += part["cost_usd_known"]
    totals = by_tool.totals
    all_input = totals["input_tokens"] + totals["cache_read_tokens"] + totals["cache_write_tokens"]
    daily = build_report(db, "daily", tz=tz, since=since, until=until, devices=own)
    return {
        "total_tokens": totals["total_tokens"],
        "cost_usd": totals["cost_usd_known"],
        "cache_share": totals["cache_read_tokens"] / all_input if all_input else 0.0,
        "active_days": sum(1 for row in daily.rows if row["total_tokens"] > 0),
        "tools": {t: v for t, v in tools.items() if v["total_tokens"] > 0},
        "families": {f: v for f, v in families.items() if v["total_tokens"] > 0},
    }


def coarse_usage(figures: dict) -> dict:
    def cell(v: dict) -> dict:
        return {"total_tokens": coarse_tokens(v["total_tokens"]), "cost_usd": coarse_cost(v["cost_usd"])}

    return {
        "total_tokens": coarse_tokens(figures["total_tokens"]),
        "cost_usd": coarse_cost(figures["cost_usd"]),
        "cache_share": round(figures["cache_share"], 2),
        "active_days": figures["active_days"],
        "tools": {t: cell(v) for t, v in figures["tools"].items()},
        "families": {f: cell(v) for f, v in figures["families"].items()},
    }


# ---- permission posture --------------------------------------------------------------------


def posture_summary(db: Ledger) -> dict:
    """Yes/no facts and counts per risk level from the latest permissions snapshot, or
    `{"scanned": false}` when there is none yet. An error reading the snapshots propagates:
    "not scanned" would be a false statement in the exported file.
    Only rule ids, risk levels and grant kinds are looked at: never a path, subject or value."""
    from tokenlens.permissions.snapshots import latest

    snapshot = latest(db)
    if snapshot.scan_id is None:
        return {"scanned": False}
    grants = [(str(g.rule or ""), str(g.risk or ""), str(g.kind or "")) for g in snapshot.grants]
    return {"scanned": True, "facts": posture_facts(grants), "risk_counts": risk_counts(grants)}


def posture_facts(grants: list[tuple[str, str, str]]) -> dict[str, bool]:
    rules = {rule for rule, _, _ in grants}
    facts = {name: any(r in rules for r in ids) for name, ids in POSTURE_FACTS.items()}
    facts[MCP_FACT] = any(kind == "mcp_server" or rule.startswith("MCP-") for rule, _, kind in grants)
    return facts


def risk_counts(grants: list[tuple[str, str, str]]) -> dict[str, int]:
    counts = dict.fromkeys(RISK_LEVELS, 0)
    for _, risk, _ in grants:
        if risk in counts:
            counts[risk] += 1
    return counts


# ---- the document ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    period: Period
    document: dict
    data: bytes  # the exact bytes a save writes
    key: DeviceKey
    noise_epsilon: float | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def canonical_bytes(document: dict) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def build_summary(
    db: Ledger,
    data_dir: Path,
    period: str = "last-week",
    *,
    tz: str | None = None,
    noise: str | None = None,
    today: date | None = None,
    key: DeviceKey | None = None,
    key_file_ok: bool = True,
    all_devices: bool = False,
) -> Summary:
    from tokenlens.reports import ReportError, get_zone

    try:
        zone = get_zone(tz)
    except ReportError as exc:
        raise ExportError(str(exc)) from None
    if noise is not None and noise not in rr.PRESETS:
        raise ExportError(f"noise must be one of {', '.join(rr.PRESETS)}, not {noise!r}")
    resolved = resolve_period(period, today or datetime.now(zone).date())
    key = key or load_device_key(data_dir, file_ok=key_file_ok)
    figures = usage_figures(db, resolved, zone.key, all_devices)
    posture = posture_summary(db)
    document = {
        "schema": SCHEMA,
        "period": resolved.label,
        "device": pseudonym(key.secret, resolved.label),
        "app_version": __version__,
        "methodology": METHODOLOGY_ALL_DEVICES if all_devices else METHODOLOGY,
    }
    epsilon = rr.PRESETS[noise] if noise else None
    if epsilon is None:
        document["privacy"] = {"mechanism": "none"}
        document["usage"] = coarse_usage(figures)
        document["posture"] = posture
    else:
        document.update(_noisy_parts(key.secret, resolved, figures, posture, epsilon))
    return Summary(resolved, document, canonical_bytes(document), key, epsilon)


def question_epsilons(epsilon: float) -> dict[str, float]:
    """How a file's budget ε is split over its randomized answers (sequential composition:
    the shares add up to ε). Half goes to the two usage bands, half to the posture facts;
    the split is fixed, scanned or not, so every file of one setting uses the same mechanisms
    and the team merge can invert them."""
    facts = (*POSTURE_FACTS, MCP_FACT)
    shares = {"token_band": epsilon / 4, "cost_band": epsilon / 4}
    shares.update({f"posture.{name}": epsilon / 2 / len(facts) for name in facts})
    return shares


def _noisy_parts(secret: bytes, period: Period, figures: dict, posture: dict, epsilon: float) -> dict:
    """Only banded totals and yes/no facts, each a randomized answer, so the whole file is
    ε-locally differentially private; per-tool figures, cache share and active days are left
    out (each would need its own share of the budget)."""
    truths = {
        "token_band": (rr.band_index(figures["total_tokens"], period.kind, "tokens"), 5),
        "cost_band": (rr.band_index(figures["cost_usd"], period.kind, "cost"), 5),
    }
    if posture["scanned"]:
        truths.update({f"posture.{name}": (int(value), 2) for name, value in posture["facts"].items()})
    answers: dict[str, int] = {}
    truth_chance: dict[str, float] = {}
    for field, share in question_epsilons(epsilon).items():
        if field not in truths:
            continue
        truth, k = truths[field]
        mechanism = rr.RandomizedResponse.for_epsilon(share, k)
        draw = rr.keyed_randbelow(secret, f"{period.label}/{field}/{truth}/{epsilon}")
        answers[field] = mechanism.respond(truth, draw)
        truth_chance[field] = round(mechanism.p_truth, 4)
    tokens = rr.band_labels(period.kind, "tokens")
    costs = rr.band_labels(period.kind, "cost")
    parts = {
        "privacy": {"mechanism": "randomized-response", "epsilon": epsilon, "truth_probability": truth_chance},
        "usage": {"token_band": tokens[answers["token_band"]], "cost_band": costs[answers["cost_band"]]},
        "posture": {"scanned": posture["scanned"]},
    }
    if posture["scanned"]:
        parts["posture"]["facts"] = {
            field.split(".", 1)[1]: bool(value) for field, value in answers.items() if field.startswith("posture.")
        }
    return parts


# ---- writing and the export log -------------------------------------------------------------


def write_summary(path: Path, data: bytes) -> None:
    """Write exactly `data` to `path`, readable only by its owner; nothing else is created."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a directory")
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            if stat.S_IMODE(os.fstat(fh.fileno()).st_mode) != 0o600:
                os.fchmod(fh.fileno(), 0o600)
            fh.write(data)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def log_export(db: Ledger, summary: Summary) -> None:
    with db.conn:
        writes.log_export(db, int(time.time() * 1000), summary.period.label, summary.sha256, summary.noise_epsilon)


def export_history(db: Ledger, limit: int = 100) -> list[dict]:
    return [
        {"ts_ms": ts, "period": period, "sha256": sha, "noise_epsilon": eps}
        for ts, period, sha, eps in queries.export_log(db, limit)
    ]


def epsilon_spent(db: Ledger, period: str) -> float:
    """Privacy budget spent on a period: identical files repeat answers and cost nothing."""
    rows = queries.epsilon_per_distinct_export(db, period)
    return float(sum(eps for _, eps in rows))
