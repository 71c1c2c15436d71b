"""Open the ledger database: private file modes, WAL, a busy timeout, migrations applied.

A damaged ledger (not a database, truncated, malformed pages) is never deleted and never
silently replaced: logs the tools have since deleted may survive only in it. Opening it
raises `LedgerDamaged`; `rebuild_ledger` sets it aside (its WAL copied into it, or kept
beside it if the file is too damaged for that) and starts a fresh one for the caller to fill
from the logs. It refuses while another process has the ledger open.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from tokenlens.config import DB_FILENAME, DataDirError, create_private_file, ensure_data_dir

BUSY_TIMEOUT_MS = 30_000
# The rollup table's time bucket (schema.py): every UTC offset in use is whole quarter-hours.
QUARTER_MS = 900_000
# Each feature owns a migration set (a module with `migrations`), applied in this order.
MIGRATION_MODULES = (
    "tokenlens.store.schema",
    "tokenlens.permissions.schema",
    "tokenlens.export.schema",
)


class Ledger:
    """The ledger's connection: `execute` and `conn`, all that queries use.

    Queries go straight to sqlite3. sqlite-utils (whose import alone takes ~90 ms, most of a
    warm `tokenlens report`) is loaded only to run schema migrations, when there are any.
    """

    __slots__ = ("conn", "notes")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.notes: list[str] = []  # what opening it found and did, for the person (one line each)

    def execute(self, sql: str, parameters=None) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters if parameters is not None else ())


class LedgerError(Exception):
    """The ledger cannot be opened or is damaged; the message is one line for the person."""


class LedgerDamaged(LedgerError):
    """The ledger file is not a healthy SQLite database; `rebuild_ledger` recovers."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"ledger {path} is damaged ({reason}); run `tokenlens doctor --rebuild` to keep it"
            " aside and rebuild the ledger from the logs"
        )


# SQLITE_CORRUPT and SQLITE_NOTADB (primary codes): the file itself is bad. Anything else
# (locked, read-only, I/O, full disk) is a problem around the file, not in it.
DAMAGE_CODES = (11, 26)
COMPANIONS = ("-wal", "-shm")


def is_busy(exc: BaseException) -> bool:
    """True when a SQLite error says another connection holds the lock (not e.g. damage)."""
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def is_damage(exc: BaseException) -> bool:
    """True when a SQLite error says the database file is damaged (not e.g. locked)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in DAMAGE_CODES
    text = str(exc)
    return "malformed" in text or "not a database" in text


# SQLite errors about the ledger's surroundings, said in one line (primary result codes).
ENVIRONMENT_PROBLEMS = {
    5: "the ledger is busy (another tokenlens is writing it); try again",
    6: "the ledger is locked; try again",
    8: "the ledger cannot be written (read-only file or folder)",
    10: "a disk I/O error on the ledger",
    13: "the disk holding the ledger is full",
    14: "the ledger file cannot be opened",
    15: "another process holds the ledger's lock in a state SQLite cannot take over",
}


def failure_message(exc: BaseException, path: Path | None = None) -> str | None:
    """One line for the person about a SQLite failure of the ledger; None if not one.

    `path`: the ledger's, to name the processes holding it when it is busy."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    if is_damage(exc):
        return (f"the ledger is damaged ({exc}); run `tokenlens doctor --rebuild` to keep it aside"
                " and rebuild it from the logs")
    code = getattr(exc, "sqlite_errorcode", None)
    if path is not None and (is_busy(exc) or code is not None and code & 0xFF == sqlite3.SQLITE_PROTOCOL):
        held = holders_text(path)
        if held:
            return f"the ledger is busy: {held} has kept it locked for {BUSY_TIMEOUT_MS / 1000:g} s; try again ({exc})"
    problem = ENVIRONMENT_PROBLEMS.get(code & 0xFF) if code is not None else None
    return f"{problem} ({exc})" if problem else None


