"""Sync cost for a year of heavy use: the 1 GB history's events through a synced folder.

    .venv/bin/python bench/sync_bench.py [--history bench/out/h1GB] [--out bench/out/sync]

The history is bench/generate.py's (`--size 1GB`; made here when missing). Device A scans it
into a fresh ledger, then is timed for its first sync (every event into segments), a sync
with nothing new, and a sync after ~1000 new events; the folder's size is measured. Device B
(an empty ledger, another data dir) is timed joining the folder, which means the key
derivation (scrypt, measured apart) and importing A's whole year. Everything runs in this
process through tokenlens.sync.engine, as the CLI and the app call it; keys go to 0600 files
(the keyring is not what is measured).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench passphrase"


def folder_bytes(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", default=str(ROOT / "bench/out/h1GB"))
    parser.add_argument("--out", default=str(ROOT / "bench/out/sync"))
    args = parser.parse_args()
    history, out = Path(args.history), Path(args.out)
    if not (history / "home").is_dir():
        subprocess.run([sys.executable, str(ROOT / "bench/generate.py"), "--size", "1GB", "--out", str(history)],
                       check=True)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    import keyring
    from keyring.backends.fail import Keyring

    keyring.set_keyring(Keyring())
    from tokenlens.config import Env
    from tokenlens.ingest import scan
    from tokenlens.store import open_ledger
    from tokenlens.sync import keys
    from tokenlens.sync.engine import sync
    from tokenlens.tools import all_sources

    folder = out / "Sync"
    folder.mkdir()
    env = Env(environ={"HOME": str(history / "home"), "PATH": os.environ.get("PATH", "")})
    a = open_ledger(out / "a")
    scan_s, _ = timed(lambda: scan(a, env, [s for s in all_sources() if s.id in ("claude-code", "codex")]))
    events = a.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    ask = lambda creating: PASSPHRASE  # noqa: E731
    first_s, first = timed(lambda: sync(a, out / "a", folder=folder, ask=ask, name="a"))
    size, nfiles = folder_bytes(folder / "tokenlens")
    idle = [timed(lambda: sync(a, out / "a", ask=ask))[0] for _ in range(5)]
    # ~1000 new events, as a busy day adds: copies of existing rows under new keys.
    a.execute("BEGIN IMMEDIATE")
    a.execute("INSERT INTO events (tool, event_key, ts_ms, model, input_tokens, output_tokens, total_tokens)"
              " SELECT tool, event_key || ':bench', ts_ms + 1, model, input_tokens, output_tokens, total_tokens"
              " FROM events ORDER BY id LIMIT 1000")
    a.execute("COMMIT")
    incr_s, incr = timed(lambda: sync(a, out / "a", ask=ask))
    data = keys.read_sync_json(folder / "tokenlens")
    kdf_s, _ = timed(lambda: keys.derive(PASSPHRASE, data["kdf"]))
    b = open_ledger(out / "b")
    join_s, joined = timed(lambda: sync(b, out / "b", folder=folder, ask=ask, name="b"))
    b_events = b.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    again_s, _ = timed(lambda: sync(b, out / "b", ask=ask))
    # A busy device syncing all day: 300 small segments of 100 new events each (the app syncs at
    # most every 2 minutes after scans), then a device joining reads them all.
    c = open_ledger(out / "c")
    sync(c, out / "c", folder=folder, ask=ask, name="c")
    for i in range(300):
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO events (tool, event_key, ts_ms, model, input_tokens, output_tokens, total_tokens)"
                  " SELECT tool, event_key || ':c' || ?, ts_ms + 2, model, input_tokens, output_tokens,"
                  " total_tokens FROM events WHERE device != '' ORDER BY id LIMIT 100 OFFSET ?", [i, i * 100])
        c.execute("COMMIT")
        sync(c, out / "c", ask=ask)
    d = open_ledger(out / "d")
    many_s, many = timed(lambda: sync(d, out / "d", folder=folder, ask=ask, name="d"))
    ledger_mb = lambda d: sum(p.stat().st_size for p in (out / d).glob("ledger.db*")) / 1e6  # noqa: E731

    rows = [
        ("history", f"{history.name}: {events:,} events (first scan {scan_s:.2f} s)"),
        ("first sync of the whole year (device A)",
         f"{first_s:.2f} s, {first.events_sent:,} events in {first.segments_written} segments"),
        ("folder size after it", f"{size / 1e6:.2f} MB in {nfiles} files ({size / max(events, 1):.0f} bytes/event; "
                                 f"ledger {ledger_mb('a'):.1f} MB)"),
        ("sync with nothing new (median of 5)", f"{statistics.median(idle):.3f} s"),
        ("sync after 1000 new events", f"{incr_s:.3f} s, {incr.events_sent} events, {incr.segments_written} segment"),
        ("scrypt key derivation (N=2^17, r=8, p=1), once per device", f"{kdf_s:.2f} s"),
        ("device B joins and imports A's year (incl. scrypt)",
         f"{join_s:.2f} s, {joined.events_added:,} events added ({b_events:,} in B's ledger, "
         f"{ledger_mb('b'):.1f} MB)"),
        ("B's next sync, nothing new", f"{again_s:.3f} s"),
        ("device D joins: A's year plus C's 300 small segments (incl. scrypt)",
         f"{many_s:.2f} s, {many.segments_read} segments, {many.events_added:,} events added"),
    ]
    print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
