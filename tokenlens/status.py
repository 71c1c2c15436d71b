"""What `tokenlens sources` and `tokenlens doctor` report: plain dicts, shared with the app."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tokenlens.config import Env
from tokenlens.reports import data_files_size, ledger_summary
from tokenlens.store import queries
from tokenlens.store.ledger import Ledger, ledger_path


def _iso(ms: int | None) -> str | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _exists(path: Path) -> bool:
    """True for a path that is there, also when it cannot be read (EACCES: it is reported as
    unreadable, not as absent); Path.exists() raises on that."""
    try:
        path.stat()
    except OSError as exc:
        from tokenlens.tools.source import unreadable_reason

        return unreadable_reason(exc) is not None
    return True


def unreadable_text(unreadable: dict[str, list[dict]], home: Path | None = None, names: int = 2) -> str | None:
    """One line for the person, e.g. "2 log folders could not be read (permission denied):
    ~/.claude/projects/x, ~/.codex/sessions/2026 …"; None when everything could be read."""
    items = [u for paths in unreadable.values() for u in paths]
    if not items:
        return None
    reasons = sorted({u["reason"] for u in items})
    shown = [_home_short(u["path"], home) for u in items[:names]]
    more = " …" if len(items) > names else ""
    kinds = {u.get("kind", "path") for u in items}
    kind = kinds.pop() if len(kinds) == 1 else "path"
    one, many = {"folder": ("log folder", "log folders"), "file": ("log file", "log files")}.get(
        kind, ("log folder or file", "log folders or files"))
    noun = one if len(items) == 1 else many
    line = f"{len(items)} {noun} could not be read ({', '.join(reasons)})"
    return f"{line}: {', '.join(shown)}{more}" if shown else line


def _home_short(path: str, home: Path | None) -> str:
    if home is not None:
        prefix = str(home).rstrip("/\\")
        if prefix and (path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "\\")):
            return "~" + path[len(prefix):]
    return path


def sources_status(db: Ledger, env: Env, disabled: set[str] = frozenset(),
                   unreadable: dict[str, list[dict]] | None = None) -> list[dict]:
    """Each known tool's state. `unreadable`: what a scan just found it could not read (the
    app passes its scan's); None: looked for now (a discovery walk of the sources read)."""
    from tokenlens.tools import all_sources

    if unreadable is None:
        from tokenlens.ingest import find_unreadable

        unreadable = find_unreadable(env, [s for s in all_sources() if s.id not in disabled])

    per_file = queries.files_per_source(db)
    events = {tool: counts["events"] for tool, counts in queries.events_per_tool(db).items()}
    rows = []
    for source in all_sources():
        roots = source.roots(env)
        existing = [str(p) for p in roots if _exists(p)]
        files, missing, skipped, last_ms = per_file.get(source.id, (0, 0, 0, None))
        if source.no_local_data_reason:
            reason = source.no_local_data_reason
        elif source.id in disabled:
            reason = "turned off in Settings: not read"
        elif not existing:
            reason = "none of the paths looked at exists"
        elif unreadable.get(source.id):
            count = len(unreadable[source.id])
            reason = (f"{count} {'folder or file' if count == 1 else 'folders or files'} could not be read:"
                      " their usage is missing from the totals")
        elif not files:
            reason = "found, but no usage files yet (run `tokenlens scan`)"
        else:
            reason = None
        rows.append(
            {
                "id": source.id,
                "name": source.name,
                "reads_usage": source.reads_usage,
                "why_not": (source.no_local_data_reason if source.reads_usage is False
                            else source.partial_reason if source.reads_usage == "partial" else None),
                "found": bool(existing),
                "paths": [str(p) for p in roots],
                "paths_found": existing,
                "files": files,
                "files_deleted_by_tool": missing or 0,
                "events": events.get(source.id, 0),
                "last_event": _iso(last_ms),
                "lines_skipped": skipped or 0,
                "unreadable": unreadable.get(source.id, []) if source.id not in disabled else [],
                "unreadable_count": len(unreadable.get(source.id, [])) if source.id not in disabled else 0,
                "note": reason or (source.partial_reason if source.reads_usage == "partial" else None),
            }
        )
    return rows


def skipped_lines(db: Ledger, limit: int = 50) -> list[dict]:
    return [
        {"file": path, "offset": offset, "reason": reason}
        for path, offset, reason in queries.skipped_lines(db, limit)
    ]


def log_retention(env: Env, disabled: set[str] = frozenset()) -> list[dict]:
    """How long each tool present here keeps its own logs, from its settings."""
    from tokenlens.tools import all_sources

    out = []
    for source in all_sources():
        if source.id in disabled or not any(_exists(root) for root in source.roots(env)):
            continue
        kept = source.retention(env)
        if kept is not None:
            out.append({"tool": source.id, "name": source.name, "days": kept.days, "setting": kept.setting,
                        "default": kept.is_default, "writes_nothing": kept.writes_nothing})
    return out


