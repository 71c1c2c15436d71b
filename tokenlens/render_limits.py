"""`tokenlens limits` as text: one line per window, its calibration under it."""

from __future__ import annotations

import time

import click

from tokenlens.numbers import format_cost, format_tokens


def ago(ms: int, now_ms: int) -> str:
    minutes = max(0, now_ms - ms) // 60_000
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def local(ms: int, now_ms: int) -> str:
    at, now = time.localtime(ms / 1000), time.localtime(now_ms / 1000)
    same_day = (at.tm_year, at.tm_yday) == (now.tm_year, now.tm_yday)
    return time.strftime("%H:%M" if same_day else "%a %d %b %H:%M", at)


def window_line(s, now_ms: int) -> str:
    who = s.tool + (f" {s.account}" if s.account else "") + (f" ({s.plan})" if s.plan else "")
    if s.state == "reset":
        return f"{who}  {s.window}: reset since the last reading ({ago(s.last_seen_ms, now_ms)}), use unknown"
    text = f"{who}  {s.window}: {s.used_percent:.1f}% used"
    if s.resets_at_ms is not None:
        text += f", resets {local(s.resets_at_ms, now_ms)}"
    text += f", seen {ago(s.last_seen_ms, now_ms)}"
    if s.state == "stale":
        text += " (stale)"
    if s.pace == "full_at" and s.pace_full_at_ms is not None:
        text += f"; at the pace of the {s.pace_basis}: 100% at {local(s.pace_full_at_ms, now_ms)}"
    elif s.pace == "not_before_reset":
        text += f"; at the pace of the {s.pace_basis}: not full before the reset"
    return text


def calibration_lines(s) -> list[str]:
    out = []
    for c in [c for c in s.calibration if c.family != "all"] or list(s.calibration):
        family = "all models" if c.family == "all" else c.family
        span = f"{format_tokens(c.low)}–{format_tokens(c.high)}" if c.high is not None else f"at least {format_tokens(c.low)}"
        money = f", {format_cost(c.usd_per_percent)} API-equivalent" if c.usd_per_percent is not None else ""
        out.append(f"    about {format_tokens(c.tokens_per_percent)} tokens ({family}) per 1% ({span}{money};"
                   f" {c.instances} window{'s' if c.instances != 1 else ''})")
    return out


def print_limits(states: list, now_ms: int) -> None:
    if not states:
        click.echo("No plan-window readings yet. Codex writes them in its rollouts; for Claude Code run"
                   " `tokenlens statusline install`.")
        return
    for s in states:
        click.echo(window_line(s, now_ms))
        for line in calibration_lines(s):
            click.echo(line)
