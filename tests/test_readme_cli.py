"""README.md's "Command line" block is the real CLI: every command and subcommand (the lazily
loaded `permissions`, `export` and `team` included) and every one of their long options is
named there, and the block names nothing the CLI lacks. `python -m tokenlens --help` lists
every command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tokenlens.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DESIGN = ROOT / "docs" / "design.md"
UNIVERSAL = {"--help"}  # every command has it; the block does not repeat it


def readme_block(text: str, heading: str = "## Command line") -> str:
    section = text.split(heading, 1)[1]
    match = re.search(r"```[^\n]*\n(.*?)```", section, re.S)
    assert match, f"no code block under {heading!r}"
    return match.group(1)


def readme_entries(block: str) -> dict[tuple[str, ...], str]:
    """{command path: its synopsis} from the block: a line starting `tokenlens` begins an
    entry, an indented line continues it, `# ...` is a comment (it may mention options)."""
    entries: list[tuple[tuple[str, ...], list[str]]] = []
    for raw in block.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.startswith("tokenlens"):
            words = line.split()[1:]
            path = []
            for word in words:  # command words come first: lower-case, no brackets or dashes
                if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
                    break
                path.append(word)
            entries.append((tuple(path), [line]))
        else:
            assert raw[:1].isspace() and entries, f"README block line outside an entry: {raw!r}"
            entries[-1][1].append(line.strip())
    result: dict[tuple[str, ...], str] = {}
    for path, lines in entries:
        result[path] = (result.get(path, "") + " " + " ".join(lines)).strip()
    return result


def long_options(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def real_commands(group: click.Group = cli, ctx: click.Context | None = None, prefix=()):
    """{path: command} for the root and every command below it, however deep."""
    ctx = ctx or click.Context(cli, info_name="tokenlens")
    found = {prefix: group}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = (*prefix, name)
        found[path] = command
        if isinstance(command, click.Group):
            found.update(real_commands(command, click.Context(command, parent=ctx, info_name=name), path))
    return found


def real_options(command: click.Command) -> set[str]:
    names = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names |= {o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")}
    return names - UNIVERSAL


def choices(command: click.Command) -> list[str]:
    return [c for p in command.params if isinstance(p.type, click.Choice) for c in p.type.choices]


def mismatches(commands: dict, entries: dict) -> list[str]:
    problems = []
    for path, command in commands.items():
        shown = " ".join(("tokenlens", *path))
        options = real_options(command)
        if path not in entries:
            # A group with no options of its own is named by its subcommands' entries.
            named_below = any(p[: len(path)] == path and len(p) > len(path) for p in entries)
            if not (isinstance(command, click.Group) and not options and named_below):
                problems.append(f"{shown}: not in the README block")
            continue
        synopsis = entries[path]
        documented = long_options(synopsis)
        problems += [f"{shown}: {o} not in the README block" for o in sorted(options - documented)]
        problems += [f"{shown}: README names {o}, which the CLI lacks" for o in sorted(documented - options)]
        problems += [f"{shown}: choice {c!r} not in the README block" for c in choices(command)
                     if not re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", synopsis)]
    problems += [f"README names `{' '.join(('tokenlens', *p))}`, which the CLI lacks"
                 for p in entries if p not in commands]
    return problems


def test_the_cli_has_the_commands_the_walk_must_find():
    paths = set(real_commands())
    assert {(), ("scan",), ("report",), ("sources",), ("doctor",), ("permissions",), ("export",),
            ("team",), ("team", "merge")} <= paths


def test_readme_command_block_matches_the_cli():
    entries = readme_entries(readme_block(README.read_text(encoding="utf-8")))
    assert mismatches(real_commands(), entries) == []


def test_the_design_documents_cli_contract_matches_the_cli():
    entries = readme_entries(readme_block(DESIGN.read_text(encoding="utf-8"), "## CLI contract"))
    assert mismatches(real_commands(), entries) == []


@pytest.mark.parametrize("doc", [README, DESIGN], ids=lambda p: p.name)
def test_relative_links_stay_inside_the_repository(doc):
    """A clone has no ../shared/specs: every relative link resolves to a file in the repo."""
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/specs" not in text
    for target in re.findall(r"\]\(([^)#\s]+)\)", text):
        if "://" in target:
            continue
        resolved = (doc.parent / target).resolve()
        assert resolved.is_relative_to(ROOT) and resolved.exists(), target


def test_an_undocumented_option_is_caught(monkeypatch):
    """The check bites: an option the README does not name, or one it names that is gone."""
    commands = real_commands()
    entries = readme_entries(readme_block(README.read_text(encoding="utf-8")))
    before = set(mismatches(commands, entries))

    def new_problems():
        return set(mismatches(commands, entries)) - before

    scan = commands[("scan",)]
    params = scan.params
    monkeypatch.setattr(scan, "params", [*params, click.Option(["--frobnicate"], is_flag=True)])
    assert new_problems() == {"tokenlens scan: --frobnicate not in the README block"}
    monkeypatch.setattr(scan, "params", [p for p in params if "--json" not in p.opts])
    assert new_problems() == {"tokenlens scan: README names --json, which the CLI lacks"}
    monkeypatch.setattr(scan, "params", params)
    entries = {**entries, ("frob",): "tokenlens frob"}
    assert new_problems() == {"README names `tokenlens frob`, which the CLI lacks"}


@pytest.mark.parametrize("argv", [["--help"], ["-h"]])
def test_python_dash_m_tokenlens_help_lists_every_command(tmp_path, argv):
    env = {**os.environ, "HOME": str(tmp_path), "TOKENLENS_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "tokenlens", *argv], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("Commands:", 1)[1]
    top = sorted(path[0] for path in real_commands() if len(path) == 1)
    assert [line.split()[0] for line in listed.strip().splitlines()] == top
