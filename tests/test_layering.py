"""design.md's layering: the core (everything outside tokenlens/app/) never imports Qt, so the
CLI, the scan and the export run on a machine without a display or PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

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
