"""The `tokenlens` command. Its contract (commands, options, --json shapes) is in design.md.

Imports of anything heavy (Qt, rich, pricing tables, sqlite-utils) happen inside the
commands that need them, so `tokenlens report` starts fast.
"""

from __future__ import annotations

import sys

import click

from tokenlens import __version__


class UserError(click.ClickException):
    """A one-line cause on stderr and exit status 2; never a traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"tokenlens: {self.format_message()}", err=True)


def _dump_json(value) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


_LEDGER_DIR = None  # the data dir of this run, to name who holds a busy ledger
_SCANNING = False  # a scan was under way: the stop message says nothing read is lost


class Context:
    def __init__(self, data_dir: str | None) -> None:
        from tokenlens.config import Env

        self.env = Env()
        self._data_dir_option = data_dir
        self._data_dir = None
        self._db = None

    @property
    def data_dir(self):
        """Resolved when a command needs it, so `--help` works even where it cannot be."""
        global _LEDGER_DIR
        if self._data_dir is None:
            from tokenlens.config import DataDirError, resolve_data_dir

            try:
                self._data_dir = _LEDGER_DIR = resolve_data_dir(self._data_dir_option, self.env)
            except DataDirError as exc:
                raise UserError(str(exc)) from None
        return self._data_dir

    @property
    def db(self):
        from tokenlens.store import LedgerError

        try:
            return self.open_db()
        except LedgerError as exc:
            raise UserError(str(exc)) from None

    def open_db(self):
        """The ledger, opened on first use; raises LedgerError (LedgerDamaged) if it cannot be."""
        if self._db is None:
            from tokenlens.store import open_ledger

            self._db = open_ledger(self.data_dir)
            for note in self._db.notes:
                click.echo(f"tokenlens: {note}", err=True)
        return self._db

    def scan(self):
        from tokenlens.config import disabled_sources
        from tokenlens.ingest import scan
        from tokenlens.tools import all_sources

        global _SCANNING
        off = disabled_sources(self.data_dir)
        _SCANNING = True  # left set if the scan is stopped: main() reads it for its message
        from tokenlens.progress import scan_bar

        with scan_bar() as advanced:
            result = scan(self.db, self.env, [s for s in all_sources() if s.id not in off], advanced=advanced)
        _SCANNING = False
        return result


pass_ctx = click.make_pass_decorator(Context)

# Commands that live with their feature, imported only when run (keeps `report` fast: their
# modules pull in the permissions scanners, the export's crypto and their dependencies).
# Every build has all of them: the map is fixed, and an import that fails is a bug that
# shows as its own traceback, never as "No such command".
LAZY_COMMANDS = {
    "permissions": ("tokenlens.permissions.cli", "permissions"),
    "export": ("tokenlens.export.cli", "export"),
    "team": ("tokenlens.export.cli", "team"),
    "limits": ("tokenlens.limits_cli", "limits"),
    "statusline": ("tokenlens.limits_cli", "statusline"),
    "sync": ("tokenlens.sync.cli", "sync"),
    "devices": ("tokenlens.sync.cli", "devices"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str):
        if name in LAZY_COMMANDS:
            import importlib

            module_name, attr = LAZY_COMMANDS[name]
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where the ledger lives (default: $TOKENLENS_DATA_DIR or the platform's user data dir).")
@click.version_option(__version__, "--version", prog_name="tokenlens")
@click.pass_context
def cli(click_ctx: click.Context, data_dir: str | None) -> None:
    """A private ledger of your AI coding tools' token usage and agent permissions.

    With no command, starts the tray app (or a window where no tray exists).

    \b
    Examples:
      tokenlens                      # the tray app
      tokenlens report daily         # today's and past days' usage
      tokenlens report weekly --by tool --tz Europe/Berlin
    """
    click_ctx.obj = Context(data_dir)
    if click_ctx.invoked_subcommand is None:
        from tokenlens.app import run_app

        sys.exit(run_app(click_ctx.obj.data_dir))


def _known_tools(values: tuple[str, ...]) -> list[str]:
    """The --tool values (the option may be given several times), each a known tool id."""
    from tokenlens.tools import source_ids

    for value in values:
        if value not in source_ids():
            raise UserError(f"unknown tool id {value!r}; known: {', '.join(source_ids())}")
    return list(dict.fromkeys(values))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def scan(ctx: Context, as_json: bool) -> None:
    """Ingest new usage from every tool's logs now; print what was added per source.

    \b
    Example:
      tokenlens scan --json
    """
    result = ctx.scan()
    from tokenlens.store.queries import events_per_tool

    totals = {tool: counts["events"] for tool, counts in events_per_tool(ctx.db).items()}
    payload = {
        "seconds": round(result.seconds, 3),
        "sources": {
            sid: {
                "files": s.files_seen,
                "files_read": s.files_read,
                "files_missing": s.files_missing,
                "events_added": s.events_added,
                "events_total": totals.get(sid, 0),
                "lines_skipped": s.lines_skipped,
                "errors": s.errors,
                # Folders/files that exist but could not be read: their usage is missing.
                "unreadable": s.unreadable,
                "unreadable_count": len(s.unreadable),
            }
            for sid, s in result.sources.items()
        },
        "unknown_models": sorted(f"{t}:{m}" for t, m in result.unknown_models),
    }
    if as_json:
        _dump_json(payload)
        return
    from tokenlens.render import print_scan

    print_scan(payload, home=ctx.env.home)


@cli.command()
@click.argument("kind", type=click.Choice(["daily", "weekly", "monthly", "session", "blocks"]))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see design.md).")
@click.option("--since", metavar="YYYY-MM-DD", help="First local day to include.")
@click.option("--until", metavar="YYYY-MM-DD", help="Last local day to include.")
@click.option("--tz", metavar="ZONE", help="IANA time zone for day boundaries (default: local).")
@click.option("--tool", metavar="ID", multiple=True,
              help="Only this tool (e.g. claude-code, codex); give it again for several.")
@click.option("--by", type=click.Choice(["tool", "model", "project", "device"]), help="Split each period by this.")
@click.option("--device", metavar="NAME", multiple=True,
              help="Only this device's usage (name or id; see `tokenlens devices`); give it again for several.")
@click.option("--no-scan", is_flag=True, help="Report the ledger as is, without reading new log lines.")
@pass_ctx
def report(ctx: Context, kind, as_json, since, until, tz, tool, by, device, no_scan) -> None:
    """Usage per day, ISO week, month, session or 5-hour block.

    \b
    Examples:
      tokenlens report daily --since 2026-11-01
      tokenlens report monthly --by model --json
      tokenlens report blocks --tool claude-code
      tokenlens report daily --tool codex --tool gemini-cli
    """
    from tokenlens.reports import ReportError, build_report, default_since, resolve_devices

    tools = _known_tools(tool)
    try:
        if not no_scan:
            ctx.scan()
        devices = resolve_devices(ctx.db, device)
        default_from = None
        if not as_json and since is None and until is None:
            default_from = default_since(ctx.db, kind, tz, tools)
        result = build_report(ctx.db, kind, tz=tz, since=since or default_from, until=until, tool=tools, by=by,
                              devices=devices)
    except ReportError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        _dump_json(result.to_json())
        return
    from tokenlens.render import console, print_report

    print_report(result)
    if default_from is not None:  # through rich, so it wraps at the terminal's width like the table
        console.print(f"Showing usage from {default_from} to your latest; `--since 2000-01-01` shows all of it"
                      " (--json always does).", markup=False, highlight=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (always with the paths).")
@click.option("--verbose", "-v", is_flag=True, help="Also list the paths looked at for each tool.")
@pass_ctx
def sources(ctx: Context, as_json: bool, verbose: bool) -> None:
    """Every known tool, one line each: found or not, files, events, last seen.

    \b
    Example:
      tokenlens sources
      tokenlens sources --verbose    # and the paths looked at
    """
    from tokenlens.config import disabled_sources
    from tokenlens.status import sources_status

    rows = sources_status(ctx.db, ctx.env, disabled=disabled_sources(ctx.data_dir))
    if as_json:
        _dump_json({"sources": rows})
        return
    from tokenlens.render import print_sources

    print_sources(rows, home=ctx.env.home, verbose=verbose)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--rebuild", is_flag=True, help="Keep the ledger aside (never deleted) and rebuild it from the logs.")
@pass_ctx
def doctor(ctx: Context, as_json: bool, rebuild: bool) -> None:
    """Paths, counts, skipped lines and where, unknown models, keyring.

    With --json, a ledger that cannot be read still gives one JSON object:
    {"data_dir", "database", "damaged": true|false, "error": "..."} (exit status 2).

    \b
    Examples:
      tokenlens doctor --json
      tokenlens doctor --rebuild     # after "ledger ... is damaged"
    """
    import sqlite3

    from tokenlens.config import disabled_sources
    from tokenlens.status import doctor_report
    from tokenlens.store.ledger import (
        LedgerDamaged,
        LedgerError,
        failure_message,
        is_damage,
        ledger_path,
    )

    try:
        rebuilt = _rebuild(ctx) if rebuild else None
        payload = doctor_report(ctx.open_db(), ctx.data_dir, ctx.env, disabled_sources(ctx.data_dir))
    except (LedgerError, sqlite3.DatabaseError) as exc:
        message = str(exc) if isinstance(exc, LedgerError) else failure_message(exc)
        if message is None or not as_json:
            if isinstance(exc, LedgerError):
                raise UserError(message) from None
            raise
        # Scripts reading `doctor --json` get JSON about a ledger that cannot be read, too.
        damaged = isinstance(exc, LedgerDamaged) or is_damage(exc)
        _dump_json({"data_dir": str(ctx.data_dir), "database": str(ledger_path(ctx.data_dir)),
                    "damaged": damaged, "error": message})
        click.echo(f"tokenlens: {message}", err=True)
        sys.exit(2)
    if rebuilt is not None:
        payload["rebuilt"] = rebuilt
    if as_json:
        _dump_json(payload)
        return
    from tokenlens.render import print_doctor

    print_doctor(payload, home=ctx.env.home)


def _rebuild(ctx: Context) -> dict:
    from tokenlens.status import rebuild

    ctx._db, outcome = rebuild(ctx.data_dir, ctx.env)  # LedgerError: the caller says it
    for line in outcome["lines"]:
        click.echo(f"tokenlens: {line}", err=True)
    return outcome


class Stopped(BaseException):
    """Ctrl-C or SIGTERM. A BaseException of our own, so that click does not turn it into
    its "Aborted!" and every `finally` (a scan's forked workers) runs on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame) -> None:
    raise Stopped(signum)


def _catch_stop_signals() -> None:
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(signum, _stop)
        except (ValueError, OSError):  # not the main thread, or a platform without it
            pass


def main() -> None:
    _catch_stop_signals()
    try:
        cli(standalone_mode=True)
    except Stopped as stop:
        import signal

        name = "Ctrl-C" if stop.signum == signal.SIGINT else signal.Signals(stop.signum).name
        during = "; what was read so far is kept, the next scan goes on from there" if _SCANNING else ""
        click.echo(f"tokenlens: stopped by {name}{during}", err=True)
        sys.exit(128 + stop.signum)
    except Exception as exc:
        # Damage deep inside the ledger, a full disk, a read-only file: these show only when a
        # query or a write reaches them. One line, no traceback.
        from tokenlens.store.ledger import failure_message, ledger_path

        message = failure_message(exc, ledger_path(_LEDGER_DIR) if _LEDGER_DIR else None)
        if message is None:
            raise
        click.echo(f"tokenlens: {message}", err=True)
        sys.exit(2)


def gui_main() -> None:
    """`tokenlens-gui [--data-dir DIR]`: the tray app for launchers and autostart entries
    (no console on Windows); same data-dir rules as `tokenlens`."""
    import argparse

    from tokenlens.app import run_app
    from tokenlens.config import DataDirError, resolve_data_dir

    parser = argparse.ArgumentParser(prog="tokenlens-gui", description="Start the tokenlens tray app.")
    parser.add_argument("--data-dir", metavar="DIR", help="Where the ledger lives (default: $TOKENLENS_DATA_DIR "
                        "or the platform's user data dir).")
    args = parser.parse_args()
    try:
        data_dir = resolve_data_dir(args.data_dir)
    except DataDirError as exc:
        sys.stderr.write(f"tokenlens-gui: {exc}\n")
        sys.exit(2)
    sys.exit(run_app(data_dir))


if __name__ == "__main__":  # pragma: no cover
    main()
