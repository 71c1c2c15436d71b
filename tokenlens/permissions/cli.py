"""`tokenlens permissions [--json] [--diff [--ack] | --since DATE]`: scan every tool's configs
now, record the snapshot, print the grants, and with --diff what changed since the person last
looked (see snapshots.py for when that mark moves)."""

from __future__ import annotations

from datetime import date, datetime, time

import click

from tokenlens.cli import Context, UserError, _dump_json

pass_ctx = click.make_pass_decorator(Context)


def parse_since(text: str) -> int:
    """YYYY-MM-DD (the start of that local day) or an ISO 8601 time, as epoch ms."""
    try:
        moment = datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UserError(f"--since wants YYYY-MM-DD or an ISO time, not {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the person's local zone
    return int(moment.timestamp() * 1000)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Also show what was added, removed or changed since you last looked (--ack, or the app's"
                   " Permissions tab); before that, since the first scan.")
@click.option("--ack", is_flag=True, help="With --diff: mark this scan as seen, so the next --diff starts here.")
@click.option("--since", metavar="DATE", help="Diff against the state at DATE (YYYY-MM-DD = the start of that day,"
                                             " or an ISO time): the last scan at or before it. Implies --diff.")
@pass_ctx
def permissions(ctx: Context, as_json: bool, show_diff: bool, ack: bool, since: str | None) -> None:
    """What your AI agents may do: every grant in their configs, rated by risk.

    Read-only: no tool is run and no MCP server started; secrets are shown as <secret>.
    A --diff keeps showing a change until you acknowledge it (--ack) or look at the app's
    Permissions tab, however many scans run in between.

    \b
    Examples:
      tokenlens permissions
      tokenlens permissions --diff            # changes since you last looked
      tokenlens permissions --diff --ack      # ... and mark them as seen
      tokenlens permissions --since 2026-11-01 --json
    """
    from tokenlens.permissions.base import NeverOpen
    from tokenlens.permissions.snapshots import (
        NoScanBefore,
        diff_since,
        mark_seen,
        run_scan,
        snapshot_json,
    )

    since_ms = parse_since(since) if since else None
    show_diff = show_diff or ack or since is not None
    try:
        snapshot = run_scan(ctx.db, ctx.env, ctx.data_dir)
    except NeverOpen as exc:  # a scanner bug: refuse loudly rather than read a credential
        raise click.ClickException(f"refused to open credential file {exc}") from None
    diff = None
    if show_diff:
        try:
            diff = diff_since(ctx.db, snapshot.scan_id, since_ms=since_ms)
        except NoScanBefore as exc:
            raise UserError(str(exc)) from None
    payload = snapshot_json(snapshot, diff=diff)
    if ack:
        mark_seen(ctx.db, snapshot.scan_id, "cli")
    if as_json:
        _dump_json(payload)
        return
    from tokenlens.permissions.render import print_permissions

    print_permissions(payload, diff=show_diff, acked=ack)