def holders(path: Path) -> list[tuple[int, str]]:
    """Other processes that have the ledger (or its WAL) open: (pid, command line).

    Linux only (/proc); elsewhere an empty list and the messages say "another process"."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return []
    wanted = {str(path), f"{path}-wal"}
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            targets = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
            if targets & wanted:
                found.append((int(entry.name), _command_line(entry)))
        except OSError:  # gone meanwhile, or another user's: not ours to see
            continue
    return sorted(found)


def _command_line(proc_entry: Path) -> str:
    words = (proc_entry / "cmdline").read_bytes().split(b"\0")
    names = [Path(w.decode(errors="replace")).name if i == 0 else w.decode(errors="replace")
             for i, w in enumerate(words[:4]) if w]
    line = " ".join(" ".join(names).split())
    return line if len(line) <= 60 else line[:59] + "…"


def holders_text(path: Path) -> str:
    """'pid 123 (python -m tokenlens scan)' for each holder, or '' when none can be seen."""
    return ", ".join(f"pid {pid} ({command})" for pid, command in holders(path))


def ledger_path(data_dir: Path) -> Path:
    return data_dir / DB_FILENAME


def connect(path: Path, busy_ms: int = BUSY_TIMEOUT_MS) -> Ledger:
    """A connection with the pragmas every user of the ledger needs (GUI worker, CLI, tests).

    `busy_ms`: how long to wait for a lock (the status line waits little: it must not hang)."""
    # check_same_thread=False: the app hands a connection to exactly one worker thread.
    conn = sqlite3.connect(str(path), timeout=busy_ms / 1000, check_same_thread=False)
    db = Ledger(conn)
    db.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    db.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL survives an application crash (kill -9); only an OS crash may
    # lose the newest commits, which the next scan re-reads from the logs.
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def _migration_sets() -> list:
    import importlib

    return [importlib.import_module(name).migrations for name in MIGRATION_MODULES]


def schema_fingerprint() -> str:
    """A checksum of the migration modules' source: equal to the one stored in the ledger means
    every migration has run, without importing sqlite-utils to ask it. CRC-32 rather than a
    cryptographic hash: it guards against a forgotten migration, not an adversary, and zlib
    imports in a tenth of hashlib's time (the status line opens the ledger on every run)."""
    import importlib.util
    import zlib

    checksum = 0
    for name in MIGRATION_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        checksum = zlib.crc32(name.encode(), checksum)
        try:
            checksum = zlib.crc32(Path(spec.origin).read_bytes(), checksum)
        except OSError:
            checksum = zlib.crc32(b"unreadable", checksum)
    return f"crc32:{checksum:08x}"


def _stored_fingerprint(db: Ledger) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_fingerprint'").fetchone()
    except sqlite3.OperationalError:
        return None  # a new ledger: no meta table yet
    return row[0] if row else None


def apply_migrations(db: Ledger) -> None:
    fingerprint = schema_fingerprint()
    if _stored_fingerprint(db) == fingerprint:
        return
    from sqlite_utils import Database

    sdb = Database(db.conn, execute_plugins=False)
    sets = _migration_sets()
    if any(s.pending(sdb) for s in sets):
        # The app's watcher and a CLI command may open an old ledger at the same moment: both
        # would see the same pending migrations and the second would fail ("table already
        # exists"). Under the write lock the second waits, then finds nothing left to do.
        # (sqlite-utils nests each migration in a savepoint of this transaction.)
        db.execute("BEGIN IMMEDIATE")
        try:
            for migrations in sets:
                migrations.apply(sdb)
        except BaseException:
            db.conn.rollback()
            raise
        db.execute("COMMIT")
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_fingerprint', ?)", [fingerprint])
    db.execute("COMMIT")


def open_ledger(data_dir: Path, *, migrate: bool = True) -> Ledger:
    try:
        ensure_data_dir(data_dir)
    except DataDirError as exc:
        raise LedgerError(str(exc)) from exc
    path = ledger_path(data_dir)
    db = None
    try:
        empty_aside = _set_aside_if_left_empty(data_dir, path)
        create_private_file(path)
        db = connect(path)
        # Reading the schema touches the header and the schema pages: a file that is not a
        # database, or is truncated below its recorded size, fails here rather than mid-report.
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        if migrate:
            apply_migrations(db)
        if empty_aside is not None:
            db.notes.append(f"the ledger {path} was an empty file (0 bytes): kept it aside as {empty_aside}"
                            " and started a new ledger")
    except sqlite3.DatabaseError as exc:
        _close(db)
        if is_damage(exc):
            raise LedgerDamaged(path, str(exc)) from exc
        raise LedgerError(f"cannot open ledger {path}: {failure_message(exc, path) or exc}") from exc
    except OSError as exc:
        _close(db)
        raise LedgerError(f"cannot open ledger {path}: {exc.strerror or exc}") from exc
    return db


