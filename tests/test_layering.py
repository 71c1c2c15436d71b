"""design.md's layering: the core (everything outside tokenlens/app/) never imports Qt, so the
CLI, the scan and the export run on a machine without a display or PySide6."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import tokenlens


def core_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(tokenlens.__path__, "tokenlens.")]
    return sorted(n for n in names if not n.startswith("tokenlens.app") and n != "tokenlens.__main__")


def test_the_core_is_most_of_the_package():
    modules = core_modules()
    assert {"tokenlens.ingest", "tokenlens.sources.claude_code", "tokenlens.permissions.scan",
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
SQL_OUTSIDE_STORE_ALLOWED = {
    "ingest.py",  # moved by the ingest split (to store/writer.py): temporary, remove with it
}


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
