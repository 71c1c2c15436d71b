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


def cli_daily(data_dir, home, tool: str, tz: str, **environ: str) -> dict[str, dict]:
    """`tokenlens report daily --tool <tool> --tz <tz> --json` (it scans first) with only this
    HOME and `environ`: {local day: its row}."""
    import json
    import os

    from click.testing import CliRunner

    from tokenlens.cli import cli

    # Only this home: no tool env var of the machine running the tests may leak in.
    env = {name: None for name in os.environ} | {"HOME": str(home), "PATH": os.environ.get("PATH", "")} | environ
    result = CliRunner(env=env).invoke(cli, ["--data-dir", str(data_dir), "report", "daily", "--tool", tool,
                                             "--tz", tz, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {row["period"]: row for row in json.loads(result.stdout)["rows"]}
