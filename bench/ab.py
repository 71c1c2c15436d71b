"""Same-run A/B of two tokenlens checkouts' first scans (the machine is shared; only
alternating runs of the old and the new code in one go say what a change costs).

    git worktree add /tmp/tl-old <commit>        # the old code, next to this one
    .venv/bin/python bench/ab.py /tmp/tl-old . --history bench/out/h200MB-dense [--runs 5]

Each checkout runs as `python -m tokenlens` with its own source on PYTHONPATH (the same
interpreter and installed libraries), against a fresh ledger each time; ccusage runs in the
same rotation when it is installed. Prints median wall and CPU seconds per checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CCUSAGE, ccusage_cmd, run, tool_env  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--history", type=Path, required=True, help="a corpus dir from generate.py (has home/)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    env = tool_env((args.history / "home").resolve())
    times: dict[str, list] = {str(c): [] for c in args.checkouts}
    if CCUSAGE.exists():
        times["ccusage"] = []
    work = Path(tempfile.mkdtemp(prefix="tokenlens-ab-"))
    try:
        for i in range(args.runs):
            for checkout in args.checkouts:
                data = work / f"d{i}"
                run_env = {**env, "PYTHONPATH": str(checkout.resolve())}
                times[str(checkout)].append(run([sys.executable, "-m", "tokenlens", "--data-dir", str(data), "scan", "--json"],
                                                run_env))
                shutil.rmtree(data)
            if "ccusage" in times:
                times["ccusage"].append(run(ccusage_cmd(), env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, runs in times.items():
        wall = statistics.median(r.seconds for r in runs)
        cpu = statistics.median(r.cpu_seconds for r in runs)
        rss = max(r.max_rss_mb for r in runs)
        print(f"{name}: wall {wall:.2f} s, CPU {cpu:.2f} s, max RSS {rss:.0f} MB (median of {len(runs)})")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
