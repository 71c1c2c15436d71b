"""`tokenlens export` and `tokenlens team merge` (loaded lazily by tokenlens.cli)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tokenlens.cli import Context, UserError

pass_ctx = click.make_pass_decorator(Context)

NOISE_HELP = (
    "Add local privacy noise (randomized response; strict ε=1, default ε=2, lenient ε=4). "
    "The file then holds only a usage band, a cost band and the posture facts, each answered "
    "truthfully only with a stated probability, so no single file proves anything about you. "
    "Costs accuracy: per-tool and per-model figures are left out, and a team needs dozens of "
    "devices before the estimated counts mean much."
)


@click.command()
@click.option("--out", "out", type=click.Path(), metavar="FILE", help="Write the summary here (0600).")
@click.option("--period", default="last-week", show_default=True, metavar="last-week|last-month|YYYY-Www|YYYY-MM",
              help="The one week or month summarized; local calendar (see --tz).")
@click.option("--preview", is_flag=True, help="Print the exact bytes that would be written, and write nothing.")
@click.option("--noise", type=click.Choice(["strict", "default", "lenient"]), help=NOISE_HELP)
@click.option("--tz", metavar="ZONE", help="IANA time zone for the period's boundaries (default: local).")
@click.option("--no-scan", is_flag=True, help="Summarize the ledger as is, without reading new log lines.")
@click.option("--new-key", is_flag=True, help="Make a new device key first: later files cannot be linked to earlier ones.")
@click.option("--all-devices", is_flag=True,
              help="Sum all your devices synced with `tokenlens sync` (default: this device only); the file says so.")
@pass_ctx
def export(ctx: Context, out, period, preview, noise, tz, no_scan, new_key, all_devices) -> None:
    """Write an anonymized summary of one period, to hand to your team yourself.

    It holds coarse figures only (2 significant digits) per tool and per model family, the
    share of input served from cache, active days, your agents' permission posture as yes/no
    facts and counts, and a device pseudonym that changes every period. No project, path,
    session id, hostname, user name, e-mail, model version or timestamp. Whoever receives
    your file can still tell you sent it; only the team merge is de-identified.

    \b
    Examples:
      tokenlens export --preview
      tokenlens export --period 2026-W38 --out ~/week38.json
      tokenlens export --period last-month --noise default --out summary.json
    """
    from tokenlens.export.keys import KeyFileError, new_device_key
    from tokenlens.export.summary import ExportError, build_summary, log_export, write_summary

    if not (out or preview or new_key):
        raise UserError("choose --out FILE to write the summary, or --preview to see it")
    try:
        if new_key:
            key = new_device_key(ctx.data_dir)
            click.echo(f"tokenlens: new device key, kept in {key.detail}", err=True)
            if not (out or preview):
                return
        if not no_scan:
            ctx.scan()
        summary = build_summary(ctx.db, ctx.data_dir, period, tz=tz, noise=noise, all_devices=all_devices)
        if preview:
            sys.stdout.buffer.write(summary.data)
            sys.stdout.flush()
            covers = "all your devices" if all_devices else "this device only"
            click.echo(f"tokenlens: preview only, nothing written; covers {covers}; device key: {summary.key.detail}",
                       err=True)
            return
        write_summary(Path(out), summary.data)
        log_export(ctx.db, summary)
    except (ExportError, KeyFileError) as exc:
        raise UserError(str(exc)) from None
    click.echo(f"tokenlens: wrote {out} ({summary.period.label}, sha256 {summary.sha256[:12]}); "
               f"device key: {summary.key.detail}", err=True)


@click.group()
def team() -> None:
    """Combine summaries from several people into aggregates only.

    \b
    Example:
      tokenlens team merge a.json b.json c.json d.json e.json --out team-2026-11.json
    """


@team.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out", required=True, type=click.Path(), metavar="FILE", help="Where the merged aggregate goes.")
@click.option("--k", "k", default=5, show_default=True, type=int,
              help="Publish a cell only when at least k devices are in it (minimum 3).")
def merge(files, out, k) -> None:
    """Merge summaries of one period into team aggregates.

    Writes contributors and, per tool and model family, how many devices used it and the
    sum, median and quartiles; posture as counts ("3 of 8 devices ..."). Never a row per
    person, a pseudonym or a ranking. Cells with fewer than k devices are suppressed (and a
    second one where subtraction would reveal the first). A re-sent file from the same device
    and period replaces the earlier one.

    \b
    Example:
      tokenlens team merge alice.json bob.json carol.json ... --out team-2026-W38.json
    """
    from tokenlens.export.merge import MIN_K, MergeError, merge_files
    from tokenlens.export.summary import ExportError, write_summary

    if k < MIN_K:
        raise UserError(f"--k must be at least {MIN_K}")
    try:
        data = merge_files([Path(f) for f in files], k)
        write_summary(Path(out), data)
    except MergeError as exc:
        lines = str(exc).splitlines()
        for line in lines[:-1]:
            click.echo(f"tokenlens: {line}", err=True)
        raise UserError(lines[-1]) from None
    except ExportError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"tokenlens: wrote {out}", err=True)
