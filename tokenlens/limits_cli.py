"""The `limits` and `statusline` commands (issue 17), loaded only when run (tokenlens.cli)."""

from __future__ import annotations

import click

from tokenlens.cli import Context, UserError, _dump_json, pass_ctx


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see design.md).")
@click.option("--no-scan", is_flag=True, help="Show the ledger as is, without reading new log lines.")
@pass_ctx
def limits(ctx: Context, as_json: bool, no_scan: bool) -> None:
    """How much of each plan window is used, when it resets, and the pace to 100 %.

    From what the tools write locally (Codex's rollouts, Claude Code's status line); no
    network. Claude's windows appear once `tokenlens statusline install` has run.

    \b
    Examples:
      tokenlens limits
      tokenlens limits --json
    """
    from tokenlens.insights import now_ms
    from tokenlens.limits import window_states

    if not no_scan:
        ctx.scan()
    at = now_ms()
    states = window_states(ctx.db, at)
    if as_json:
        from tokenlens.limits import iso
        from tokenlens.store.queries import skipped_limit_readings

        _dump_json({"now": iso(at), "limits": [s.as_json() for s in states],
                    "readings_skipped": skipped_limit_readings(ctx.db)})
        return
    from tokenlens.render_limits import print_limits

    print_limits(states, at)


@click.group(invoke_without_command=True)
@click.option("--parts", metavar="LIST", help="Which parts, in order: today,5h,7d,codex (default today,5h,7d).")
@click.option("--then", "then", metavar="CMD", help="Run this status-line command too and print its output after ours.")
@click.pass_context
def statusline(click_ctx: click.Context, parts: str | None, then: str | None) -> None:
    """Claude Code's status line: reads its JSON on stdin, records the plan-window readings,
    prints one short line. Never fails: a broken ledger prints a short fallback line.

    \b
    Examples:
      tokenlens statusline install --preview
      echo '{}' | tokenlens statusline --parts today,5h
    """
    if click_ctx.invoked_subcommand is not None:
        return
    from tokenlens.statusline import Options, parse_parts, read_stdin, run

    ctx = click_ctx.find_object(Context)
    options = Options()
    options.data_dir = ctx._data_dir_option if ctx else None
    options.parts = parse_parts(parts)
    options.then = then
    click.echo(run(read_stdin(), options))


@statusline.command()
@click.option("--preview", is_flag=True, help="Show the exact change to each settings.json; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Write without asking.")
@click.option("--no-chain", is_flag=True, help="Replace an existing status line instead of running it after ours.")
@pass_ctx
def install(ctx: Context, preview: bool, yes: bool, no_chain: bool) -> None:
    """Set tokenlens as the status line in each Claude Code config dir (backup kept).

    \b
    Examples:
      tokenlens statusline install --preview   # the exact change, nothing written
      tokenlens statusline install --yes
    """
    from tokenlens.statusline_install import InstallError, apply_install, plan_install

    try:
        changes = plan_install(ctx.env, ctx._data_dir_option, chain=not no_chain)
        for change in changes:
            click.echo(f"{change.path}: {change.note}")
            click.echo(change.diff(), nl=False)
        if preview:
            return
        if not yes and any(c.after != c.before for c in changes) and not click.confirm("Write these changes?"):
            raise UserError("nothing written")
        for line in apply_install(changes, ctx.data_dir):
            click.echo(line, err=True)
    except InstallError as exc:
        raise UserError(str(exc)) from None


@statusline.command()
@click.option("--preview", is_flag=True, help="Show the exact change; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Write without asking.")
@pass_ctx
def uninstall(ctx: Context, preview: bool, yes: bool) -> None:
    """Take the tokenlens status line out again, restoring what was there.

    \b
    Example:
      tokenlens statusline uninstall --preview
    """
    from tokenlens.statusline_install import InstallError, apply_uninstall, plan_uninstall

    try:
        changes = plan_uninstall(ctx.env, ctx.data_dir)
        if not changes:
            click.echo("no tokenlens status line is installed", err=True)
            return
        for change in changes:
            click.echo(f"{change.path}: {change.note}")
            click.echo(change.diff(), nl=False)
        if preview:
            return
        if not yes and not click.confirm("Write these changes?"):
            raise UserError("nothing written")
        for line in apply_uninstall(changes, ctx.data_dir):
            click.echo(line, err=True)
    except InstallError as exc:
        raise UserError(str(exc)) from None
