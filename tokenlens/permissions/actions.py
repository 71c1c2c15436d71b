"""What agents did, from the ledger's actions table: the Permissions tab's panel and report.
The classifying itself is tokenlens.actions (tool-independent) and each tool's actions.py."""

from __future__ import annotations

from datetime import UTC, datetime

from tokenlens.store import queries

# ---- the actions panel / report ---------------------------------------------------------


def daily_counts(db, days: int = 30, now_ms: int | None = None) -> list[dict]:
    """Per UTC day and category: calls, risky ones, and risky ones run without approval."""
    import time

    now = now_ms if now_ms is not None else int(time.time() * 1000)
    since = now - days * 86_400_000
    rows = queries.action_counts_per_day(db, since)
    return [
        {"day": datetime.fromtimestamp(day * 86400, tz=UTC).strftime("%Y-%m-%d"), "tool": tool, "category": category,
         "count": n, "risky": risky or 0, "risky_unattended": unattended or 0}
        for day, tool, category, n, risky, unattended in rows
    ]


def totals(db, days: int = 30, now_ms: int | None = None) -> dict[str, dict[str, int]]:
    """Per category over the window: {"shell": {"count": n, "risky": n, "risky_unattended": n}, ...}."""
    out: dict[str, dict[str, int]] = {}
    for row in daily_counts(db, days, now_ms):
        bucket = out.setdefault(row["category"], {"count": 0, "risky": 0, "risky_unattended": 0})
        for key in bucket:
            bucket[key] += row[key]
    return out
