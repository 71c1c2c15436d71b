"""Codex's function-call names, sorted into tokenlens.actions' categories."""

from __future__ import annotations

from tokenlens.actions import classify_command, command_text

CODEX_TOOLS = {
    "shell": "shell", "shell_command": "shell", "exec_command": "shell", "local_shell": "shell",
    "write_stdin": "shell", "container.exec": "shell",
    "apply_patch": "edit", "edit_file": "edit", "write_file": "edit",
    "read_file": "read", "list_dir": "read", "grep_files": "read", "view_image": "read",
    "web_search": "web", "web_fetch": "web",
}


def classify_codex(name: str, arguments) -> str:
    if "__" in name or name.startswith("mcp"):
        return "mcp"
    category = CODEX_TOOLS.get(name, "other")
    if category == "shell" and isinstance(arguments, dict):
        return classify_command(command_text(arguments.get("command") or arguments.get("cmd")))
    return category
