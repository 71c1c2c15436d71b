"""`tokenlens --version`, `python -m tokenlens`, and an example in every command's --help."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import click
from click.testing import CliRunner

from tokenlens.cli import cli

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def all_commands(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from all_commands(command, click.Context(command, parent=ctx, info_name=name), path)


def test_version_matches_pyproject():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"tokenlens, version {VERSION}"


def test_every_command_has_help_with_an_example(tmp_path):
    ctx = click.Context(cli, info_name="tokenlens")
    paths = [path for path, _ in all_commands(cli, ctx)]
    assert {("scan",), ("report",), ("sources",), ("doctor",)} <= set(paths)
    runner = CliRunner()
    lacking = []
    for path in [(), *paths]:
        result = runner.invoke(cli, ["--data-dir", str(tmp_path / "d"), *path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        shown = " ".join(("tokenlens", *path))
        # An example that shows this very command, not just any text that says "Example".
        if "Example" not in result.output or shown not in result.output.split("Example", 1)[1]:
            lacking.append(shown)
    assert not lacking, f"--help without an example of the command itself: {lacking}"


def test_python_dash_m_tokenlens_runs_the_cli(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tokenlens", "--version"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tokenlens, version {VERSION}"
