"""Desktop integration without Qt: the launcher entry, "start at login", and the icon theme.

Linux follows the freedesktop specs: a launcher in `$XDG_DATA_HOME/applications`, icons in
`$XDG_DATA_HOME/icons/hicolor`, and autostart in `$XDG_CONFIG_HOME/autostart`, where a user
entry of the same name wins over a system one in `$XDG_CONFIG_DIRS/autostart` and
`Hidden=true` turns it off (masking the system entry too). macOS uses a LaunchAgent plist and
Windows the per-user `Run` registry key; those paths are written portably but only the Linux
one is exercised by the tests here.

A wheel or pipx install cannot register a launcher by itself, hence `install_launcher`
(`tokenlens-desktop install`), which writes an entry with the absolute command.
"""

from __future__ import annotations

import configparser
import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tokenlens import resources
from tokenlens.config import Env

APP_ID = "io.github.tokenlens"  # AppStream component id and macOS LaunchAgent label
DESKTOP_FILE = "tokenlens.desktop"  # the desktop-id the metainfo's <launchable> names
ICON_NAME = "tokenlens"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
WINDOWS_RUN_VALUE = "tokenlens"

_NAME = "tokenlens"
_GENERIC_NAME = "AI Usage Ledger"
_COMMENT = "Your AI coding tools' token usage and agent permissions, kept on this device"
_CATEGORIES = "Development;"
_KEYWORDS = "tokens;AI;LLM;usage;cost;Claude;Codex;permissions;"
# Characters that force quoting of an Exec argument (Desktop Entry Specification, "Exec key").
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


class DesktopError(Exception):
    """A one-line reason the desktop integration could not be changed."""


Command = str | os.PathLike | Sequence[str | os.PathLike]


def _argv(command: Command) -> list[str]:
    if isinstance(command, (str, os.PathLike)):
        return [os.fspath(command)]
    argv = [os.fspath(part) for part in command]
    if not argv:
        raise ValueError("empty command")
    return argv


def _exec_arg(arg: str) -> str:
    if any(c in arg for c in "\n\r"):
        raise ValueError(f"a command argument cannot hold a line break: {arg!r}")
    if arg and not any(c in _EXEC_RESERVED for c in arg):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    # '%' starts a field code; then the value itself is a desktop-entry string, where '\' escapes.
    return quoted.replace("%", "%%").replace("\\", "\\\\")


def _string_value(text: str) -> str:
    """A desktop-entry string value (TryExec is a plain path, not an Exec-style command)."""
    if any(c in text for c in "\n\r"):
        raise ValueError(f"a desktop-entry value cannot hold a line break: {text!r}")
    return text.replace("\\", "\\\\")


def exec_line(command: Command) -> str:
    """The value of an `Exec=` key that runs `command` exactly (quoted per the spec)."""
    return " ".join(_exec_arg(arg) for arg in _argv(command))


def _entry(fields: list[tuple[str, str]]) -> str:
    return "[Desktop Entry]\n" + "".join(f"{key}={value}\n" for key, value in fields)


def _common_fields(command: Command) -> list[tuple[str, str]]:
    argv = _argv(command)
    return [
        ("Type", "Application"),
        ("Version", "1.4"),  # the newest desktop-file-validate on Debian 12 knows
        ("Name", _NAME),
        ("GenericName", _GENERIC_NAME),
        ("Comment", _COMMENT),
        ("Exec", exec_line(argv)),
        # TryExec hides the entry once the program is uninstalled (pipx uninstall).
        ("TryExec", _string_value(argv[0])),
        ("Icon", ICON_NAME),
        ("Terminal", "false"),
        ("Categories", _CATEGORIES),
        ("Keywords", _KEYWORDS),
        ("StartupNotify", "false"),
    ]


def launcher_entry(exec_path: Command = "tokenlens-gui") -> str:
    """The application-menu entry (`packaging/tokenlens.desktop` is this with the default)."""
    return _entry(_common_fields(exec_path))


def autostart_entry(exec_path: Command = "tokenlens-gui") -> str:
    """The "start at login" entry (`packaging/tokenlens-autostart.desktop` is this with the
    default). `exec_path` is a program path or an argv list; see `gui_command()`."""
    return _entry(
        [
            *_common_fields(exec_path),
            ("X-GNOME-Autostart-enabled", "true"),
            # Give the panel's tray host time to appear, or the icon may land nowhere.
            ("X-GNOME-Autostart-Delay", "5"),
            ("X-KDE-autostart-after", "panel"),
        ]
    )


