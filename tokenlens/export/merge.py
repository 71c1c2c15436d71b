"""`tokenlens team merge`: many devices' summaries in, aggregates only out.

The merged file has no row per device, no pseudonym, no ranking and no "top user": only the
number of contributors and, per tool and per model family, how many devices used it and the
sum, median and quartiles of their figures (privacy.md §4.4, §4.7). A cell with fewer than k
contributors is suppressed; so is the next-smallest cell whenever the suppressed ones could
otherwise be recovered by subtracting the published cells from the total, and the suppressed
cells are folded into one "below k" cell that is itself published only with k contributors.
Below k contributors in all, the result says only "not enough contributors".

Every input is validated first (size, schema, period, types); one bad file stops the merge and
is named with its reason, because silently merging the rest would change who is counted.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import orjson

from tokenlens.export import noise as rr
from tokenlens.export.summary import (
    MCP_FACT,
    METHODOLOGY,
    MONTH_RE,
    POSTURE_FACTS,
    SCHEMA,
    WEEK_RE,
    canonical_bytes,
    coarse_cost,
    coarse_tokens,
    question_epsilons,
    resolve_period,
    round_sig,
)
from tokenlens.permissions.rules import RISK_LEVELS

TEAM_SCHEMA = "tokenlens.team/1"
MAX_FILE_BYTES = 64 * 1024
MAX_FILES = 10_000
MIN_K = 3
DEFAULT_K = 5
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
DEVICE_RE = re.compile(r"^[a-z2-7]{13}$")
MAX_CELLS = 64
FACTS = (*POSTURE_FACTS, MCP_FACT)
FACT_TEXT = {
    "approve_everything_mode": "run an agent in approve-everything (bypass) mode",
    "no_sandbox_or_auto_approve": "run an agent without a sandbox or in an auto-approving mode",
    "secrets_in_agent_configs": "keep a literal secret in an agent's config",
    "unrestricted_shell": "let an agent run any shell command",
    "secret_files_allowed": "let an agent read secret files (keys, credentials)",
    "home_wide_access": "give an agent the whole home directory or more",
    "network_enabled_sandbox": "let an agent's sandbox reach the network",
    "mcp_servers_configured": "have MCP servers configured",
}
PROTECTION_NOTE = (
    "De-identified aggregate: no row per device, cells under k suppressed. Whoever received the "
    "individual files can still tell who sent each one; only this merged view is de-identified."
)
NOT_ENOUGH = "not enough contributors"


class MergeError(ValueError):
    """A bad input file or set of files; the message is one line and names the file."""


@dataclass(frozen=True)
class Contribution:
    device: str
    period: str
    mechanism: str
    epsilon: float | None
    usage: dict
    posture: dict
    source: str  # the file it came from, for error messages only


# ---- validation -----------------------------------------------------------------------------


def _is_int(v) -> bool:
    return type(v) is int and v >= 0


def _is_number(v) -> bool:
    return type(v) in (int, float) and math.isfinite(v) and v >= 0


def _require(ok: bool, why: str) -> None:
    if not ok:
        raise ValueError(why)


def _keys(obj, required: set[str], name: str) -> None:
    _require(isinstance(obj, dict), f"{name} must be an object")
    missing, extra = required - obj.keys(), obj.keys() - required
    _require(not missing, f"{name} lacks {', '.join(sorted(missing))}")
    _require(not extra, f"{name} has unexpected {', '.join(sorted(extra))}")


def _cells(obj, name: str) -> dict:
    _require(isinstance(obj, dict) and len(obj) <= MAX_CELLS, f"{name} must be an object of at most {MAX_CELLS} entries")
    for key, cell in obj.items():
        _require(bool(NAME_RE.match(key)), f"{name} has a malformed name")
        _keys(cell, {"total_tokens", "cost_usd"}, f"{name}.{key}")
        _require(_is_int(cell["total_tokens"]), f"{name}.{key}.total_tokens must be a non-negative integer")
        _require(_is_number(cell["cost_usd"]), f"{name}.{key}.cost_usd must be a non-negative number")
    return obj


def _validate(doc, source: str) -> Contribution:
    _keys(doc, {"schema", "period", "device", "app_version", "methodology", "privacy", "usage", "posture"}, "summary")
    _require(doc["schema"] == SCHEMA, f"schema is {doc['schema']!r}, expected {SCHEMA!r}")
    period = doc["period"]
    _require(isinstance(period, str) and bool(WEEK_RE.match(period) or MONTH_RE.match(period)), "period must be YYYY-Www or YYYY-MM")
    resolve_period(period, today=_any_day())  # raises for W54, month 13...
    kind = "week" if WEEK_RE.match(period) else "month"
    _require(isinstance(doc["device"], str) and bool(DEVICE_RE.match(doc["device"])), "device pseudonym is malformed")
    _require(isinstance(doc["app_version"], str) and len(doc["app_version"]) <= 40, "app_version must be a short string")
    _require(isinstance(doc["methodology"], str) and len(doc["methodology"]) <= 500, "methodology must be a short string")

    privacy = doc["privacy"]
    _require(isinstance(privacy, dict), "privacy must be an object")
    mechanism = privacy.get("mechanism")
    if mechanism == "none":
        _keys(privacy, {"mechanism"}, "privacy")
        epsilon = None
        usage = _validate_exact_usage(doc["usage"])
    elif mechanism == "randomized-response":
        _keys(privacy, {"mechanism", "epsilon", "truth_probability"}, "privacy")
        epsilon = privacy["epsilon"]
        _require(epsilon in rr.PRESETS.values() and type(epsilon) is float, "privacy.epsilon is not a known preset")
        chances = privacy["truth_probability"]
        _require(isinstance(chances, dict) and len(chances) <= MAX_CELLS, "privacy.truth_probability must be an object")
        _require(all(_is_number(v) and v <= 1 for v in chances.values()), "privacy.truth_probability must hold probabilities")
        usage = _validate_banded_usage(doc["usage"], kind)
    else:
        raise ValueError("privacy.mechanism must be 'none' or 'randomized-response'")
    posture = _validate_posture(doc["posture"], noisy=epsilon is not None)
    return Contribution(doc["device"], period, mechanism, epsilon, usage, posture, source)


def _validate_exact_usage(usage) -> dict:
    _keys(usage, {"total_tokens", "cost_usd", "cache_share", "active_days", "tools", "families"}, "usage")
    _require(_is_int(usage["total_tokens"]), "usage.total_tokens must be a non-negative integer")
    _require(_is_number(usage["cost_usd"]), "usage.cost_usd must be a non-negative number")
    _require(_is_number(usage["cache_share"]) and usage["cache_share"] <= 1, "usage.cache_share must be between 0 and 1")
    _require(_is_int(usage["active_days"]) and usage["active_days"] <= 31, "usage.active_days must be 0..31")
    _cells(usage["tools"], "usage.tools")
    _cells(usage["families"], "usage.families")
    return usage


def _validate_banded_usage(usage, kind: str) -> dict:
    _keys(usage, {"token_band", "cost_band"}, "usage")
    _require(usage["token_band"] in rr.band_labels(kind, "tokens"), "usage.token_band is not a known band")
    _require(usage["cost_band"] in rr.band_labels(kind, "cost"), "usage.cost_band is not a known band")
    return usage


def _validate_posture(posture, noisy: bool) -> dict:
    _require(isinstance(posture, dict) and type(posture.get("scanned")) is bool, "posture.scanned must be true or false")
    if not posture["scanned"]:
        _keys(posture, {"scanned"}, "posture")
        return posture
    _keys(posture, {"scanned", "facts"} if noisy else {"scanned", "facts", "risk_counts"}, "posture")
    facts = posture["facts"]
    _require(isinstance(facts, dict) and set(facts) <= set(FACTS), "posture.facts has unknown facts")
    _require(not noisy or set(facts) == set(FACTS), "posture.facts must answer every question when noise is on")
    _require(all(type(v) is bool for v in facts.values()), "posture.facts must be true or false")
    if not noisy:
        counts = posture["risk_counts"]
        _require(isinstance(counts, dict) and set(counts) <= set(RISK_LEVELS), "posture.risk_counts has unknown levels")
        _require(all(_is_int(v) for v in counts.values()), "posture.risk_counts must be non-negative integers")
    return posture


def _any_day():
    from datetime import date

    return date(2000, 1, 1)


def load_summary(path: Path) -> Contribution:
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MergeError(f"{name}: too large ({size} bytes; a summary is under {MAX_FILE_BYTES // 1024} KiB)")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise MergeError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise MergeError(f"{name}: too large (a summary is under {MAX_FILE_BYTES // 1024} KiB)")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise MergeError(f"{name}: not a JSON document") from None
    try:
        return _validate(doc, name)
    except (ValueError, TypeError) as exc:
        raise MergeError(f"{name}: not a valid {SCHEMA} summary: {exc}") from None


def load_all(paths: list[Path]) -> tuple[list[Contribution], int]:
    """Valid contributions (one per device, a later file replacing an earlier one) and how
    many were replaced. Raises MergeError naming every bad file, one per line."""
    if not paths:
        raise MergeError("no summary files given")
    if len(paths) > MAX_FILES:
        raise MergeError(f"too many files ({len(paths)}; at most {MAX_FILES})")
    loaded, errors = [], []
    for path in paths:
        try:
            loaded.append(load_summary(Path(path)))
        except MergeError as exc:
            errors.append(str(exc))
    if errors:
        raise MergeError("\n".join(errors))
    periods = sorted({c.period for c in loaded})
    if len(periods) > 1:
        counts = ", ".join(f"{p} ({sum(c.period == p for c in loaded)} files)" for p in periods)
        raise MergeError(f"files cover different periods: {counts}; merge one period at a time")
    settings = sorted({(c.mechanism, c.epsilon or 0.0) for c in loaded})
    if len(settings) > 1:
        raise MergeError("files mix privacy settings (noise on and off, or different epsilon); merge like with like")
    by_device: dict[str, Contribution] = {}
    for contribution in loaded:
        by_device[contribution.device] = contribution  # a re-sent file replaces the earlier one
    return list(by_device.values()), len(loaded) - len(by_device)


# ---- aggregation ---------------------------------------------------------------------------


def _spread(values: list[float], coarsen) -> dict:
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = median = q3 = ordered[0]
    return {"sum": coarsen(sum(ordered)), "median": coarsen(median), "q1": coarsen(q1), "q3": coarsen(q3)}


def _cell_stats(rows: list[dict]) -> dict:
    return {
        "contributors": len(rows),
        "total_tokens": _spread([r["total_tokens"] for r in rows], coarse_tokens),
        "cost_usd": _spread([r["cost_usd"] for r in rows], coarse_cost),
    }


def suppress(cells: dict[str, list[str]], k: int) -> set[str]:
    """Names of cells to hide: each with < k contributors, plus the next-smallest cells until
    the hidden ones together cover >= k distinct contributors (else total minus the published
    cells would give the hidden ones' sum)."""
    hidden = {name for name, devices in cells.items() if len(devices) < k}

    def covered() -> int:
        return len(set().union(*(cells[n] for n in hidden))) if hidden else 0

    while hidden and covered() < k:
        shown = [n for n in cells if n not in hidden]
        if not shown:
            break
        hidden.add(min(shown, key=lambda n: (len(cells[n]), n)))
    return hidden


def _dimension(contributions: list[Contribution], dim: str, k: int) -> tuple[dict, dict]:
    rows: dict[str, list[tuple[str, dict]]] = {}
    for c in contributions:
        for name, cell in c.usage[dim].items():
            if cell["total_tokens"] > 0 or cell["cost_usd"] > 0:
                rows.setdefault(name, []).append((c.device, cell))
    hidden = suppress({name: [d for d, _ in pairs] for name, pairs in rows.items()}, k)
    shown = {name: _cell_stats([cell for _, cell in rows[name]]) for name in sorted(rows) if name not in hidden}
    folded_by_device: dict[str, dict] = {}
    for name in hidden:
        for device, cell in rows[name]:
            acc = folded_by_device.setdefault(device, {"total_tokens": 0, "cost_usd": 0.0})
            acc["total_tokens"] += cell["total_tokens"]
            acc["cost_usd"] += cell["cost_usd"]
    if not hidden:
        folded = {"cells": 0}
    elif len(folded_by_device) >= k:
        folded = {"cells": len(hidden), **_cell_stats(list(folded_by_device.values()))}
    else:
        folded = {"cells": len(hidden), "suppressed": True}
    return shown, folded


def _posture(contributions: list[Contribution], k: int, noisy: bool, mechanisms: dict | None = None) -> dict:
    scanned = [c for c in contributions if c.posture["scanned"]]
    if len(scanned) < k:
        return {"suppressed": True, "reason": f"fewer than {k} devices reported a permissions scan"}
    out: dict = {"devices_scanned": len(scanned), "facts": {}}
    for fact in FACTS:
        answers = [c.posture["facts"][fact] for c in scanned if fact in c.posture["facts"]]
        if len(answers) < k:
            continue
        yes = sum(answers)
        if noisy:
            mech = mechanisms[f"posture.{fact}"]
            estimate = mech.estimate([len(answers) - yes, yes])[1]
            yes = min(len(answers), max(0, round(estimate)))
            text = f"about {yes} of {len(answers)} devices {FACT_TEXT[fact]} (estimated from noisy answers)"
        else:
            text = f"{yes} of {len(answers)} devices {FACT_TEXT[fact]}"
        out["facts"][fact] = {"yes": yes, "of": len(answers), "text": text}
    if not noisy:
        out["risk_levels"] = {}
        for level in RISK_LEVELS:
            counts = [c.posture["risk_counts"].get(level, 0) for c in scanned]
            out["risk_levels"][level] = {
                "devices_with_any": sum(1 for n in counts if n > 0),
                "of": len(scanned),
                "grants_total": sum(counts),
            }
    return out


def merge(contributions: list[Contribution], k: int = DEFAULT_K, replaced: int = 0) -> dict:
    if k < MIN_K:
        raise MergeError(f"--k must be at least {MIN_K}")
    if not contributions:
        raise MergeError("no summaries to merge")
    period = contributions[0].period
    head = {"schema": TEAM_SCHEMA, "period": period, "k": k, "note": PROTECTION_NOTE, "methodology": METHODOLOGY}
    if len(contributions) < k:
        return {**head, "status": NOT_ENOUGH}
    head.update(status="ok", contributors=len(contributions), files_replaced_by_resend=replaced)
    if contributions[0].epsilon is not None:
        return {**head, **_merge_noisy(contributions, k)}
    usage = [c.usage for c in contributions]
    tools, tools_folded = _dimension(contributions, "tools", k)
    families, families_folded = _dimension(contributions, "families", k)
    return {
        **head,
        "privacy": {"mechanism": "none"},
        "usage": {
            "total_tokens": _spread([u["total_tokens"] for u in usage], coarse_tokens),
            "cost_usd": _spread([u["cost_usd"] for u in usage], coarse_cost),
            "cache_share": _without_sum(_spread([u["cache_share"] for u in usage], lambda v: round(v, 2))),
            "active_days": _without_sum(_spread([u["active_days"] for u in usage], lambda v: round_sig(v))),
            "tools": tools,
            "tools_below_k": tools_folded,
            "families": families,
            "families_below_k": families_folded,
        },
        "posture": _posture(contributions, k, noisy=False),
    }


def _without_sum(spread: dict) -> dict:
    spread.pop("sum")
    return spread


def _merge_noisy(contributions: list[Contribution], k: int) -> dict:
    kind = "week" if WEEK_RE.match(contributions[0].period) else "month"
    epsilon = contributions[0].epsilon
    shares = question_epsilons(epsilon)
    n = len(contributions)
    bands = {}
    for field, which in (("token_band", "tokens"), ("cost_band", "cost")):
        labels = rr.band_labels(kind, which)
        mech = rr.RandomizedResponse.for_epsilon(shares[field], len(labels))
        counts = [sum(c.usage[field] == label for c in contributions) for label in labels]
        estimates = mech.estimate(counts)
        worst = max(mech.p_truth * (1 - mech.p_truth), mech.p_other * (1 - mech.p_other))
        bands[field] = {
            "estimated_devices": {label: min(n, max(0, round(e))) for label, e in zip(labels, estimates, strict=True)},
            "plus_minus": round(math.sqrt(n * worst) / (mech.p_truth - mech.p_other), 1),
        }
    mechanisms = {f"posture.{fact}": rr.RandomizedResponse.for_epsilon(shares[f"posture.{fact}"], 2) for fact in FACTS}
    return {
        "privacy": {
            "mechanism": "randomized-response",
            "epsilon": epsilon,
            "note": "Each device's answers are randomized; counts are unbiased estimates, give or take plus_minus.",
        },
        "usage": bands,
        "posture": _posture(contributions, k, noisy=True, mechanisms=mechanisms),
    }


def merge_files(paths: list[Path], k: int = DEFAULT_K) -> bytes:
    contributions, replaced = load_all(paths)
    return canonical_bytes(merge(contributions, k, replaced))
