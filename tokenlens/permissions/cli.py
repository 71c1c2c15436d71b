"""`tokenlens permissions [--json] [--diff]`: scan every tool's configs now, record the snapshot,
print the grants (and with --diff what changed since the previous scan)."""

from __future__ import annotations

import click

from tokenlens.cli import Context, _dump_json

pass_ctx = click.make_pass_decorator(Context)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--diff", "show_diff", is_flag=True, help="Also show what was added, removed or changed since the previous scan.")
@pass_ctx
def permissions(ctx: Context, as_json: bool, show_diff: bool) -> None:
    """What your AI agents may do: every grant in their configs, rated by risk.

    Read-only: no tool is run and no MCP server started; secrets are shown as <secret>.

    \b
    Examples:
      tokenlens permissions
      tokenlens permissions --diff --json
    """
    from tokenlens.permissions.base import NeverOpen
    from tokenlens.permissions.snapshots import run_scan, snapshot_json

    try:
        snapshot = run_scan(ctx.db, ctx.env, ctx.data_dir)
    except NeverOpen as exc:  # a scanner bug: refuse loudly rather than read a credential
        raise click.ClickException(f"refused to open credential file {exc}") from None
    payload = snapshot_json(snapshot, diff=show_diff)
    if as_json:
        _dump_json(payload)
        return
    from tokenlens.permissions.render import print_permissions

    print_permissions(payload, diff=show_diff)
