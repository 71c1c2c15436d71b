"""Shipped migrations are frozen SQL text: a ledger made today, one made by running each
migration's literal SQL into a bare sqlite3 file, and one upgraded from any older version all
end with the same schema; no migration builds its SQL from constants that live on elsewhere."""

from __future__ import annotations

import ast
import importlib
import inspect
import sqlite3
from pathlib import Path

import pytest

from tokenlens.store.ledger import MIGRATION_MODULES, connect, open_ledger

MODULES = [importlib.import_module(name) for name in MIGRATION_MODULES]
# Where a migration decides to do nothing (m005 where m003 already made the column).
SKIP_IF = {("tokenlens.store.schema", "m005_rollup_counts_unpriced_events"): "M005_SKIP_IF"}
ALLOWED_IMPORTS = {"__future__", "sqlite_utils", "sqlite_utils.migrations"}
# Every migration, in the order the ledger applies them: (module, migration name).
ORDER = [(m, mig.name) for m in MODULES for mig in m.migrations._migrations]


def schema(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        # sqlite-utils' record of migrations run (and its index) is not the ledger's schema
        " WHERE name NOT LIKE 'sqlite_%' AND tbl_name != '_sqlite_migrations' ORDER BY type, name"
    ).fetchall()


def frozen_schema(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    for module in MODULES:
        for name, statements in module.FROZEN_SQL:
            skip = SKIP_IF.get((module.__name__, name))
            if skip and conn.execute(getattr(module, skip)).fetchone() is not None:
                continue
            for sql in statements:
                conn.execute(sql)
    conn.commit()
    result = schema(conn)
    conn.close()
    return result


def fresh_schema(data_dir: Path) -> list[tuple]:
    db = open_ledger(data_dir)
    result = schema(db.conn)
    db.conn.close()
    return result


def test_every_migration_has_its_frozen_sql_in_order():
    for module in MODULES:
        assert [name for name, _ in module.FROZEN_SQL] == [m.name for m in module.migrations._migrations]
        for _, statements in module.FROZEN_SQL:
            assert isinstance(statements, tuple) and statements
            assert all(isinstance(sql, str) and sql.strip() for sql in statements)


def test_a_new_ledger_has_exactly_the_schema_of_the_frozen_sql(tmp_path):
    fresh = fresh_schema(tmp_path / "data")
    assert {row[1] for row in fresh} >= {"events", "files", "rollup", "rollup_dirty", "perm_scans", "exports"}
    assert fresh == frozen_schema(tmp_path / "frozen.db")  # byte for byte, sqlite_master.sql included


class Recorder:
    """Stands in for sqlite-utils' Database: records what a migration executes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.executed: list[str] = []

    def execute(self, sql, parameters=()):
        self.executed.append(sql)
        return self.conn.execute(sql, parameters)


def test_each_migration_executes_exactly_its_frozen_sql(tmp_path):
    conn = sqlite3.connect(tmp_path / "recorded.db")
    recorder = Recorder(conn)
    for module in MODULES:
        frozen = dict(module.FROZEN_SQL)
        for migration in module.migrations._migrations:
            recorder.executed = []
            migration.fn(recorder)
            skip = SKIP_IF.get((module.__name__, migration.name))
            expected = [getattr(module, skip)] if skip else []
            if not skip or recorder.executed != expected:  # m005 on a new ledger only asks
                expected += list(frozen[migration.name])
            assert recorder.executed == expected, migration.name
    conn.close()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_no_migration_module_reads_live_constants(module):
    """Only literal strings: no import of the project's modules (rollup's sums, QUARTER_MS),
    no f-string, no str.format/join, no string built by + or %."""
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {a.name for a in node.names} <= ALLOWED_IMPORTS, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module in ALLOWED_IMPORTS, ast.unparse(node)
        assert not isinstance(node, ast.JoinedStr), f"f-string at line {node.lineno}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"format", "join", "replace"}, ast.unparse(node)
        if isinstance(node, ast.BinOp):
            assert not isinstance(node.op, ast.Add | ast.Mod), ast.unparse(node)
    # The SQL tuples are made of string constants alone.
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.startswith("M0") for t in node.targets):
            for leaf in ast.walk(node.value):
                assert isinstance(leaf, ast.Tuple | ast.Constant | ast.Load), ast.unparse(node)
    assert "tokenlens" not in {n.split(".")[0] for n in _imported(tree)}


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _apply_first(conn: sqlite3.Connection, count: int) -> None:
    """Apply the first `count` migrations of ORDER with sqlite-utils, recorded as the ledger
    records them, as a ledger of an older version would have them."""
    from sqlite_utils import Database

    sdb = Database(conn, execute_plugins=False)
    wanted = ORDER[:count]
    for module in MODULES:
        names = [name for m, name in wanted if m is module]
        if not names:
            break
        rest = [mig.name for mig in module.migrations._migrations][len(names):]
        module.migrations.apply(sdb, stop_before=rest[0] if rest else None)


@pytest.mark.parametrize("count", range(1, len(ORDER)), ids=lambda n: f"upto-{ORDER[n - 1][1]}")
def test_a_ledger_with_only_the_first_migrations_upgrades_to_the_new_schema(tmp_path, count):
    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o700)
    old = connect(data_dir / "ledger.db")
    _apply_first(old.conn, count)
    applied = {row[0] for row in old.execute("SELECT name FROM _sqlite_migrations")}
    assert len(applied) == count
    old.conn.close()
    assert fresh_schema(data_dir) == fresh_schema(tmp_path / "new")


def columns(conn: sqlite3.Connection, table: str) -> list[tuple]:
    return sorted(conn.execute(f"PRAGMA table_info({table})").fetchall(), key=lambda c: c[1])


def test_a_ledger_whose_rollup_predates_unpriced_events_gets_the_same_columns(tmp_path):
    """Ledgers made before m005 had m003's rollup without unpriced_events (m003's SQL was then
    built from rollup.ROLLUP_SUMS, which later grew). m005's ALTER gives them the same columns;
    only the stored CREATE TABLE text differs (the column is appended there)."""
    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o700)
    old = connect(data_dir / "ledger.db")
    _apply_first(old.conn, [n for _, n in ORDER].index("m005_rollup_counts_unpriced_events"))
    old.execute("ALTER TABLE rollup DROP COLUMN unpriced_events")
    old.conn.close()
    upgraded = open_ledger(data_dir)
    new = open_ledger(tmp_path / "new")
    names = [r[1] for r in schema(new.conn)]
    assert [r[1] for r in schema(upgraded.conn)] == names
    for table in ("rollup", "rollup_dirty", "events"):
        # cid differs for the appended column; name, type, notnull, default, pk do not
        assert [c[1:] for c in columns(upgraded.conn, table)] == [c[1:] for c in columns(new.conn, table)]
    upgraded.conn.close()
    new.conn.close()
