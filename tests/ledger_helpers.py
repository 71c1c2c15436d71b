"""Small shared steps of the per-tool tests: scan one source, read its totals and events."""

from __future__ import annotations

from tokenlens.ingest import SourceScan, scan
from tokenlens.reports import build_report
from tokenlens.tools.source import Source


def scan_tool(db, env, source: Source) -> SourceScan:
    return scan(db, env, [source]).sources[source.id]


def tool_totals(db, tool: str) -> dict:
    return build_report(db, "daily", tz="UTC", tool=tool).totals


def tool_event_count(db, tool: str) -> int:
    return db.execute("SELECT COUNT(*) FROM events WHERE tool = ?", [tool]).fetchone()[0]
