"""Interleaved A/B: median wall time of `tokenlens scan` (a first scan, then a warm one) on an
empty HOME, for two tokenlens executables (e.g. main's venv and a branch's): what discovering
every registered tool costs when none is installed.

    python bench/empty_home.py OLD/.venv/bin/tokenlens NEW/.venv/bin/tokenlens 21
"""

import statistics
import subprocess
import sys
import tempfile
import time

exes = sys.argv[1:3]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 15
res = {e: ([], []) for e in exes}
for _ in range(n):
    for e in exes:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"HOME": tmp, "PATH": "/usr/bin:/bin"}
            for bucket in res[e]:
                t = time.perf_counter()
                subprocess.run([e, "--data-dir", tmp + "/d", "scan"], env=env, check=True, capture_output=True)
                bucket.append(time.perf_counter() - t)
for e, (f, w) in res.items():
    print(f"{e}: first {statistics.median(f)*1000:.0f} ms, warm {statistics.median(w)*1000:.0f} ms (n={n})")
