"""Capture what the CLI prints at 80 and 120 columns, as a person's terminal shows it.

The same generated history as scripts/screenshots.py (real Claude Code and Codex JSONL, agent
configs) in a throwaway HOME; each command runs in a detached tmux session of the given
size and the pane is saved as text:

    .venv/bin/python scripts/terminal_captures.py [OUT_DIR]

writes OUT_DIR/terminal-<command>-<columns>.txt (default OUT_DIR: docs/screenshots).
tmux runs on a socket of its own (-L), so it never touches the person's tmux server; the
server ends with its last session.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.screenshots import agent_configs, generate  # noqa: E402

COMMANDS = {
    "report-daily": "report daily",
    "report-by-tool": "report daily --by tool",
    "permissions": "permissions",
    "sources": "sources",
}
WIDTHS = (80, 120)
SOCKET = "tokenlens-captures"
DONE = "__capture_done__"


def capture(command: str, columns: int, environ: dict[str, str]) -> str:
    """`command` run in a tmux pane `columns` wide; the whole pane, scrollback included."""
    session = f"cap{os.getpid()}x{columns}"
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environ.items())
    # COLUMNS unset: the CLI must find the width from the terminal itself, as it does for a person.
    shell = f"unset COLUMNS LINES; export {exports}; {command}; echo {DONE}; sleep 600"
    tmux = ["tmux", "-L", SOCKET]
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", str(columns), "-y", "50", shell], check=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = subprocess.run([*tmux, "capture-pane", "-p", "-S", "-", "-t", session],
                                  capture_output=True, text=True, check=True).stdout
            if DONE in text:
                return text.split(DONE)[0].rstrip() + "\n"
            time.sleep(0.2)
        raise SystemExit(f"{command!r} did not finish within 120 s")
    finally:
        subprocess.run([*tmux, "kill-session", "-t", session], check=False)


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenlens = REPO / ".venv" / "bin" / "tokenlens"
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        generate(home, days=200)
        agent_configs(home)
        environ = {"HOME": str(home), "TOKENLENS_DATA_DIR": str(data), "TERM": "xterm-256color",
                   "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "NO_COLOR": "1"}
        subprocess.run([str(tokenlens), "scan"], env=environ, check=True, capture_output=True)
        for name, args in COMMANDS.items():
            for columns in WIDTHS:
                text = capture(f"{shlex.quote(str(tokenlens))} {args}", columns, environ)
                widest = max((len(line) for line in text.splitlines()), default=0)
                (out_dir / f"terminal-{name}-{columns}.txt").write_text(f"$ tokenlens {args}\n{text}")
                print(f"{name} at {columns} columns: {len(text.splitlines())} lines, widest {widest}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
