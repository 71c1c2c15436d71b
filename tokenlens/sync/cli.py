"""`tokenlens sync` and `tokenlens devices` (loaded lazily by tokenlens.cli)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import click

from tokenlens.cli import Context, UserError, _dump_json

pass_ctx = click.make_pass_decorator(Context)


def _asker(ctx: Context, passphrase_file: str | None):
    from tokenlens.sync.keys import SyncKeyError, passphrase_from

    def ask(creating: bool) -> str | None:
        try:
            given = passphrase_from(ctx.env.environ, passphrase_file)
        except SyncKeyError as exc:
            raise UserError(str(exc)) from None
        if given is not None or not sys.stdin.isatty():
            return given
        prompt = "New passphrase for this sync folder (every device needs it)" if creating else "Sync folder passphrase"
        return click.prompt(prompt, hide_input=True, confirmation_prompt=creating, err=True)

    return ask


@click.command()
@click.option("--folder", metavar="DIR", type=click.Path(file_okay=False),
              help="The folder your devices share (set once; later syncs use it).")
@click.option("--passphrase-file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Read the folder's passphrase from FILE's first line (else $TOKENLENS_SYNC_PASSPHRASE, else asked).")
@click.option("--name", metavar="NAME", help="What to call this device on the others (e.g. 'work laptop').")
@click.option("--as-new-device", is_flag=True,
              help="Take a new device id (after moving or copying the data dir, when the old id is refused).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def sync(ctx: Context, folder, passphrase_file, name, as_new_device, as_json) -> None:
    """Send this device's new usage to a synced folder and read your other devices' usage.

    Each device writes only its own encrypted, append-only files under DIR/tokenlens/; the
    folder is moved between your devices by whatever syncs it (Syncthing, Dropbox, a network
    share, a USB stick). tokenlens opens no network connection.

    \b
    Examples:
      tokenlens sync --folder ~/Sync --name "work laptop"
      TOKENLENS_SYNC_PASSPHRASE=... tokenlens sync --json
    """
    from tokenlens.sync.engine import SyncError
    from tokenlens.sync.engine import sync as run_sync

    ctx.scan()
    try:
        result = run_sync(ctx.db, ctx.data_dir, folder=folder, ask=_asker(ctx, passphrase_file), name=name,
                          new_device=as_new_device)
    except SyncError as exc:
        raise UserError(str(exc)) from None
    for line in _problem_lines(result):
        click.echo(f"tokenlens: {line}", err=True)
    if as_json:
        _dump_json(result.to_json())
        return
    start = "created" if result.created_folder else "joined" if result.joined else "synced"
    click.echo(f"{start} {result.folder} as {result.device_name!r} ({result.device_id}); "
               f"sent {result.events_sent} events in {result.segments_written} segments, "
               f"read {result.segments_read} segments ({result.events_added} new events)")


def _problem_lines(result) -> list[str]:
    lines = []
    if result.paused:
        lines.append(f"sync paused: {result.paused}")
    for u in result.unread:
        if u.status != "ignored":
            lines.append(f"{u.status}: {u.path}: {u.reason}")
    ignored = [u for u in result.unread if u.status == "ignored"]
    if ignored:
        lines.append(f"ignored {len(ignored)} files that are not segments (e.g. {ignored[0].path.name}: {ignored[0].reason})")
    if result.restored_segments:
        lines.append(f"read back {result.restored_segments} of this device's own segments the ledger did not have "
                     "(restored from a backup?)")
    return lines


def _when(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC") if ms else "-"


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
@click.pass_context
def devices(click_ctx: click.Context, ctx: Context, as_json) -> None:
    """This device and every device seen through the synced folder.

    \b
    Examples:
      tokenlens devices --json
      tokenlens devices rename k3xq7m2a5bcdefgh "home desktop"
      tokenlens devices forget k3xq7m2a5bcdefgh
    """
    if click_ctx.invoked_subcommand is not None:
        return
    from tokenlens.permissions.rules import RISK_LEVELS
    from tokenlens.store.queries import devices_overview

    rows = devices_overview(ctx.db)
    for row in rows:
        if row["permissions"] is not None:
            row["permissions"] = dict(zip(("scanned_ms", *RISK_LEVELS), row["permissions"], strict=True))
    if as_json:
        _dump_json({"devices": rows})
        return
    if not rows:
        click.echo("no devices yet: `tokenlens sync --folder DIR` starts syncing")
        return
    for row in rows:
        mark = " (this device)" if row["this_device"] else " (forgotten)" if row["forgotten_ms"] else ""
        click.echo(f"{row['id']}  {row['name']}{mark}: {row['events']} events over {row['days_covered']} days, "
                   f"last segment {_when(row['last_segment_ms'])}")


def _known_device(ctx: Context, device_id: str) -> tuple:
    from tokenlens.store.queries import device_row

    row = device_row(ctx.db, device_id)
    if row is None:
        from tokenlens.store.queries import devices_overview

        known = ", ".join(r["id"] for r in devices_overview(ctx.db)) or "none"
        raise UserError(f"unknown device id {device_id!r}; known: {known}")
    return row


@devices.command()
@click.argument("device_id", metavar="ID")
@pass_ctx
def forget(ctx: Context, device_id) -> None:
    """Remove exactly what device ID brought; its segments are not read again.

    \b
    Example:
      tokenlens devices forget k3xq7m2a5bcdefgh
    """
    from tokenlens.store import rollup, writes
    from tokenlens.store.queries import sync_config
    from tokenlens.store.writer import write_transaction

    _known_device(ctx, device_id)
    config = sync_config(ctx.db)
    if config and config[1] == device_id:
        raise UserError("that is this device; its own usage is its logs' and stays")
    with write_transaction(ctx.db):
        removed = writes.forget_device(ctx.db, device_id, int(time.time() * 1000))
        rollup.resum(ctx.db)
    click.echo(f"tokenlens: forgot device {device_id}: removed {removed} events it brought; "
               "the other devices' segments are read again at the next sync", err=True)


@devices.command()
@click.argument("device_id", metavar="ID")
@click.argument("name")
@pass_ctx
def rename(ctx: Context, device_id, name) -> None:
    """Call device ID NAME (this device: on every device, from the next sync).

    \b
    Example:
      tokenlens devices rename k3xq7m2a5bcdefgh "home desktop"
    """
    from tokenlens.store import writes
    from tokenlens.store.writer import write_transaction

    _known_device(ctx, device_id)
    if not name.strip():
        raise UserError("a device name cannot be empty")
    with write_transaction(ctx.db):
        writes.set_local_name(ctx.db, device_id, name.strip())
    click.echo(f"tokenlens: device {device_id} is now {name.strip()!r}", err=True)
