"""Desktop integration: the shipped .desktop/AppStream files pass the freedesktop validators,
generated entries run the exact command (checked by GLib, an independent parser), autostart
follows the XDG rules, and the icons are what they claim to be and readable on their panels."""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tokenlens import desktop, resources
from tokenlens.config import Env

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "tokenlens" / "resources"
METAINFO = PACKAGING / "io.github.tokenlens.metainfo.xml"


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing in CI (scripts/test.sh installs it)")
    pytest.skip(f"{name} not installed")


def validate_desktop_file(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [require_tool("desktop-file-validate"), str(path)], capture_output=True, text=True
    )


def read_entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line and not line.startswith("#"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def env_for(tmp_path: Path, **extra: str) -> Env:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return Env(environ={"HOME": str(home), **extra})


# ---- the shipped files --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tokenlens.desktop", "tokenlens-autostart.desktop"])
def test_shipped_desktop_files_pass_desktop_file_validate(name):
    result = validate_desktop_file(PACKAGING / name)
    assert result.returncode == 0, result.stdout + result.stderr
    # Not even a hint: a warning-free file is what distributions ask for.
    assert result.stdout.strip() == "", result.stdout


def test_shipped_desktop_files_are_what_the_code_writes():
    # The app's "start at login" writes autostart_entry(); the shipped file must not drift.
    assert (PACKAGING / "tokenlens.desktop").read_text() == desktop.launcher_entry("tokenlens-gui")
    assert (PACKAGING / "tokenlens-autostart.desktop").read_text() == desktop.autostart_entry("tokenlens-gui")


def test_shipped_launcher_runs_the_gui_script_declared_in_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry = read_entry(PACKAGING / "tokenlens.desktop")
    assert entry["Exec"] in pyproject["project"]["gui-scripts"]
    assert entry["Icon"] == "tokenlens"
    assert (RESOURCES / "tokenlens.svg").is_file()


def test_autostart_entry_waits_for_the_panel():
    entry = read_entry(PACKAGING / "tokenlens-autostart.desktop")
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert int(entry["X-GNOME-Autostart-Delay"]) > 0
    assert entry["X-KDE-autostart-after"] == "panel"
    assert "Hidden" not in entry


def test_metainfo_passes_appstreamcli_validate():
    result = subprocess.run(
        [require_tool("appstreamcli"), "validate", "--no-net", "--pedantic", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation was successful" in result.stdout


def test_metainfo_points_at_the_shipped_launcher_icon_and_version():
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == desktop.APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == "tokenlens.desktop"
    assert (PACKAGING / root.findtext("launchable")).is_file()
    assert root.findtext("icon[@type='stock']") == read_entry(PACKAGING / "tokenlens.desktop")["Icon"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert root.find("releases/release").get("version") == pyproject["project"]["version"]
    assert root.findtext("project_license") == pyproject["project"]["license"]


def test_metainfo_screenshots_exist_in_docs():
    urls = [img.text for img in ET.parse(METAINFO).getroot().iter("image")]
    assert urls, "no screenshots in the metainfo"
    names = [re.search(r"/docs/screenshots/([^/]+\.png)$", url).group(1) for url in urls]
    shots = ROOT / "docs" / "screenshots"
    if not shots.is_dir():
        pytest.skip("docs/screenshots/ not generated yet")
    missing = [n for n in names if not (shots / n).is_file()]
    assert not missing, f"metainfo names screenshots that docs/screenshots lacks: {missing}"


# ---- entries the code writes -------------------------------------------------------------


TRICKY_DIR = 'opt/my apps/a$b`c"d\\e'


def test_exec_line_quotes_per_the_spec():
    # Worked out by hand from the Desktop Entry Specification: quote, backslash-escape
    # " ` $ \ inside quotes, double '%', then escape '\' again as a string value.
    assert desktop.exec_line(["/usr/bin/tokenlens-gui"]) == "/usr/bin/tokenlens-gui"
    assert desktop.exec_line(["/a b/x", "--y"]) == '"/a b/x" --y'
    assert desktop.exec_line(['/a$b"c']) == '"/a\\\\$b\\\\"c"'
    assert desktop.exec_line(["50%"]) == "50%%"
    assert desktop.exec_line(["a\\b"]) == '"a\\\\\\\\b"'
    assert desktop.exec_line([""]) == '""'
    with pytest.raises(ValueError):
        desktop.exec_line(["a\nb"])


def test_generated_entry_with_a_hostile_path_validates(tmp_path):
    path = tmp_path / "x.desktop"
    path.write_text(desktop.autostart_entry([f"/{TRICKY_DIR}/tokenlens-gui", "--flag", "50%"]))
    result = validate_desktop_file(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_glib_launches_the_exact_command_the_entry_names(tmp_path):
    """GLib (`gio launch`), not our code, parses the Exec line: the argv must arrive intact."""
    gio = require_tool("gio")
    program_dir = tmp_path / "my apps" / "a$b'c"
    program_dir.mkdir(parents=True)
    out = tmp_path / "argv.txt"
    program = program_dir / "tokenlens gui"
    program.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "{out}"\n')
    program.chmod(0o755)
    args = ["--flag", 'a\\b"c', "50%", "$HOME", "it's `x`"]
    entry = tmp_path / "tokenlens.desktop"
    entry.write_text(desktop.autostart_entry([str(program), *args]))
    subprocess.run([gio, "launch", str(entry)], check=True, timeout=20, capture_output=True)
    for _ in range(100):
        if out.is_file() and out.read_text().count("\n") == len(args):
            break
        import time

        time.sleep(0.05)
    assert out.read_text().splitlines() == args


def test_try_exec_is_the_plain_program_path():
    entry = desktop.autostart_entry(["/opt/my apps/tokenlens-gui", "--x"])
    assert "\nTryExec=/opt/my apps/tokenlens-gui\n" in entry


# ---- autostart on Linux ------------------------------------------------------------------


def test_enable_writes_the_user_autostart_entry_and_disable_removes_it(tmp_path):
    env = env_for(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_CONFIG_DIRS=str(tmp_path / "etc"))
    target = tmp_path / "cfg" / "autostart" / "tokenlens.desktop"
    assert not desktop.autostart_enabled(env, platform="linux")

    where = desktop.enable_autostart(env, ["/opt/tl/tokenlens-gui"], platform="linux")
    assert where == str(target)
    assert read_entry(target)["Exec"] == "/opt/tl/tokenlens-gui"
    assert desktop.autostart_enabled(env, platform="linux")
    assert validate_desktop_file(target).returncode == 0

    desktop.disable_autostart(env, platform="linux")
    assert not target.exists()
    assert not desktop.autostart_enabled(env, platform="linux")
    desktop.disable_autostart(env, platform="linux")  # twice is fine


def test_autostart_dir_defaults_to_home_config(tmp_path):
    env = env_for(tmp_path)
    desktop.enable_autostart(env, ["/bin/true"], platform="linux")
    assert (tmp_path / "home" / ".config" / "autostart" / "tokenlens.desktop").is_file()


def test_disabling_masks_a_system_entry_with_hidden(tmp_path):
    etc = tmp_path / "etc"
    (etc / "autostart").mkdir(parents=True)
    (etc / "autostart" / "tokenlens.desktop").write_text((PACKAGING / "tokenlens-autostart.desktop").read_text())
    env = env_for(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_CONFIG_DIRS=f"/nonexistent:{etc}")
    assert desktop.autostart_enabled(env, platform="linux")  # the system entry starts it

    desktop.disable_autostart(env, platform="linux")
    user = tmp_path / "cfg" / "autostart" / "tokenlens.desktop"
    assert read_entry(user)["Hidden"] == "true"
    assert validate_desktop_file(user).returncode == 0
    assert not desktop.autostart_enabled(env, platform="linux")

    desktop.enable_autostart(env, ["/bin/true"], platform="linux")
    assert desktop.autostart_enabled(env, platform="linux")


@pytest.mark.parametrize(
    "text, starts",
    [
        ("[Desktop Entry]\nType=Application\nName=t\nExec=t\n", True),
        ("[Desktop Entry]\nType=Application\nName=t\nExec=t\nHidden=true\n", False),
        ("[Desktop Entry]\nType=Application\nName=t\nExec=t\nX-GNOME-Autostart-enabled=false\n", False),
        ("garbage without a group\n", False),
        ("[Desktop Entry]\nName[de]=t\nExec=t\n# comment\n", True),
    ],
)
def test_autostart_state_follows_what_the_user_file_says(tmp_path, text, starts):
    env = env_for(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_CONFIG_DIRS=str(tmp_path / "etc"))
    path = desktop.autostart_file(env)
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert desktop.autostart_enabled(env, platform="linux") is starts


def test_unwritable_autostart_dir_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "cfg"
    blocker.write_text("a file where a directory should be")
    env = env_for(tmp_path, XDG_CONFIG_HOME=str(blocker))
    with pytest.raises(desktop.DesktopError, match="cannot write"):
        desktop.enable_autostart(env, ["/bin/true"], platform="linux")


# ---- autostart on macOS and Windows (generated text only; no such OS here) ----------------


def test_macos_launch_agent_runs_the_command_once_at_login(tmp_path):
    env = env_for(tmp_path)
    command = ["/Applications/tokenlens.app/Contents/MacOS/tokenlens"]
    where = desktop.enable_autostart(env, command, platform="darwin")
    plist_path = tmp_path / "home" / "Library" / "LaunchAgents" / "io.github.tokenlens.plist"
    assert where == str(plist_path)
    plist = plistlib.loads(plist_path.read_bytes())
    assert plist["ProgramArguments"] == command
    assert plist["RunAtLoad"] is True
    assert "KeepAlive" not in plist  # quitting from the tray must stay quit
    assert desktop.autostart_enabled(env, platform="darwin")
    desktop.disable_autostart(env, platform="darwin")
    assert not plist_path.exists()


def test_windows_run_value_quotes_paths_with_spaces():
    command = [r"C:\Program Files\tokenlens\tokenlens.exe", "--x"]
    assert desktop.windows_run_command(command) == r'"C:\Program Files\tokenlens\tokenlens.exe" --x'


# ---- the launcher and icons in the user's data dir ---------------------------------------


def test_install_launcher_puts_entry_and_icons_in_the_hicolor_theme(tmp_path):
    data = tmp_path / "data"
    env = env_for(tmp_path, XDG_DATA_HOME=str(data))
    written = desktop.install_launcher(env, ["/opt/tl/tokenlens-gui"])

    launcher = data / "applications" / "tokenlens.desktop"
    assert launcher in written
    assert read_entry(launcher)["Exec"] == "/opt/tl/tokenlens-gui"
    assert validate_desktop_file(launcher).returncode == 0
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        icon = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "tokenlens.png"
        assert png_size(icon) == (size, size)
    assert (data / "icons/hicolor/scalable/apps/tokenlens.svg").read_bytes() == (RESOURCES / "tokenlens.svg").read_bytes()
    assert (data / "icons/hicolor/symbolic/apps/tokenlens-symbolic.svg").is_file()

    removed = desktop.uninstall_launcher(env)
    assert sorted(removed) == sorted(written)
    assert not any(p.exists() for p in written)


def test_gui_command_names_this_installs_gui_script():
    command = desktop.gui_command()
    script = Path(sys.executable).parent / "tokenlens-gui"
    if script.is_file():
        assert command == [str(script)]
    else:
        assert command[1:] in ([], ["-m", "tokenlens"])


def test_desktop_module_cli_toggles_autostart(tmp_path):
    environ = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CONFIG_DIRS": str(tmp_path / "etc")}

    def run(action: str) -> str:
        result = subprocess.run([sys.executable, "-m", "tokenlens.desktop", action], env=environ, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run("autostart-status") == "off"
    assert run("autostart-on") == str(tmp_path / "cfg" / "autostart" / "tokenlens.desktop")
    assert run("autostart-status") == "on"
    run("autostart-off")
    assert run("autostart-status") == "off"


def test_host_environment_undoes_the_bundles_library_path():
    frozen_env = {"LD_LIBRARY_PATH": "/opt/tl/_internal:/usr/local/lib", "LD_LIBRARY_PATH_ORIG": "/usr/local/lib", "PATH": "/usr/bin"}
    assert desktop.host_environment(frozen_env, frozen=True) == {"LD_LIBRARY_PATH": "/usr/local/lib", "PATH": "/usr/bin"}
    # The person had none: the bundle's must not leak either.
    assert desktop.host_environment({"LD_LIBRARY_PATH": "/opt/tl/_internal", "PATH": "/usr/bin"}, frozen=True) == {"PATH": "/usr/bin"}
    # Not frozen: untouched (the person's own value stays).
    assert desktop.host_environment({"LD_LIBRARY_PATH": "/x"}, frozen=False) == {"LD_LIBRARY_PATH": "/x"}


def test_core_modules_here_do_not_import_qt():
    code = "import sys, tokenlens.desktop, tokenlens.resources; print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


# ---- icons ----------------------------------------------------------------------------------


def test_every_app_icon_png_has_its_size():
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        assert png_size(resources.icon_path(f"tokenlens-{size}.png")) == (size, size)
    assert sorted(resources.app_icon_pngs()) == [16, 22, 24, 32, 48, 64, 128, 256, 512]


def test_icon_path_finds_files_inside_the_package():
    path = resources.icon_path("tokenlens.svg")
    assert path == RESOURCES / "tokenlens.svg"
    with pytest.raises(FileNotFoundError, match="nope.png"):
        resources.icon_path("nope.png")
    for bad in ("../cli.py", "", ".hidden", "a/b.png"):
        with pytest.raises(ValueError):
            resources.icon_path(bad)


@pytest.mark.parametrize("name", ["tokenlens.svg", "tokenlens-small.svg", "tokenlens-symbolic.svg", "tokenlens-symbolic-light.svg"])
def test_svgs_are_well_formed_and_square(name):
    root = ET.parse(RESOURCES / name).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = root.get("viewBox").split()
    assert width == height


def test_symbolic_icons_are_single_colour():
    for name in ("tokenlens-symbolic.svg", "tokenlens-symbolic-light.svg"):
        colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', (RESOURCES / name).read_text()))
        assert len(colours) == 1, (name, colours)


def test_panel_is_dark_by_luminance():
    # Relative luminance (sRGB, WCAG): black 0, white 1, #808080 about 0.216, #595959 about 0.100.
    assert resources.panel_is_dark(0, 0, 0)
    assert resources.panel_is_dark(0x59, 0x59, 0x59)
    assert not resources.panel_is_dark(0x80, 0x80, 0x80)
    assert not resources.panel_is_dark(255, 255, 255)
    assert resources.panel_is_dark(0x30, 0x30, 0x60)  # a typical dark blue panel


def _pixels(path: Path, min_alpha: int = 255, over=None):
    """Pixels with at least `min_alpha`, composited over the `over` colour if given."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), path
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() < min_alpha:
                continue
            rgb = (c.red(), c.green(), c.blue())
            if over is not None:
                a = c.alpha() / 255
                rgb = tuple(round(v * a + p * (1 - a)) for v, p in zip(rgb, over, strict=True))
            yield rgb


def _glyph_pixels(path: Path):
    return _pixels(path, 255)


def _luminance(rgb) -> float:
    def linear(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("panel", [(0x24, 0x24, 0x24), (0x3c, 0x3f, 0x41), (0xf0, 0xf0, 0xf0), (0xde, 0xdd, 0xda)])
@pytest.mark.parametrize("size", [16, 22, 24, 32, 48])
def test_tray_glyph_is_readable_on_its_panel(qapp, panel, size):
    dark = resources.panel_is_dark(*panel)
    # "Ink": pixels at least 5/8 covered, as the panel shows them (glyph blended over it).
    ink = list(_pixels(resources.tray_icon_path(dark, size), min_alpha=160, over=panel))
    assert len(ink) >= size * size // 8, f"only {len(ink)} solid pixels at {size} px"
    lp = _luminance(panel)
    for rgb in ink:
        lg = _luminance(rgb)
        contrast = (max(lg, lp) + 0.05) / (min(lg, lp) + 0.05)
        # WCAG 2.1 asks 3:1 for graphical objects that carry meaning (1.4.11).
        assert contrast >= 3, (size, panel, rgb, round(contrast, 2))


def test_tray_pngs_are_rendered_from_their_svg_colour(qapp):
    for dark in (True, False):
        svg_colour = re.search(r'fill="#([0-9a-fA-F]{6})"', resources.tray_icon_path(dark).read_text()).group(1)
        expected = tuple(int(svg_colour[i : i + 2], 16) for i in (0, 2, 4))
        for size in (16, 22, 24, 32, 48):
            pixels = list(_glyph_pixels(resources.tray_icon_path(dark, size)))
            assert max(set(pixels), key=pixels.count) == expected
    with pytest.raises(ValueError):
        resources.tray_icon_path(True, 17)


def _near(a, b, tolerance=24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("size", [16, 22, 24, 32])
def test_small_app_icon_keeps_lens_handle_bars_and_background(qapp, size):
    """At small sizes every part must still own solid pixels of its own colour."""
    pixels = list(_glyph_pixels(resources.icon_path(f"tokenlens-{size}.png")))
    parts = {
        "lens ring (white)": (0xFF, 0xFF, 0xFF),
        "handle (amber)": (0xF7, 0xB7, 0x33),
        "tallest bar (green)": (0x5E, 0xD3, 0x9B),
        "lens glass (dark)": (0x10, 0x1A, 0x44),
    }
    for part, colour in parts.items():
        assert sum(_near(p, colour) for p in pixels) >= 2, f"{part} lost at {size} px"
