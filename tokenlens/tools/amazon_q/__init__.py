"""Amazon Q Developer CLI (`q`): `~/.aws/amazonq` (agents in `cli-agents/`, MCP servers in
`mcp.json`); a project's `.amazonq/` (aws/amazon-q-developer-cli crates/chat-cli/src/util/
paths.rs). Its conversations are in `<data dir>/amazon-q/data.sqlite3`, which is not read."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return [env.home / ".aws" / "amazonq"]


# crates/chat-cli/src/cli/chat/token_counter.rs and cli/usage/usage_data_provider.rs: the
# figures `/usage` shows are the current context's characters divided by four.
WHY_NO_LOCAL_DATA = ("Amazon Q Developer CLI keeps no API token counts: its /usage figures are estimates "
                     "(characters / 4) of the current context")

TOOL = Tool(__name__, "amazon-q", "Amazon Q Developer CLI", homes, why_no_local_data=WHY_NO_LOCAL_DATA,
            permissions=True, launch_flags=("q chat --trust-all-tools",))
