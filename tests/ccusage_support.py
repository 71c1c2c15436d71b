"""ccusage 20.0.24 beside tokenlens, for the parity tests: where it is, and both run alike
over one home (same environment, daily figures in UTC, JSON). Holds no tests.

ccusage is in bench/node_modules (scripts/test.sh installs it), or at $CCUSAGE. In CI a missing
ccusage fails the parity tests; elsewhere it skips them. `--offline` keeps ccusage off the
network; the tests themselves open no socket.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CCUSAGE = Path(os.environ.get("CCUSAGE") or ROOT / "bench" / "node_modules" / ".bin" / "ccusage")


def require_ccusage() -> None:
    if CCUSAGE.exists() and shutil.which("node"):
        return
    why = "ccusage is not installed in bench/node_modules (scripts/test.sh installs it)"
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def parity_env(home: Path) -> dict[str, str]:
    """Only this home, UTC and no colour: for ccusage and tokenlens alike."""
    return {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "TZ": "UTC", "NO_COLOR": "1"}


def ccusage(home: Path, *args: str) -> dict:
    """`ccusage ARGS --json --offline -z UTC` over `home`, parsed."""
    out = subprocess.run([str(CCUSAGE), *args, "--json", "--offline", "-z", "UTC"], env=parity_env(home),
                         cwd=home, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def tokenlens_report(home: Path, data: Path, tool: str) -> dict:
    """`tokenlens report daily --json --tz UTC --tool TOOL` over `home`, parsed."""
    out = subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(data), "report", "daily", "--json",
                          "--tz", "UTC", "--tool", tool], env=parity_env(home), cwd=home, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout)
