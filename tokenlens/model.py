"""The records that flow from sources into the ledger, with one meaning of every token field.

Token semantics (docs/design.md): input_tokens is fresh uncached input; cache reads and cache
writes are separate buckets; output_tokens includes reasoning; reasoning_tokens is the
informational part of output spent reasoning. total = input + cache_read + cache_write + output.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class UsageEvent:
    tool: str
    event_key: str  # stable across re-parses, file moves and archive copies
    ts_ms: int  # UTC epoch milliseconds
    model: str
    session_id: str = ""
    project: str = ""
    provider: str = ""
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    reported_cost_usd: float | None = None
    # When two lines share an event_key, the one with the higher rank is kept (ties: the later).
    rank: int = 0
    # A replayed copy (e.g. a Claude sidechain repeating its parent's message) is dropped
    # whenever an original with the same replay_key is in the ledger.
    replay_key: str | None = None
    is_replay: bool = False
    fast_mode: bool = False

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens + self.output_tokens


@dataclass(slots=True)
class Skip:
    """A line a parser could not use, with where it was and why (never its content)."""

    offset: int
    reason: str


TOKEN_FIELDS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "total_tokens",
)


@dataclass(slots=True)
class Action:
    """One tool call an agent made (a shell command, an edit, a web fetch...), as counts only.

    The command's text is never kept: only its category and whether it looked risky.
    """

    tool: str
    action_key: str  # stable id, e.g. Claude's tool_use id or Codex's call_id
    ts_ms: int
    category: str  # shell, edit, read, web, mcp, deploy, destructive, other
    session_id: str = ""
    risky: bool = False
    # True when the agent ran it without asking (auto-approve / bypass mode at the time).
    unattended: bool = False


@dataclass(slots=True)
class Grant:
    """One permission an AI tool's config gives its agent, rated by `tokenlens.permissions.rules`.

    `value` is display-safe: secrets in it are already replaced by `<secret>`; a change of a
    secret shows only through `fingerprint` (a keyed HMAC, never the secret itself).
    """

    tool: str  # claude-code, codex, gemini-cli, ...
    scope: str  # "global", or the project path the grant applies to
    kind: str  # approval_mode, sandbox, network, allowed_tool, denied_tool, command_pattern, trusted_folder, mcp_server, hook, ...
    subject: str  # what the grant is about: a setting name, a tool rule, a server name, a folder
    value: str  # its setting, secrets redacted
    source_file: str  # the config file it was read from (home shown as ~)
    risk: str = "info"  # high, medium, low, info
    rule: str = ""  # id of the row in the rules table that set `risk`
    hint: str = ""  # one line on how to tighten it
    fingerprint: str = ""  # HMAC of secret material behind `value`, so a rotated token is noticed
    since_ms: int | None = None  # earliest evidence the grant existed (filled from snapshot history)
