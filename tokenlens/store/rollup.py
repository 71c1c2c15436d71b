"""The quarter-hour rollup that calendar reports read instead of every event.

`rollup` holds token sums per UTC quarter-hour, tool, model and project: any zone's local
day is a whole number of quarter-hours (every UTC offset in use is a multiple of 15 minutes).

Keeping it exact: triggers on `events` (store/schema.py) note which quarter-hours changed in
`rollup_dirty`, and whoever writes events re-sums those quarter-hours from the events before
committing (`resum`). A trigger that updated the sums itself cost more than the insert it
followed, once per row; the note is one small insert, and the re-sum runs once per batch.
A reader finding notes left behind (events changed by some other hand) reads the events.
"""

from __future__ import annotations

from tokenlens.store.ledger import QUARTER_MS, Ledger

# (rollup column, expression over an events row `{r}`)
ROLLUP_SUMS = (
    ("input_tokens", "input_tokens"),
    ("cache_read_tokens", "cache_read_tokens"),
    ("cache_write_tokens", "cache_write_5m_tokens + {r}.cache_write_1h_tokens"),
    ("output_tokens", "output_tokens"),
    ("reasoning_tokens", "reasoning_tokens"),
    ("total_tokens", "total_tokens"),
    ("cost_usd", "COALESCE({r}.cost_usd, 0.0)"),
    # Events with tokens but no price (an unknown model): cost_usd above counts them as 0.
    ("unpriced_events", "({r}.cost_usd IS NULL AND {r}.total_tokens > 0)"),
)


def rollup_value(expr: str, row: str) -> str:
    expr = expr.format(r=row)
    return expr if "(" in expr else f"{row}.{expr}"


SUMS_OF_EVENTS = ", ".join(f"SUM({rollup_value(expr, 'e')})" for _, expr in ROLLUP_SUMS)

RESUM_SQL = (
    "DELETE FROM rollup WHERE bucket IN (SELECT bucket FROM rollup_dirty)",
    f"INSERT INTO rollup SELECT e.ts_ms / {QUARTER_MS}, e.tool, e.model, e.project, COUNT(*), {SUMS_OF_EVENTS}"
    f" FROM rollup_dirty d JOIN events e ON e.ts_ms >= d.bucket * {QUARTER_MS}"
    f" AND e.ts_ms < (d.bucket + 1) * {QUARTER_MS} GROUP BY 1, 2, 3, 4",
    "DELETE FROM rollup_dirty",
)


def resum(db: Ledger) -> None:
    """Re-sum the quarter-hours whose events changed. Call inside the writing transaction."""
    for sql in RESUM_SQL:
        db.execute(sql)


def is_exact(db: Ledger) -> bool:
    return db.execute("SELECT NOT EXISTS (SELECT 1 FROM rollup_dirty)").fetchone()[0] == 1
