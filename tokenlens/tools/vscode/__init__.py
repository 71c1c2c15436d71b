"""VS Code and GitHub Copilot Chat in it: the editors' user folders (VS Code, Insiders, VSCodium)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs

PRODUCTS = ("Code", "Code - Insiders", "VSCodium")


def user_dirs(env: Env, products=PRODUCTS) -> list[Path]:
    portable = env.get("VSCODE_PORTABLE")
    dirs = [Path(portable) / "user-data" / "User"] if portable else []
    return dirs + [base / "User" for product in products for base in editor_dirs(env, product)]


def homes(env: Env) -> list[Path]:
    return [*user_dirs(env), env.home / ".vscode"]


WHY_NO_LOCAL_DATA = (
    "Copilot Chat in VS Code writes no per-request token log (extensions that show numbers estimate them)"
)

# Grants keep the id "vscode" (snapshots have always used it); usage is Copilot Chat's.
TOOL = Tool(__name__, "vscode-copilot-chat", "GitHub Copilot Chat (VS Code)", homes, why_no_local_data=WHY_NO_LOCAL_DATA,
            installed_at=lambda env: [user / "globalStorage" / "github.copilot-chat" for user in user_dirs(env, ("Code",))],
            permissions=True, grant_id="vscode")