def open_ledger_quickly(data_dir: Path, busy_ms: int) -> Ledger:
    """An existing, migrated ledger opened waiting at most `busy_ms` for any lock (the status
    line); anything else (no ledger yet, migrations pending) goes the usual way."""
    path = ledger_path(data_dir)
    if not path.is_file() or path.stat().st_size == 0:
        return open_ledger(data_dir)
    db = None
    try:
        db = connect(path, busy_ms)
        if _stored_fingerprint(db) == schema_fingerprint():
            return db
    except sqlite3.DatabaseError as exc:
        _close(db)
        if is_damage(exc):
            raise LedgerDamaged(path, str(exc)) from exc
        raise LedgerError(f"cannot open ledger {path}: {failure_message(exc, path) or exc}") from exc
    _close(db)
    return open_ledger(data_dir)


# A ledger file this old with nothing in it is not one being created by another process
# right now (create, then the first write a few milliseconds later).
EMPTY_GRACE_S = 5.0


def _set_aside_if_left_empty(data_dir: Path, path: Path) -> Path | None:
    """A 0-byte ledger (and no WAL holding its data) is no history, but it is not silently
    reused either: a crash, a full disk or a sync tool may have emptied it. Kept aside."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    wal = Path(f"{path}-wal")
    if st.st_size != 0 or (wal.exists() and wal.stat().st_size > 0) or time.time() - st.st_mtime < EMPTY_GRACE_S:
        return None
    return set_aside(data_dir, "empty")


def _close(db: Ledger | None) -> None:
    if db is not None:
        db.conn.close()


def check_integrity(path: Path) -> str | None:
    """None when SQLite's quick_check passes; else the first problem it names.

    Reads every page, so it is for doctor and rebuild, not for every open.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    verdict = rows[0][0] if rows else "no answer"
    return None if verdict == "ok" else verdict


def set_aside(data_dir: Path, label: str = "damaged") -> Path | None:
    """Rename the ledger (and its WAL and SHM, which hold committed data) out of the way.

    `ledger.db` becomes `ledger.db.<label>-<UTC time>`; its `-wal` follows under the
    matching name, so SQLite still reads the pair together. Nothing is deleted.
    """
    path = ledger_path(data_dir)
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while any(Path(f"{target}{suffix}").exists() for suffix in ("", *COMPANIONS)):
        n += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
    for suffix in COMPANIONS:
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            os.replace(companion, f"{target}{suffix}")
    os.replace(path, target)
    return target


# How long a rebuild waits for another connection to finish what it is writing.
IN_USE_WAIT_S = 1.0


def leave_wal_mode(path: Path) -> None:
    """Copy the WAL into the ledger file and leave WAL mode, before the ledger is set aside.

    SQLite lets only a database's sole connection leave WAL mode, so this is also the test
    that no other process (the app) has the ledger open: moving the file from under it would
    leave it writing to the copy set aside. Raises LedgerError then. A ledger too damaged for
    the switch is set aside as it is, WAL and all.
    """
    try:
        conn = sqlite3.connect(path, timeout=IN_USE_WAIT_S)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA journal_mode = DELETE").fetchall()
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise LedgerError(
                f"ledger {path} is open in another process (the tokenlens app?); quit it, then run"
                " `tokenlens doctor --rebuild` again"
            ) from None
    except sqlite3.DatabaseError:
        pass
    finally:
        conn.close()


def rebuild_ledger(data_dir: Path):
    """Set the current ledger aside (labelled `damaged` if it fails its check), open a fresh
    one and carry over everything of the old one that can be read (store/salvage.py). The
    caller then scans the logs into it. Returns (db, where the old one went, the Salvage or
    None when there was no old ledger)."""
    from tokenlens.store.salvage import carry_over

    try:
        ensure_data_dir(data_dir)
    except DataDirError as exc:
        raise LedgerError(str(exc)) from exc
    path = ledger_path(data_dir)
    damaged = check_integrity(path) is not None
    if path.exists():
        leave_wal_mode(path)
    try:
        aside = set_aside(data_dir, "damaged" if damaged else "before-rebuild")
    except OSError as exc:
        raise LedgerError(f"cannot set ledger {path} aside: {exc.strerror or exc}") from exc
    db = open_ledger(data_dir)
    salvage = None
    if aside is not None and aside.stat().st_size > 0:
        try:
            salvage = carry_over(db, aside, damaged)
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"cannot carry the old ledger's history over: {exc}") from exc
    return db, aside, salvage