def retention_text(item: dict) -> str:
    """One line for the person: what the tool deletes, and what that means for tokenlens."""
    name, setting = item["name"], item["setting"]
    if item["writes_nothing"]:
        return (f"{name} is set to keep no logs ({setting}): it writes no usage for tokenlens to read."
                " Raise the setting to have its usage counted.")
    if item["days"] is None:
        return f"{name} keeps its logs until you delete them ({setting})."
    default = "its default; " if item["default"] else ""
    return (f"{name} deletes its logs after {item['days']:g} days ({default}{setting});"
            " tokenlens keeps what it has read.")


def doctor_report(db: Ledger, data_dir: Path, env: Env, disabled: set[str] = frozenset()) -> dict:
    from tokenlens.ingest import find_unreadable
    from tokenlens.tools import all_sources

    summary = ledger_summary(db)
    unreadable = find_unreadable(env, [s for s in all_sources() if s.id not in disabled])
    skipped_total = queries.lines_skipped_total(db)
    report = {
        "data_dir": str(data_dir),
        "database": str(ledger_path(data_dir)),
        "database_bytes": data_files_size(data_dir),
        "events": {tool: info["events"] for tool, info in summary["tools"].items()},
        "lines_skipped": skipped_total,
        "skipped": skipped_lines(db),
        "unknown_models": summary["unknown_models"],
        "files_deleted_by_tools": queries.files_deleted_by_tools(db),
        "log_retention": log_retention(env),
        # Log folders and files that exist but cannot be read: their usage is missing.
        "unreadable_count": sum(len(paths) for paths in unreadable.values()),
        "unreadable": [{"tool": tool, **u} for tool, paths in unreadable.items() for u in paths],
    }
    # The features' own health checks, imported here rather than at the top: `sources` and
    # the app's status need none of the export's and permissions' imports.
    from tokenlens.export.keys import doctor_check as keyring_check
    from tokenlens.permissions.snapshots import doctor_check as permissions_check

    report["keyring"] = keyring_check(db, data_dir, env)
    report["permissions"] = permissions_check(db, data_dir, env)
    return report


def rebuild(data_dir: Path, env: Env) -> tuple[Ledger, dict]:
    """`doctor --rebuild` and the app's damaged-ledger window: set the ledger aside, carry its
    history over, read the logs again (the sources the person left on). Raises LedgerError."""
    from tokenlens.config import disabled_sources
    from tokenlens.ingest import scan
    from tokenlens.store.ledger import rebuild_ledger
    from tokenlens.tools import all_sources

    db, aside, salvage = rebuild_ledger(data_dir)
    off = disabled_sources(data_dir)
    result = scan(db, env, [s for s in all_sources() if s.id not in off])
    return db, rebuild_outcome(db, aside, salvage, result.events_added)


def rebuild_outcome(db: Ledger, aside: Path | None, salvage, added_by_scan: int) -> dict:
    """What `doctor --rebuild` kept, read again and lost, in numbers (JSON and one line each)."""
    total = queries.event_count(db)
    outcome: dict = {"set_aside": str(aside) if aside else None, "events": total, "kept": 0,
                     "kept_from_deleted_logs": 0, "added_from_logs": added_by_scan, "lost": 0,
                     "method": None, "tables": {}, "problems": []}
    lines = [f"old ledger kept at {aside}" if aside else "there was no old ledger"]
    if salvage is not None:
        from_deleted = queries.events_from_deleted_logs(db)
        lost = None if salvage.events_counted is None else max(0, salvage.events_counted - total)
        outcome.update(kept=salvage.events, kept_from_deleted_logs=from_deleted, lost=lost,
                       method=salvage.method, tables=salvage.rows, problems=salvage.problems)
        history = {t: n for t, n in salvage.rows.items() if t.startswith(("perm_", "exports")) and n}
        lines.append(f"kept {salvage.events} events from it ({from_deleted} from logs the tools have deleted)"
                     + (", " + ", ".join(f"{n} {t} rows" for t, n in sorted(history.items())) if history else ""))
        lines += salvage.problems
    lines.append(f"the logs added {added_by_scan} events it did not have; the ledger now holds {total}")
    if salvage is not None:
        lost = outcome["lost"]
        lines.append("could not save: unknown (the old ledger's own count was unreadable)" if lost is None
                     else f"could not save: {lost} events" if lost else "nothing was lost")
    outcome["lines"] = lines
    return outcome
