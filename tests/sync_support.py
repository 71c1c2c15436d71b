"""Devices for the sync tests: each a data dir and a home of its own with real Claude Code and
Codex logs (tests/logs.py), syncing through one shared folder."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens.config import Env
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.store import open_ledger
from tokenlens.tools import all_sources

PASSPHRASE = "correct horse battery staple"
READ = ("claude-code", "codex")
_counter = itertools.count(1)


def no_keyring():
    """Keys go to each data dir's 0600 file: one process plays several devices."""
    import keyring
    from keyring.backends.fail import Keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    return previous


@dataclass
class Device:
    root: Path
    label: str
    expected_own: int = 0  # tokens this device's logs hold, added up from what the test wrote
    db: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.data_dir = self.root / "data"
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = Env(environ={"HOME": str(self.home), "PATH": os.environ.get("PATH", "")})
        self.open()

    def open(self) -> None:
        self.db = open_ledger(self.data_dir)

    def close(self) -> None:
        self.db.conn.close()

    @property
    def claude_file(self) -> Path:
        return self.home / ".claude/projects/-home-me-proj" / f"{self.label}.jsonl"

    def claude(self, day: str, inp: int, out: int, cr: int = 0, cw: int = 0, session: str | None = None) -> None:
        n = next(_counter)
        session = session or f"{self.label}-s"
        append(self.claude_file, claude_assistant(f"{day}T10:{n % 60:02d}:00Z", session, f"msg-{self.label}-{n}",
                                                  f"req-{self.label}-{n}", inp=inp, out=out, cr=cr, cw=cw))
        self.expected_own += inp + out + cr + cw

    def codex(self, day: str, inp: int, cached: int, out: int) -> None:
        n = next(_counter)
        path = self.home / ".codex/sessions/2026/11/24" / f"rollout-{self.label}-{n}.jsonl"
        session = f"0199{n:04d}-{self.label}"
        append(path, codex_meta(f"{day}T09:00:00Z", session), codex_turn(f"{day}T09:00:01Z"),
               codex_tokens(f"{day}T09:00:02Z", (inp, cached, out, 0), (inp, cached, out, 0)))
        self.expected_own += inp + out  # fresh input + cached input + output

    def scan(self):
        return scan(self.db, self.env, [s for s in all_sources() if s.id in READ])

    def sync(self, folder: Path, passphrase: str | None = PASSPHRASE, **kw):
        from tokenlens.sync.engine import sync

        self.scan()
        return sync(self.db, self.data_dir, folder=folder, ask=lambda creating: passphrase, **kw)

    def total(self, **kw) -> int:
        return build_report(self.db, "daily", tz="UTC", **kw).totals["total_tokens"]

    def events(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
