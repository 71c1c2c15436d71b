"""design.md's layering: the core (everything outside tokenlens/app/) never imports Qt, so the
CLI, the scan and the export run on a machine without a display or PySide6."""

from __future__ import annotations

import os
import pkgutil
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import tokenlens


def core_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(tokenlens.__path__, "tokenlens.")]
    return sorted(n for n in names if not n.startswith("tokenlens.app") and n != "tokenlens.__main__")


def test_the_core_is_most_of_the_package():
    modules = core_modules()
    assert {"tokenlens.ingest", "tokenlens.tools.claude_code.usage", "tokenlens.permissions.scan",
            "tokenlens.export.summary", "tokenlens.store.ledger"} <= set(modules)


def test_no_core_module_imports_qt():
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# ---- one query layer (issue 15): SQL over the ledger lives in tokenlens/store/ ----------

PACKAGE = Path(tokenlens.__file__).parent
LEDGER_SQL = re.compile(r"\b(FROM|JOIN)\s+(events|files|perm_scans)\b", re.IGNORECASE)
SQL_OUTSIDE_STORE_ALLOWED: set[str] = set()


def _modules_outside_store() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "store")


def test_ledger_sql_lives_in_the_store():
    offenders = []
    for path in _modules_outside_store():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in SQL_OUTSIDE_STORE_ALLOWED:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LEDGER_SQL.search(line):
                offenders.append(f"tokenlens/{rel}:{n}: {line.strip()}")
    assert not offenders, "SQL over the ledger outside tokenlens/store/ (use store/queries.py):\n" + "\n".join(offenders)


def test_the_known_exceptions_still_hold_sql():
    """An allow-list entry whose module no longer has SQL is stale: drop it."""
    for rel in SQL_OUTSIDE_STORE_ALLOWED:
        path = PACKAGE / rel
        if path.exists():
            assert LEDGER_SQL.search(path.read_text(encoding="utf-8")), f"{rel} has no ledger SQL: drop it from the list"


# ---- risk levels defined once (issue 15): tokenlens.permissions.rules.RISK_LEVELS ---------

LEVEL_LITERAL = re.compile(r"""["'](high|medium|low|info|critical)["']""")


def test_risk_levels_are_defined_only_in_the_rules():
    """A line naming two or more levels as string literals (a tuple, a set, a dict, an `in`
    test) is a second definition; the levels' order and names come from RISK_LEVELS.
    "critical" is the spec's word, shown as "high": no module may treat it as a level."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "permissions/rules.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            levels = set(LEVEL_LITERAL.findall(line))
            if len(levels) >= 2 or "critical" in levels:
                offenders.append(f"tokenlens/{rel}:{n}: {line.strip()}")
    assert not offenders, "risk levels defined outside permissions/rules.py:\n" + "\n".join(offenders)


def test_the_rules_define_the_four_levels():
    from tokenlens.permissions.rules import RISK_LEVELS, RULES, at_least

    assert RISK_LEVELS == ("high", "medium", "low", "info")
    assert {rule.risk for rule in RULES.values()} <= set(RISK_LEVELS)
    assert at_least("high") == ("high",) and at_least("info") == RISK_LEVELS


# ---- no optional-feature scaffolding (issue 15): a broken import fails loudly --------------

IMPORT_GUARD = re.compile(r"except\b.*\b(ImportError|ModuleNotFoundError)\b")
# Where an import may be caught: only around a truly optional third-party library, with a
# comment on the `except` line naming it. (module path, library). Every feature of tokenlens
# is in every build; the one guarded import is zstd, in the standard library from Python 3.14
# (`compression.zstd`) and the `zstandard` package (a dependency) before it.
OPTIONAL_LIBRARIES: set[tuple[str, str]] = {("tools/zed/usage.py", "zstandard")}


def test_no_import_is_swallowed_except_an_optional_library():
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not IMPORT_GUARD.search(line):
                continue
            allowed = [lib for where, lib in OPTIONAL_LIBRARIES if where == rel and lib in line.partition("#")[2]]
            assert allowed, (f"tokenlens/{rel}:{n} catches an import error: {line.strip()}\n"
                             "import it plainly (lazily inside a function if start-up time matters), or list"
                             " the optional third-party library here and name it in a comment on that line")
            found.add((rel, allowed[0]))
    assert found == OPTIONAL_LIBRARIES, f"stale allow-list entries: {OPTIONAL_LIBRARIES - found}"


def test_report_starts_without_the_feature_packages():
    """`tokenlens report` stays fast: the permissions and export code, sqlite-utils and Qt are
    imported by the commands that need them, not at start-up (on a ledger already migrated)."""
    code = (
        "import sys\n"
        "sys.argv = ['tokenlens', 'report', 'daily', '--json', '--no-scan']\n"
        "from tokenlens.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('tokenlens.permissions.', 'tokenlens.export.', 'sqlite_utils', 'PySide6')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "TOKENLENS_DATA_DIR": os.path.join(home, "data")}
        # The first run creates the ledger (its migrations need sqlite-utils); then start-up.
        for _ in range(2):
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr
