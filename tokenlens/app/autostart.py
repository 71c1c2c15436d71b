"""Start at login: the XDG autostart entry `$XDG_CONFIG_HOME/autostart/tokenlens.desktop`.

Written when the person turns the setting on, removed when they turn it off; nothing else
touches it. The entry runs the same `tokenlens` the person installed (or this Python with
`-m tokenlens`), with `--data-dir` only when a non-default ledger is in use.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from tokenlens.config import Env

FILENAME = "tokenlens.desktop"


def autostart_path(env: Env | None = None) -> Path:
    env = env or Env()
    return env.xdg("XDG_CONFIG_HOME", ".config") / "autostart" / FILENAME


def launch_command(data_dir: Path | None = None, default_data_dir: Path | None = None) -> list[str]:
    exe = shutil.which("tokenlens")
    command = [exe] if exe else [sys.executable, "-m", "tokenlens"]
    if data_dir is not None and data_dir != default_data_dir:
        command += ["--data-dir", str(data_dir)]
    return command


def desktop_entry(command: list[str]) -> str:
    # Exec quoting per the Desktop Entry spec: shlex-style quoting of each argument works
    # for paths with spaces; a literal % must be doubled.
    exec_line = " ".join(shlex.quote(part).replace("%", "%%") for part in command)
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=tokenlens",
            "Comment=Your AI coding tools' token usage, on this device only",
            f"Exec={exec_line}",
            "Icon=tokenlens",
            "Terminal=false",
            "Categories=Utility;Development;",
            "X-GNOME-Autostart-enabled=true",
            # Give the panel's tray host time to appear (activitywatch#258).
            "X-GNOME-Autostart-Delay=5",
            "",
        ]
    )


def enable(command: list[str], env: Env | None = None) -> Path:
    path = autostart_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(desktop_entry(command), encoding="utf-8")
    os.replace(tmp, path)
    return path


def disable(env: Env | None = None) -> None:
    autostart_path(env).unlink(missing_ok=True)


def is_enabled(env: Env | None = None) -> bool:
    return autostart_path(env).is_file()
