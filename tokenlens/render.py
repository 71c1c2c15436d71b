"""Readable terminal output with rich. Imported only when a command prints a table."""

from __future__ import annotations

import os
import re

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tokenlens.reports import Report

console = Console()
if not console.is_terminal and not os.environ.get("COLUMNS"):
    # Piped output (less, files, CI logs) gets the full table rather than 80 truncated columns;
    # a width the person sets (COLUMNS) is kept.
    console = Console(width=160)

TOKEN_COLUMNS = (
    ("Input", "input_tokens"),
    ("Cache read", "cache_read_tokens"),
    ("Cache write", "cache_write_tokens"),
    ("Output", "output_tokens"),
    ("Total", "total_tokens"),
)


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_compact(value: int) -> str:
    """A token count in at most 7 characters, for narrow terminals (1,234 · 370.5k · 1.49M)."""
    if value < 10_000:
        return f"{value:,}"
    if value < 1_000_000:
        return f"{value / 1000:.1f}k"
    if value < 1_000_000_000:
        return f"{value / 1e6:.2f}M"
    return f"{value / 1e9:.2f}B"


SHORT_LABELS = {"Input": "In", "Cache read": "Cache rd", "Cache write": "Cache wr", "Output": "Out"}
# Below this width every digit does not fit: counts are shortened (never cut off mid-number).
FULL_DIGITS_WIDTH = 110


