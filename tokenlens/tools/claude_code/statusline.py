"""What Claude Code hands a `statusLine` command on stdin, read for its plan-window readings.

Claude Code runs the command in settings.json's `statusLine` ({"type": "command", "command":
..., "padding": 0}) after each message, with a JSON object on stdin: `session_id`,
`transcript_path`, `cwd`, `model` ({id, display_name}), `workspace` ({current_dir,
project_dir}), `version`, `cost` ({total_cost_usd, ...}), `context_window`, and for Claude.ai
subscribers after the first response `rate_limits.five_hour` / `rate_limits.seven_day`, each
`{used_percentage, resets_at}` with `resets_at` in epoch seconds (Claude Code's status line
documentation, code.claude.com/docs/en/statusline, as quoted in issue 17). Any of these may be
absent (older versions, API-key users): what is there is recorded, nothing is required.

The account is the config dir the transcript lies in (`<dir>/projects/<project>/<id>.jsonl`),
or CLAUDE_CONFIG_DIR when the transcript says nothing; two Claude.ai accounts used in one
config dir (`/login`) cannot be told apart locally and share its windows.
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.limits import LimitReading

SOURCE = "claude-statusline"
TOOL = "claude-code"
WINDOWS = (("five_hour", "5h", 300), ("seven_day", "7d", 10080))
SKEW_MS = 60_000


def config_dir_of(transcript_path: object, configured: str | None) -> Path | None:
    if isinstance(transcript_path, str) and transcript_path:
        path = Path(transcript_path)
        if len(path.parents) >= 3 and path.parents[1].name == "projects":
            return path.parents[2]
    if configured:
        first = configured.split(":")[0]  # tokenlens reads a list there; the first is this one
        return Path(first).parent if Path(first).name == "projects" else Path(first)
    return None


def account_label(config_dir: Path | None, home: Path) -> str:
    if config_dir is None:
        return ""
    try:
        return "~/" + config_dir.relative_to(home).as_posix()
    except ValueError:
        return config_dir.as_posix()


def readings(payload: dict, now_ms: int, account: str) -> tuple[list[LimitReading], list[str]]:
    """(readings, why each unusable one was skipped) of one payload's `rate_limits`."""
    limits = payload.get("rate_limits")
    if not isinstance(limits, dict):
        return [], []
    found, skipped = [], []
    for name, window, minutes in WINDOWS:
        entry = limits.get(name)
        if not isinstance(entry, dict):
            continue
        used = entry.get("used_percentage")
        if isinstance(used, bool) or not isinstance(used, int | float) or used != used:
            skipped.append(f"rate_limits.{name}: used_percentage is not a number")
            continue
        if not 0 <= used <= 100:
            skipped.append(f"rate_limits.{name}: used_percentage {used:g} out of 0-100")
            continue
        reset_ms = _reset_ms(entry.get("resets_at"))
        if reset_ms is None and entry.get("resets_at") is not None:
            skipped.append(f"rate_limits.{name}: resets_at is not a time")
            continue
        if reset_ms is not None and reset_ms < now_ms - SKEW_MS:
            skipped.append(f"rate_limits.{name}: resets before it was read")
            continue
        if reset_ms is not None and reset_ms > now_ms + minutes * 60_000 + SKEW_MS:
            skipped.append(f"rate_limits.{name}: resets further ahead than the window is long")
            continue
        key = f"{reset_ms // 1000 if reset_ms is not None else 't' + str(now_ms)}:{float(used):g}"
        found.append(LimitReading(TOOL, window, minutes, now_ms, float(used), reset_ms, key, SOURCE, account,
                                  None, last_seen_ms=now_ms))
    return found, skipped


def _reset_ms(value: object) -> int | None:
    """Epoch seconds (a number or its digits); an ISO time is taken too, in case."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value * 1000) if value == value else None
    if isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return int(float(text) * 1000)
        from tokenlens.tools.source import BadLine, iso_to_ms

        try:
            return iso_to_ms(text)
        except BadLine:
            return None
    return None
