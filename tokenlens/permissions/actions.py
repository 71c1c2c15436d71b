"""What agents actually did: each tool call from a usage log sorted into a category.

Only the category and a risky flag leave this module; the command text is looked at here,
in memory, and never returned or stored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tokenlens.store import queries

CATEGORIES = ("shell", "edit", "read", "web", "mcp", "deploy", "destructive", "other")
RISKY = {"deploy", "destructive"}

DESTRUCTIVE = re.compile(
    r"""(
      \brm\s+(-[a-zA-Z]*[rR][a-zA-Z]*f|-[a-zA-Z]*f[a-zA-Z]*[rR]|--recursive\s+--force|--force\s+--recursive)\b
    | \bgit\s+push\b[^;&|]*(\s-f\b|--force\b|--force-with-lease\b|\s\+\S)
    | \bgit\s+(reset\s+--hard|clean\s+-[a-zA-Z]*f|branch\s+-D|checkout\s+--\s|filter-branch)\b
    | \b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b
    | (^|[;&|]\s*|\s)sudo\s
    | \b(doas|su)\s
    | \bmkfs(\.\w+)?\b | \bdd\s+[^;&|]*\bof=/dev/ | \bshred\b | \bwipefs\b
    | \bchmod\s+(-R\s+)?(0?777|a\+rwx)\b | \bchown\s+-R\s
    | :\(\)\s*\{\s*:\|:&\s*\};:
    | \b(drop\s+(table|database)|truncate\s+table)\b
    | \bkubectl\s+delete\b | \bterraform\s+destroy\b | \bdocker\s+system\s+prune\b
    | >\s*/dev/sd[a-z]
    )""",
    re.IGNORECASE | re.VERBOSE,
)
DEPLOY = re.compile(
    r"""(
      \bgit\s+push\b
    | \b(npm|pnpm|yarn|cargo|gem|poetry|flit|hatch)\s+publish\b | \btwine\s+upload\b | \buv\s+publish\b
    | \bdocker\s+push\b | \bkubectl\s+(apply|rollout|set\s+image|scale)\b | \bhelm\s+(install|upgrade)\b
    | \bterraform\s+apply\b | \bpulumi\s+up\b | \bgh\s+(release\s+create|pr\s+merge|workflow\s+run)\b
    | \b(vercel|netlify|fly|flyctl|firebase|wrangler|serverless|sls|railway|heroku)\b[^;&|]*(\bdeploy\b|\s--prod\b|\bpublish\b|\brelease\b)
    | \bgcloud\b[^;&|]*\bdeploy\b | \baws\b[^;&|]*\b(deploy|s3\s+(cp|sync)|lambda\s+update)\b | \baz\b[^;&|]*\bdeploy\b
    | \bansible-playbook\b | \bcap\s+\w+\s+deploy\b | \bmake\s+(deploy|release|publish)\b
    | \b(sendmail|mail|mutt)\s
    )""",
    re.IGNORECASE | re.VERBOSE,
)

CLAUDE_TOOLS = {
    "bash": "shell", "bashoutput": "shell", "killshell": "shell", "powershell": "shell",
    "edit": "edit", "write": "edit", "multiedit": "edit", "notebookedit": "edit",
    "read": "read", "glob": "read", "grep": "read", "ls": "read", "notebookread": "read",
    "webfetch": "web", "websearch": "web",
}
CODEX_TOOLS = {
    "shell": "shell", "shell_command": "shell", "exec_command": "shell", "local_shell": "shell",
    "write_stdin": "shell", "container.exec": "shell",
    "apply_patch": "edit", "edit_file": "edit", "write_file": "edit",
    "read_file": "read", "list_dir": "read", "grep_files": "read", "view_image": "read",
    "web_search": "web", "web_fetch": "web",
}


# Every DESTRUCTIVE/DEPLOY branch needs one of these words (or a marker below) in the command.
# Checking words first skips the two big regexes for the usual `ls`/`pytest`/`cat` commands,
# which a first scan of a long history classifies by the ten thousand.
TRIGGER_WORDS = frozenset(
    "rm git curl wget sudo doas su mkfs dd shred wipefs chmod chown drop truncate kubectl terraform"
    " docker npm pnpm yarn cargo gem poetry flit hatch twine uv helm pulumi gh vercel netlify fly"
    " flyctl firebase wrangler serverless sls railway heroku gcloud aws az ansible-playbook cap make"
    " sendmail mail mutt".split()
)
TRIGGER_MARKS = (":(", "/dev/sd", "mkfs.")
_WORD_BREAKS = str.maketrans({c: " " for c in ";&|()<>`$\"'{}=\n\t"})


def _may_be_risky(command: str) -> bool:
    lowered = command.lower()
    if not TRIGGER_WORDS.isdisjoint(lowered.translate(_WORD_BREAKS).split()):
        return True
    return any(mark in lowered for mark in TRIGGER_MARKS)


def classify_command(command: str) -> str:
    """shell, deploy or destructive for one shell command line (compound commands included)."""
    if not _may_be_risky(command):
        return "shell"
    if DESTRUCTIVE.search(command):
        return "destructive"
    if DEPLOY.search(command):
        return "deploy"
    return "shell"


def command_text(value) -> str:
    """A command given as a string or an argv list (Codex wraps it: ["bash", "-lc", "..."])."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return ""


def classify_claude(name: str, tool_input) -> str:
    if name.startswith("mcp__"):
        return "mcp"
    category = CLAUDE_TOOLS.get(name.lower(), "other")
    if category == "shell" and isinstance(tool_input, dict):
        return classify_command(command_text(tool_input.get("command")))
    return category


def classify_codex(name: str, arguments) -> str:
    if "__" in name or name.startswith("mcp"):
        return "mcp"
    category = CODEX_TOOLS.get(name, "other")
    if category == "shell" and isinstance(arguments, dict):
        return classify_command(command_text(arguments.get("command") or arguments.get("cmd")))
    return category


# ---- the actions panel / report ---------------------------------------------------------


def daily_counts(db, days: int = 30, now_ms: int | None = None) -> list[dict]:
    """Per UTC day and category: calls, risky ones, and risky ones run without approval."""
    import time

    now = now_ms if now_ms is not None else int(time.time() * 1000)
    since = now - days * 86_400_000
    rows = queries.action_counts_per_day(db, since)
    return [
        {"day": datetime.fromtimestamp(day * 86400, tz=UTC).strftime("%Y-%m-%d"), "tool": tool, "category": category,
         "count": n, "risky": risky or 0, "risky_unattended": unattended or 0}
        for day, tool, category, n, risky, unattended in rows
    ]


def totals(db, days: int = 30, now_ms: int | None = None) -> dict[str, dict[str, int]]:
    """Per category over the window: {"shell": {"count": n, "risky": n, "risky_unattended": n}, ...}."""
    out: dict[str, dict[str, int]] = {}
    for row in daily_counts(db, days, now_ms):
        bucket = out.setdefault(row["category"], {"count": 0, "risky": 0, "risky_unattended": 0})
        for key in bucket:
            bucket[key] += row[key]
    return out