def gui_command() -> list[str]:
    """The command that starts this very install's tray app, as absolute paths."""
    if getattr(sys, "frozen", False):  # PyInstaller bundle: the executable is the app
        return [sys.executable]
    bin_dir = Path(sys.executable).parent
    for name in ("tokenlens-gui", "tokenlens-gui.exe"):
        script = bin_dir / name
        if script.is_file():
            return [str(script)]
    found = shutil.which("tokenlens-gui")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "tokenlens"]


def host_environment(environ: dict[str, str] | None = None, frozen: bool | None = None) -> dict[str, str]:
    """The environment for starting a host program (xdg-open, a file manager) from the app.

    A PyInstaller bundle points LD_LIBRARY_PATH (LIBPATH on AIX) at its own libraries and
    keeps the person's value in *_ORIG; a host program must get the person's value back,
    or it may load the bundle's Qt or libstdc++ and crash."""
    env = dict(os.environ if environ is None else environ)
    if not (getattr(sys, "frozen", False) if frozen is None else frozen):
        return env
    for name in ("LD_LIBRARY_PATH", "LIBPATH"):
        original = env.pop(name + "_ORIG", None)
        if original is not None:
            env[name] = original
        else:
            env.pop(name, None)
    return env


# ---- Linux / freedesktop ----------------------------------------------------------------


def autostart_file(env: Env) -> Path:
    return env.xdg("XDG_CONFIG_HOME", ".config") / "autostart" / DESKTOP_FILE


def system_autostart_files(env: Env) -> list[Path]:
    dirs = env.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    return [Path(d) / "autostart" / DESKTOP_FILE for d in dirs.split(":") if d]


def _read_entry(path: Path) -> dict[str, str] | None:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",), comment_prefixes=("#",))
    parser.optionxform = str  # keys are case-sensitive in desktop entries
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return dict(parser["Desktop Entry"]) if parser.has_section("Desktop Entry") else None


def _entry_starts(fields: dict[str, str] | None) -> bool:
    if fields is None:
        return False
    if fields.get("Hidden", "").strip().lower() == "true":
        return False
    return fields.get("X-GNOME-Autostart-enabled", "true").strip().lower() != "false"


def _effective_autostart_entry(env: Env) -> Path | None:
    for path in [autostart_file(env), *system_autostart_files(env)]:
        if path.is_file():
            return path  # the first one found by name wins, user dir first
    return None


def _write_text(path: Path, text: str, mode: int = 0o644) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise DesktopError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _xdg_autostart_enabled(env: Env) -> bool:
    path = _effective_autostart_entry(env)
    return path is not None and _entry_starts(_read_entry(path))


def _xdg_enable_autostart(env: Env, command: Command) -> Path:
    path = autostart_file(env)
    _write_text(path, autostart_entry(command))
    return path


def _xdg_disable_autostart(env: Env) -> Path | None:
    path = autostart_file(env)
    system_entries = [p for p in system_autostart_files(env) if p.is_file()]
    if system_entries:
        # Deleting ours would let the system entry start the app: mask it instead.
        _write_text(path, _entry([("Type", "Application"), ("Name", _NAME), ("Hidden", "true")]))
        return path
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise DesktopError(f"cannot remove {path}: {exc.strerror or exc}") from exc
    return None


def data_home(env: Env) -> Path:
    return env.xdg("XDG_DATA_HOME", ".local/share")


def launcher_file(env: Env) -> Path:
    return data_home(env) / "applications" / DESKTOP_FILE


def _icon_targets(env: Env) -> dict[Path, Path]:
    """Shipped icon file -> where it goes in the user's hicolor theme."""
    hicolor = data_home(env) / "icons" / "hicolor"
    targets = {
        src: hicolor / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        for size, src in resources.app_icon_pngs().items()
    }
    targets[resources.icon_path(resources.APP_ICON_SVG)] = hicolor / "scalable" / "apps" / f"{ICON_NAME}.svg"
    symbolic = resources.TRAY_ICON_FOR_LIGHT_PANEL
    targets[resources.icon_path(f"{symbolic}.svg")] = hicolor / "symbolic" / "apps" / f"{symbolic}.svg"
    return targets


