"""The built wheel carries the icons and entry points, and works from a clean venv.

Offline and fast: the wheel is built with the venv's own setuptools (--no-build-isolation),
and the fresh venv borrows the dependencies of the dev venv through a path file instead of
downloading them; tokenlens itself comes only from the wheel (checked)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import setuptools

    if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) < (70, 1):
        pytest.fail("setuptools>=70.1 is needed to build offline (pip install -e '.[test]')")
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy: an in-tree build/ dir would race with anyone else building here.
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "tokenlens", src / "tokenlens", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", dist, src])
    (built,) = dist.glob("tokenlens-*.whl")
    return built


@pytest.fixture(scope="module")
def clean_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "v"
    base_python = getattr(sys, "_base_executable", sys.executable)
    run([base_python, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # Dependencies only: a plain path entry, so the dev venv's editable tokenlens hook never runs.
    (site / "zz_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel])
    return venv


def clean_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "TOKENLENS_DATA_DIR": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }


def test_wheel_contains_every_icon(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "tokenlens" / "resources").iterdir()
        if p.suffix in {".png", ".svg"}
    )
    assert len(shipped) >= 9 + 4  # nine app icon sizes and the SVGs
    missing = [name for name in shipped if name not in names]
    assert not missing, f"icons missing from the wheel: {missing}"
    assert "tokenlens/resources/__init__.py" in names


def test_wheel_declares_console_and_gui_scripts(wheel):
    with zipfile.ZipFile(wheel) as zf:
        (entry_points,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = zf.read(entry_points).decode()
    console, _, gui = text.partition("[gui_scripts]")
    assert "tokenlens = tokenlens.cli:main" in console.split("[console_scripts]", 1)[1]
    assert "tokenlens-gui = tokenlens.cli:gui_main" in gui
    assert "tokenlens-desktop = tokenlens.desktop:main" in console


def test_installed_wheel_runs_help_and_version_from_a_clean_venv(clean_venv, tmp_path):
    env = clean_env(tmp_path)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    tokenlens = clean_venv / "bin" / "tokenlens"
    assert (clean_venv / "bin" / "tokenlens-gui").is_file()

    out = run([tokenlens, "--version"], env=env, cwd=tmp_path).stdout
    assert out.strip() == f"tokenlens, version {version}"
    help_text = run([tokenlens, "--help"], env=env, cwd=tmp_path).stdout
    for command in ("scan", "report", "sources", "doctor"):
        assert f"\n  {command} " in help_text
    assert "Example" in run([tokenlens, "report", "--help"], env=env, cwd=tmp_path).stdout
    assert "Example" in run([clean_venv / "bin" / "tokenlens-desktop", "--help"], env=env, cwd=tmp_path).stdout
    out = run([clean_venv / "bin" / "python", "-m", "tokenlens", "--version"], env=env, cwd=tmp_path).stdout
    assert out.strip() == f"tokenlens, version {version}"


def test_installed_wheel_finds_its_icons_inside_the_venv(clean_venv, tmp_path):
    code = (
        "import tokenlens, tokenlens.resources as r;"
        "print(tokenlens.__file__); print(r.icon_path('tokenlens-512.png')); print(r.tray_icon_path(True))"
    )
    lines = run([clean_venv / "bin" / "python", "-c", code], env=clean_env(tmp_path), cwd=tmp_path).stdout.split()
    for line in lines:
        path = Path(line)
        assert path.is_file()
        assert path.is_relative_to(clean_venv), f"{path} does not come from the installed wheel"
    assert Path(lines[1]).read_bytes() == (ROOT / "tokenlens" / "resources" / "tokenlens-512.png").read_bytes()
