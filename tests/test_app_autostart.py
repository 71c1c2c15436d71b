"""The Settings tab's "Start tokenlens when I log in", through `tokenlens.desktop`: the entry
it writes is valid (desktop-file-validate), runs the windowed `tokenlens-gui` of this install
with spec-quoted arguments, and the box shows what the desktop will really do at login
(a user entry with Hidden=true is off; a system-wide entry is on, and turning it off masks it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tokenlens.config import Env, load_settings

pytest.importorskip("PySide6")

GUI_SCRIPT = Path(sys.executable).parent / "tokenlens-gui"


@pytest.fixture
def xdg(tmp_path: Path, home: Path) -> dict[str, Path]:
    return {"config": tmp_path / "xdg-config", "system": tmp_path / "etc-xdg", "home": home}


@pytest.fixture
def make_tab(qtbot, xdg):
    from tokenlens.app.application import TokenlensApp

    made = []

    def make(data_dir: Path):
        env = Env(environ={"HOME": str(xdg["home"]), "XDG_CONFIG_HOME": str(xdg["config"]),
                           "XDG_CONFIG_DIRS": str(xdg["system"]), "PATH": os.environ.get("PATH", "")})
        app = TokenlensApp(data_dir, env)  # not started: the Settings tab is all these tests need
        made.append(app)
        return app.settings_tab

    yield make
    for app in made:
        app.shutdown()


def entry_fields(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def validate(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("desktop-file-validate is missing in CI (scripts/test.sh installs it)")
        pytest.skip("desktop-file-validate not installed")
    result = subprocess.run([tool, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_turning_it_on_writes_a_valid_entry_that_runs_the_gui_script(make_tab, xdg, tmp_path):
    if not GUI_SCRIPT.is_file():
        pytest.skip("tokenlens-gui is not installed next to this Python (pip install -e .)")
    assert not set(str(GUI_SCRIPT)) & set(" \\\"$`'"), "the expected line below assumes a plain path"
    data_dir = tmp_path / "my ledger"  # a space: the Exec argument must be quoted the spec's way
    tab = make_tab(data_dir)
    assert not tab.autostart.isChecked()
    tab.autostart.setChecked(True)

    entry = xdg["config"] / "autostart" / "tokenlens.desktop"
    fields = entry_fields(entry)
    # By hand from the Desktop Entry spec: double quotes around an argument with a space
    # (shell-style single quotes are not allowed there).
    assert fields["Exec"] == f'{GUI_SCRIPT} --data-dir "{data_dir}"'
    assert fields["TryExec"] == str(GUI_SCRIPT)
    assert fields["X-GNOME-Autostart-Delay"] == "5" and fields["Terminal"] == "false"
    validate(entry)
    assert load_settings(data_dir)["autostart"] is True

    tab.autostart.setChecked(False)
    assert not entry.exists()
    assert load_settings(data_dir)["autostart"] is False


def test_the_default_ledger_needs_no_data_dir_argument(make_tab, xdg, monkeypatch):
    from tokenlens.app import application

    default = xdg["home"] / "default-data"
    monkeypatch.setattr(application, "default_data_dir", lambda: default)
    tab = make_tab(default)
    tab.autostart.setChecked(True)
    exec_line = entry_fields(xdg["config"] / "autostart" / "tokenlens.desktop")["Exec"]
    assert "--data-dir" not in exec_line


def test_an_entry_turned_off_with_hidden_shows_as_off(make_tab, xdg, data_dir):
    entry = xdg["config"] / "autostart" / "tokenlens.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=tokenlens\nExec=tokenlens-gui\nHidden=true\n")
    assert not make_tab(data_dir).autostart.isChecked()


def test_a_system_wide_entry_shows_as_on_and_turning_it_off_masks_it(make_tab, xdg, data_dir):
    system = xdg["system"] / "autostart" / "tokenlens.desktop"
    system.parent.mkdir(parents=True)
    system.write_text("[Desktop Entry]\nType=Application\nName=tokenlens\nExec=tokenlens-gui\n")
    tab = make_tab(data_dir)
    assert tab.autostart.isChecked()

    tab.autostart.setChecked(False)
    user = xdg["config"] / "autostart" / "tokenlens.desktop"
    assert entry_fields(user).get("Hidden") == "true"  # deleting ours would not stop the system one
    validate(user)
    assert system.is_file()  # never touched
    assert not make_tab(data_dir).autostart.isChecked()


def test_a_failed_write_leaves_the_box_as_it_was(make_tab, xdg, data_dir):
    xdg["config"].mkdir(parents=True)
    (xdg["config"] / "autostart").write_text("a file where the folder should be")
    tab = make_tab(data_dir)
    tab.autostart.setChecked(True)
    assert not tab.autostart.isChecked()
    assert tab.autostart.toolTip().startswith("Could not change the login item: cannot write")
    assert "autostart" not in load_settings(data_dir)