def fmt_cost(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def _local_minute(iso: str) -> str:
    """A block's start or end (ISO 8601 in the report's zone) as `YYYY-MM-DD HH:MM`."""
    return iso[:16].replace("T", " ")


def _period_columns(report: Report) -> list[str]:
    if report.kind == "blocks":
        return ["Block start", "End"]
    if report.kind == "session":
        return ["Session", "Project", "Start", "Length"]
    return ["Period"]


def fmt_duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _session_start(iso_utc: str, zone_name: str) -> str:
    """A session's start (UTC, `...Z`) in the report's zone, as `YYYY-MM-DD HH:MM`."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M")


def _period_cells(report: Report, row: dict) -> list[str]:
    if report.kind == "blocks":
        start, end = _local_minute(row["start"]), _local_minute(row["end"])
        end = end[11:] if end[:10] == start[:10] else end  # the same day: the time says it
        return [start, f"{end} (active)" if row.get("active") else end]
    if report.kind == "session":
        return [row["period"] or "(no session id)", row.get("project") or "—",
                _session_start(row["start"], report.tz), fmt_duration(row["duration_seconds"])]
    return [row["period"]]


# Dropped first when a terminal is too narrow for every column (Total and Cost stay).
DROP_ORDER = ("cache_write_tokens", "cache_read_tokens", "input_tokens", "output_tokens")


def print_report(report: Report) -> None:
    if not report.rows:
        console.print("No usage in this range. `tokenlens sources` shows what was found.")
        return
    compact = console.width < FULL_DIGITS_WIDTH
    fields = [f for _, f in TOKEN_COLUMNS]
    table = _report_table(report, fields, compact)
    hidden = []
    for field in DROP_ORDER:
        if _needed_width(table) <= console.width:
            break
        fields.remove(field)
        hidden.append(dict((f, label) for label, f in TOKEN_COLUMNS)[field])
        table = _report_table(report, fields, compact)
    console.print(table)
    totals = report.totals
    unpriced = totals["unpriced_models"]
    if unpriced:
        # As doctor does: an unknown model gets no made-up price, and the person is told which.
        console.print(f"[yellow]— : cost unknown; no price is known for {', '.join(unpriced)}"
                      " (`tokenlens doctor` lists unknown models).[/yellow]", highlight=False)
    if hidden:
        console.print(f"[dim]Not shown at this width: {', '.join(hidden)} (a wider terminal or --json shows them).[/dim]")
    if compact:
        console.print(f"[dim]k = thousand, M = million tokens; {FULL_DIGITS_WIDTH}+ columns (or --json) show every digit.[/dim]")
    console.print("[dim]Costs are estimates from local logs at list prices, not your bill.[/dim]")


def short_model(model: str) -> str:
    """A model id without its release-date suffix, for narrow terminals
    ("claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5"); --json and wide terminals keep it."""
    return re.sub(r"-(?:20\d{6}|20\d\d-\d\d-\d\d)$", "", model)


def _needed_width(table: Table) -> int:
    """The narrowest the table can be drawn without cutting a no-wrap cell (measured as if
    the terminal were unbounded: rich's own measure is capped at the console's width)."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update(width=10_000), table).minimum


def _report_table(report: Report, fields: list[str], compact: bool) -> Table:
    title = f"{report.kind.capitalize()} usage ({report.tz})"
    table = Table(title=title, show_footer=False, header_style="bold")
    count = fmt_compact if compact else fmt_int
    columns = [(label, f) for label, f in TOKEN_COLUMNS if f in fields]
    period_columns = _period_columns(report)
    for label in period_columns:
        if label == "Session":
            # An id is only of use whole: narrow terminals shrink the other columns first.
            widest = max((len(r["period"]) for r in report.rows), default=0)
            table.add_column(label, min_width=min(widest, 40), overflow="fold")
        elif label == "Project":
            table.add_column(label, overflow="fold")
        else:
            table.add_column(label, no_wrap=True)
    if report.by:
        table.add_column(report.by.capitalize())
    # One column per meaning: split by tool, the tools column would repeat the group.
    listed = {"tool": ("Models", "models"), "model": ("Tools", "tools")}.get(report.by, ("Tools / models", "tools"))
    # Wrapped between models, never inside one (a name split as "claude-sonnet-4-5- / 20250929"),
    # and wide enough for a (shortened) name: a count column is dropped before a name is cut.
    name = short_model if compact else str
    longest = max((len(name(m)) + 2 for part in report.breakdown.values() for m in (p["model"] or "" for p in part)),
                  default=12)
    table.add_column(listed[0], overflow="ellipsis", min_width=min(20, max(12, longest)) if compact else None,
                     max_width=20 if compact else None)
    for label, _ in columns:
        table.add_column(SHORT_LABELS.get(label, label) if compact else label, justify="right", no_wrap=True)
    table.add_column("Cost", justify="right", no_wrap=True)
    blank = [""] * (len(period_columns) + (1 if report.by else 0))
    for row in report.rows:
        key = report.key_of(row)
        cells = _period_cells(report, row) + ([row["group"] or "(none)"] if report.by else [])
        cells.append(", ".join(name(m) for m in row[listed[1]]) if listed[1] == "models" else ", ".join(row[listed[1]]))
        cells += [count(row[f]) for _, f in columns] + [fmt_cost(row["cost_usd"])]
        table.add_row(*cells, style="bold green" if row.get("active") else "bold")
        # Split by model already? Then a per-model breakdown would repeat the row.
        for part in report.breakdown.get(key, []) if report.by not in ("model", "tool") else []:
            sub = blank + [f"  {name(part['model']) if part['model'] else '(unknown model)'}"]
            sub += [count(part[f]) for _, f in columns] + [fmt_cost(part["cost_usd"])]
            table.add_row(*sub, style="dim")
        table.add_section()
    totals = report.totals
    cells = ["Total"] + blank[1:] + [", ".join(totals[listed[1]])]
    cells += [count(totals[f]) for _, f in columns] + [fmt_cost(totals["cost_usd"])]
    table.add_row(*cells, style="bold cyan")
    return table


def _print_unreadable(unreadable: dict[str, list[dict]], home=None) -> None:
    """The warning line, then every path that could not be read, named."""
    from tokenlens.status import unreadable_text

    line = unreadable_text(unreadable, home, names=0)
    if line is None:
        return
    console.print(f"[yellow]{escape(line)}; their usage is missing from the totals:[/yellow]",
                  highlight=False)
    for sid, paths in unreadable.items():
        for u in paths:
            # soft_wrap: a long path stays on one line, whole, for the person to copy.
            console.print(f"[yellow]  {sid}: {escape(u['path'])} ({escape(u['reason'])})[/yellow]", highlight=False,
                          soft_wrap=True)


def print_scan(payload: dict, home=None) -> None:
    table = Table(title=f"Scan ({payload['seconds']:.2f} s)", header_style="bold")
    for col in ("Source", "Files", "Read now", "Events added", "Events total", "Skipped lines", "Unreadable"):
        table.add_column(col, justify="left" if col == "Source" else "right")
    for sid, s in payload["sources"].items():
        table.add_row(
            sid, fmt_int(s["files"]), fmt_int(s["files_read"]), fmt_int(s["events_added"]),
            fmt_int(s["events_total"]), fmt_int(s["lines_skipped"]),
            f"[yellow]{fmt_int(s['unreadable_count'])}[/yellow]" if s["unreadable_count"] else "0",
        )
    console.print(table)
    unreadable_paths = {u["path"] for s in payload["sources"].values() for u in s["unreadable"]}
    for sid, s in payload["sources"].items():
        for err in s["errors"]:
            if err.rpartition(": ")[0] not in unreadable_paths:  # those are listed below, with the rest
                console.print(f"[yellow]{sid}: {err}[/yellow]")
    _print_unreadable({sid: s["unreadable"] for sid, s in payload["sources"].items() if s["unreadable"]}, home)
    if payload["unknown_models"]:
        console.print(f"[yellow]Unpriced (unknown) models: {', '.join(payload['unknown_models'])}[/yellow]")


def print_sources(rows: list[dict], home=None, verbose: bool = False) -> None:
    """One line per tool: events, last seen, and a note (not found, no local usage and why,
    lines skipped, unreadable folders). `verbose`: the paths looked at too."""
    table = Table(title="Sources", header_style="bold", expand=True)
    table.add_column("Tool", no_wrap=True)
    table.add_column("Files", no_wrap=True, justify="right")
    table.add_column("Events", no_wrap=True, justify="right")
    table.add_column("Last event", no_wrap=True)
    if verbose:
        table.add_column("Paths looked at / note", overflow="fold", ratio=1)
    else:  # one line per tool: a long reason is cut (whole under --verbose and in --json)
        table.add_column("Note", overflow="ellipsis", no_wrap=True, ratio=1)
    for r in sorted(rows, key=lambda r: (not r["found"], r["reads_usage"] is False, r["name"].lower())):
        notes = [] if r["found"] or r["reads_usage"] is False else ["not found"]
        if r["reads_usage"] is False:
            notes.append(f"no local usage: {r['why_not']}")
        elif r["reads_usage"] == "partial":
            notes.append("partial usage only")
        if r["note"] and r["found"] and r["reads_usage"] is not False:
            notes.append(r["note"])
        if r["lines_skipped"]:
            notes.append(f"{fmt_int(r['lines_skipped'])} lines skipped")
        note = escape("; ".join(notes))
        if verbose:
            paths = "\n".join(("✓ " if p in r["paths_found"] else "✗ ") + escape(p) for p in r["paths"])
            note = paths + (f"\n[yellow]{note}[/yellow]" if note else "")
            note += "".join(f"\n[yellow]! {escape(u['path'])} ({escape(u['reason'])})[/yellow]" for u in r["unreadable"])
        elif note:
            note = f"[yellow]{note}[/yellow]" if r["found"] else f"[dim]{note}[/dim]"
        table.add_row(r["name"], fmt_int(r["files"]) if r["found"] else "", fmt_int(r["events"]) if r["found"] else "",
                      (r["last_event"] or "—")[:10] if r["found"] else "", note)
    console.print(table)
    if not verbose:
        console.print("[dim]`tokenlens sources --verbose` lists the paths looked at; `--json` has everything.[/dim]")
    _print_unreadable({r["id"]: r["unreadable"] for r in rows if r["unreadable"]}, home)


def print_doctor(payload: dict, home=None) -> None:
    console.print(f"[bold]Data dir[/bold]  {payload['data_dir']}")
    console.print(f"[bold]Ledger[/bold]    {payload['database']} ({fmt_int(payload['database_bytes'])} bytes)")
    events = ", ".join(f"{t}: {fmt_int(n)}" for t, n in payload["events"].items()) or "none"
    console.print(f"[bold]Events[/bold]    {events}")
    console.print(f"[bold]Logs deleted by their tools, kept in the ledger[/bold]  {payload['files_deleted_by_tools']}")
    if payload["log_retention"]:
        from tokenlens.status import retention_text

        console.print("[bold]How long the tools keep their logs[/bold]")
        for item in payload["log_retention"]:
            console.print(f"  {retention_text(item)}", highlight=False)
    console.print(f"[bold]Skipped lines[/bold]  {fmt_int(payload['lines_skipped'])}")
    for s in payload["skipped"]:
        console.print(f"  {s['file']} @ byte {s['offset']}: {s['reason']}")
    console.print(f"[bold]Unreadable log folders and files[/bold]  {fmt_int(payload['unreadable_count'])}")
    by_tool: dict[str, list[dict]] = {}
    for u in payload["unreadable"]:
        by_tool.setdefault(u["tool"], []).append(u)
    _print_unreadable(by_tool, home)
    if payload["unknown_models"]:
        console.print("[bold]Unknown models (no cost computed)[/bold]")
        for u in payload["unknown_models"]:
            console.print(f"  {u['tool']}: {u['model']} ({fmt_int(u['events'])} events)")
    for key, value in payload.items():
        if key in ("data_dir", "database", "database_bytes", "events", "lines_skipped", "skipped",
                   "unknown_models", "files_deleted_by_tools", "log_retention", "unreadable", "unreadable_count"):
            continue
        console.print(f"[bold]{key.replace('_', ' ').capitalize()}[/bold]  {_check_text(value)}")


def _check_text(value) -> str:
    """A feature's doctor check as one readable line: its message, else its summary."""
    if not isinstance(value, dict):
        return str(value)
    if value.get("message"):
        return str(value["message"])
    parts = []
    for k, v in value.items():
        if v is None:
            # A time never reached ("last scan") reads "never"; any other missing value "none".
            v = "never" if k.startswith("last_") else "none"
        elif isinstance(v, dict):
            v = ", ".join(f"{ik} {iv}" for ik, iv in v.items())
        elif isinstance(v, list):
            v = "; ".join(map(str, v)) or "none"
        parts.append(f"{k.replace('_', ' ')}: {v}")
    return "\n    ".join([""] + parts)
