"""Kilo CLI (Kilo-Org/kilocode, an OpenCode fork): OpenCode's database, in Kilo's data dir.

Where (Kilo-Org/kilocode packages/opencode/src/global/index.ts, `const app = "kilo"`, data =
`xdgData/kilo`): `$XDG_DATA_HOME/kilo`, default `~/.local/share/kilo`. The database
(packages/core/src/database/database.ts `path()`): `KILO_DB` when set (absolute, or relative to
the data dir; `:memory:` is no file); else `kilo.db` on the latest/beta/prod channels or with
`KILO_DISABLE_CHANNEL_DB=1|true`; else a channel file. That file read here was
`opencode-<channel>.db`; later builds name it `kilo-<channel>.db` and fall back to an existing
`opencode-<channel>.db` (not read in source here; from another tool's notes). All three name
patterns are read, with `storage/message/**.json` from before the database.

Format and traps: OpenCode's (tokenlens/tools/opencode/usage.py, reused by import): tables
`session` and `message(id, session_id, time_created, time_updated, data)`, rows rewritten in
place and upserted by message id; input excludes cache, reasoning is added to output.
Forks: forking a session copies its messages under new ids with the same `time.created` and
tokens. A copy is a message created before its own session was; it carries the replay key
(time.created in ms, model, the five token counts; no session or id in it) and is dropped
whenever an original with that key is in the ledger, so a fork counts once. The risk: a copy
is also dropped if some other genuine call has the same millisecond, model and all five token
counts; only copies are ever dropped, never two originals. ccusage keys on the id alone and
counts each fork's copies again.

Not confirmed from source: that a Kilo fork keeps `time.created` (OpenCode's behaviour,
tokscale #446), and the `kilo-<channel>.db` name on current builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import kilo as where
from tokenlens.tools.opencode.usage import OpenCode
from tokenlens.tools.source import Discovered, _walk_files, note_unreadable

DB_PATTERNS = ("kilo.db", "kilo-*.db", "opencode-*.db")


class Kilo(OpenCode):
    id = "kilo"
    name = "Kilo CLI"

    def roots(self, env: Env) -> list[Path]:
        override = where.db_override(env)
        return [*where.data_dirs(env), *([override] if override is not None else [])]

    def discover(self, env: Env) -> Iterator[Discovered]:
        override = where.db_override(env)
        for root in where.data_dirs(env):
            try:
                dbs = sorted(p for p in root.iterdir()
                             if p.is_file() and any(fnmatch(p.name, pat) for pat in DB_PATTERNS))
            except OSError as exc:
                note_unreadable(root, exc, "folder")
                dbs = []
            for path in dbs:
                if path != override:
                    yield Discovered(path, root)
            for path in _walk_files(root / "storage" / "message", ("*.json",)):
                yield Discovered(path, root)
        if override is not None:
            for path in _walk_files(override, ("*",)):
                yield Discovered(path, override.parent)
