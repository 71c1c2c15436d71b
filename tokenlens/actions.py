"""What agents actually did: a tool call sorted into a category, whatever the tool.

Each tool's own call names are mapped in `tokenlens/tools/<tool>/actions.py`; shell commands
come here. Only the category and a risky flag leave; the command text is looked at here, in
memory, and never returned or stored.
"""

from __future__ import annotations

import re

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
