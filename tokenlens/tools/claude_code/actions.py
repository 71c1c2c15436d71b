"""Claude Code's tool names (`tool_use` blocks), sorted into tokenlens.actions' categories."""

from __future__ import annotations

from tokenlens.actions import classify_command, command_text

CLAUDE_TOOLS = {
    "bash": "shell", "bashoutput": "shell", "killshell": "shell", "powershell": "shell",
    "edit": "edit", "write": "edit", "multiedit": "edit", "notebookedit": "edit",
    "read": "read", "glob": "read", "grep": "read", "ls": "read", "notebookread": "read",
    "webfetch": "web", "websearch": "web",
}


def classify_claude(name: str, tool_input) -> str:
    if name.startswith("mcp__"):
        return "mcp"
    category = CLAUDE_TOOLS.get(name.lower(), "other")
    if category == "shell" and isinstance(tool_input, dict):
        return classify_command(command_text(tool_input.get("command")))
    return category