def install_launcher(env: Env, command: Command | None = None) -> list[Path]:
    """Put tokenlens in the application menu of this user, with its icons. Returns what was written."""
    written = []
    for src, dest in _icon_targets(env).items():
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        except OSError as exc:
            raise DesktopError(f"cannot copy icon to {dest}: {exc.strerror or exc}") from exc
        written.append(dest)
    path = launcher_file(env)
    _write_text(path, launcher_entry(command or gui_command()))
    written.append(path)
    return written


def uninstall_launcher(env: Env) -> list[Path]:
    removed = []
    for path in [launcher_file(env), *_icon_targets(env).values()]:
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


# ---- macOS and Windows -----------------------------------------------------------------


def launch_agent_file(env: Env) -> Path:
    return env.home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"


def launch_agent_plist(command: Command) -> bytes:
    """A per-user LaunchAgent that starts the app once at login (not kept alive: quitting
    from the tray must stay quit)."""
    return plistlib.dumps(
        {"Label": APP_ID, "ProgramArguments": _argv(command), "RunAtLoad": True, "ProcessType": "Interactive"}
    )


def windows_run_command(command: Command) -> str:
    """The command line stored under HKCU\\...\\Run (quoted the way CreateProcess parses it)."""
    return subprocess.list2cmdline(_argv(command))


def _windows_run_key(write: bool):
    import winreg  # only exists on Windows

    access = winreg.KEY_SET_VALUE if write else winreg.KEY_QUERY_VALUE
    return winreg, winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY, 0, access)


# ---- one interface for every platform ----------------------------------------------------


def autostart_enabled(env: Env, platform: str = sys.platform) -> bool:
    if platform == "darwin":
        return launch_agent_file(env).is_file()
    if platform == "win32":
        winreg, key = _windows_run_key(write=False)
        try:
            winreg.QueryValueEx(key, WINDOWS_RUN_VALUE)
            return True
        except FileNotFoundError:
            return False
        finally:
            winreg.CloseKey(key)
    return _xdg_autostart_enabled(env)


def enable_autostart(env: Env, command: Command | None = None, platform: str = sys.platform) -> str:
    """Start tokenlens at login; returns where that is recorded (a path or a registry value)."""
    command = command or gui_command()
    if platform == "darwin":
        path = launch_agent_file(env)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(launch_agent_plist(command))
        except OSError as exc:
            raise DesktopError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return str(path)
    if platform == "win32":
        winreg, key = _windows_run_key(write=True)
        try:
            winreg.SetValueEx(key, WINDOWS_RUN_VALUE, 0, winreg.REG_SZ, windows_run_command(command))
        finally:
            winreg.CloseKey(key)
        return f"HKEY_CURRENT_USER\\{WINDOWS_RUN_KEY}\\{WINDOWS_RUN_VALUE}"
    return str(_xdg_enable_autostart(env, command))


def disable_autostart(env: Env, platform: str = sys.platform) -> None:
    if platform == "darwin":
        launch_agent_file(env).unlink(missing_ok=True)
        return
    if platform == "win32":
        winreg, key = _windows_run_key(write=True)
        try:
            winreg.DeleteValue(key, WINDOWS_RUN_VALUE)
        except FileNotFoundError:
            pass  # already off
        finally:
            winreg.CloseKey(key)
        return
    _xdg_disable_autostart(env)


def main(argv: Sequence[str] | None = None) -> int:
    """`tokenlens-desktop {install,uninstall,autostart-on,autostart-off,autostart-status}`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="tokenlens-desktop",
        description="Add tokenlens to this user's application menu and login items.",
        epilog="Example: tokenlens-desktop install   (then look for tokenlens in the menu)",
    )
    parser.add_argument("action", choices=["install", "uninstall", "autostart-on", "autostart-off", "autostart-status"])
    args = parser.parse_args(argv)
    env = Env()
    try:
        if args.action == "install":
            for path in install_launcher(env):
                print(path)
        elif args.action == "uninstall":
            for path in uninstall_launcher(env):
                print(f"removed {path}")
        elif args.action == "autostart-on":
            print(enable_autostart(env))
        elif args.action == "autostart-off":
            disable_autostart(env)
        else:
            print("on" if autostart_enabled(env) else "off")
    except DesktopError as exc:
        print(f"tokenlens: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
