"""Permission snapshots in the ledger: record a scan, diff it against what the person last
looked at (or the state at a date), and answer "since when" for each grant.

The "seen" mark (perm_seen) moves only when the person looks: the app's Permissions tab
showing the grants, or `tokenlens permissions --diff --ack`. Scans in between (the tray
app's, a plain `permissions`, `--diff` without `--ack`) leave it alone, so a change stays
in `--diff` until it has been seen. Before any mark, the base is the first snapshot.

"Since" = the earliest evidence a grant existed: the first scan that saw it, or earlier when
the config file's modification time (at first sight) or a tool's own backup proves it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from tokenlens.config import Env
from tokenlens.model import Grant
from tokenlens.permissions.rules import RISK_LEVELS, RULES, hint_for
from tokenlens.permissions.scan import ScanOutcome, grant_key
from tokenlens.store import queries, writes
from tokenlens.store.ledger import Ledger

GRANT_COLUMNS = ("tool", "scope", "kind", "subject", "value", "risk", "rule", "source_file", "fingerprint")


@dataclass
class Snapshot:
    scan_id: int | None
    scanned_ms: int | None
    grants: list[Grant]
    added: list[Grant] = field(default_factory=list)
    removed: list[Grant] = field(default_factory=list)
    changed: list[tuple[Grant, Grant]] = field(default_factory=list)  # (before, after)
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.grants)


def summarize(grants: list[Grant]) -> dict[str, int]:
    counts = dict.fromkeys(RISK_LEVELS, 0)
    for grant in grants:
        counts[grant.risk] = counts.get(grant.risk, 0) + 1
    return counts


def run_scan(db: Ledger, env: Env, data_dir: Path, now_ms: int | None = None) -> Snapshot:
    """Scan every tool's configs and record the result as a snapshot."""
    from tokenlens.permissions.scan import scan_all
    from tokenlens.permissions.secrets import Fingerprinter

    outcome = scan_all(env, Fingerprinter.for_data_dir(data_dir), db)
    return record(db, outcome, now_ms)


def record(db: Ledger, outcome: ScanOutcome, now_ms: int | None = None) -> Snapshot:
    from tokenlens.store.writer import write_transaction

    now = now_ms if now_ms is not None else int(time.time() * 1000)
    current = {grant_key(g): g for g in outcome.grants}
    with write_transaction(db):
        previous_id = _latest_id(db)
        previous = _grants_of(db, previous_id) if previous_id else {}
        added = [current[k] for k in current.keys() - previous.keys()]
        removed = [previous[k] for k in previous.keys() - current.keys()]
        changed = [(previous[k], current[k]) for k in current.keys() & previous.keys() if _differs(previous[k], current[k])]
        if not previous_id:
            # The first scan is an inventory: everything is "since", nothing is a change.
            scan_id = _insert_snapshot(db, now, outcome, current)
            _remember_first(db, scan_id, now, list(current.values()), outcome)
            added = []
        elif not (added or removed or changed):
            scan_id = previous_id
            writes.confirm_perm_scan(db, scan_id, now, orjson.dumps(outcome.problems).decode())
        else:
            scan_id = _insert_snapshot(db, now, outcome, current)
            _insert_changes(db, scan_id, added, removed, changed)
            _remember_first(db, scan_id, now, added, outcome)
        since = _since(db)
    grants = sorted(current.values(), key=sort_key)
    for grant in grants:
        grant.since_ms = since.get(grant_key(grant))
    return Snapshot(scan_id, now, grants, sorted(added, key=sort_key), sorted(removed, key=sort_key),
                    sorted(changed, key=lambda pair: sort_key(pair[1])), outcome.problems)


def sort_key(grant: Grant) -> tuple:
    return (grant.tool, RISK_LEVELS.index(grant.risk), grant.scope, grant.kind, grant.subject)


def _differs(before: Grant, after: Grant) -> bool:
    return (before.value, before.risk, before.rule, before.fingerprint) != (after.value, after.risk, after.rule, after.fingerprint)


def _latest_id(db: Ledger) -> int | None:
    return queries.latest_perm_scan_id(db)


def _grants_of(db: Ledger, scan_id: int) -> dict[str, Grant]:
    grants = {}
    for key, *values in queries.perm_grants_of(db, scan_id, GRANT_COLUMNS):
        grant = Grant(**dict(zip(GRANT_COLUMNS, values, strict=True)))
        grant.hint = hint_for(grant.rule, tool=grant.tool, kind=grant.kind, subject=grant.subject, value=grant.value,
                              source_file=grant.source_file) if grant.rule in RULES else ""
        grants[key] = grant
    return grants


def _insert_snapshot(db: Ledger, now: int, outcome: ScanOutcome, current: dict[str, Grant]) -> int:
    counts = summarize(list(current.values()))
    scan_id = writes.insert_perm_scan(db, now, len(current), [counts[r] for r in RISK_LEVELS],
                                      orjson.dumps(outcome.problems).decode())
    writes.insert_perm_grants(db, scan_id, GRANT_COLUMNS,
                              [(key, *(getattr(g, c) for c in GRANT_COLUMNS)) for key, g in current.items()])
    return scan_id


def _insert_changes(db: Ledger, scan_id: int, added, removed, changed) -> None:
    rows = []
    for grant in added:
        rows.append((scan_id, grant_key(grant), "added", grant, None, grant))
    for grant in removed:
        rows.append((scan_id, grant_key(grant), "removed", grant, grant, None))
    for before, after in changed:
        rows.append((scan_id, grant_key(after), "changed", after, before, after))
    writes.insert_perm_changes(
        db,
        [
            (sid, key, change, g.tool, g.scope, g.kind, g.subject, g.source_file,
             old.value if old else None, new.value if new else None,
             old.risk if old else None, new.risk if new else None,
             old.rule if old else None, new.rule if new else None,
             int(bool(old and new and old.fingerprint != new.fingerprint)))
            for sid, key, change, g, old, new in rows
        ],
    )


def _remember_first(db: Ledger, scan_id: int, now: int, grants: list[Grant], outcome: ScanOutcome) -> None:
    rows = []
    for grant in grants:
        key = grant_key(grant)
        evidence = [now]
        mtime = outcome.files.get(grant.source_file)
        if mtime:
            evidence.append(mtime)
        if key in outcome.evidence:
            evidence.append(outcome.evidence[key])
        rows.append((key, scan_id, now, min(evidence)))
    # A grant that comes back after removal keeps its first sighting: history, not a reset.
    writes.remember_first_sightings(db, rows)


def _since(db: Ledger) -> dict[str, int]:
    return queries.perm_since(db)


# ---- reads for the CLI, the app and doctor ------------------------------------------------


def latest(db: Ledger) -> Snapshot:
    """The last recorded snapshot, with its changes against the one before."""
    scan_id = _latest_id(db)
    if not scan_id:
        return Snapshot(None, None, [])
    row = queries.perm_scan_confirmed(db, scan_id)
    grants = sorted(_grants_of(db, scan_id).values(), key=sort_key)
    since = _since(db)
    for grant in grants:
        grant.since_ms = since.get(grant_key(grant))
    changes = changes_of(db, scan_id)
    return Snapshot(scan_id, row[0], grants, changes["added"], changes["removed"], changes["changed"],
                    orjson.loads(row[1]))


def changes_of(db: Ledger, scan_id: int) -> dict[str, list]:
    previous = queries.perm_scan_before(db, scan_id)
    result: dict[str, list] = {"added": [], "removed": [], "changed": []}
    if previous is None:
        return result
    now_grants = _grants_of(db, scan_id)
    before_grants = _grants_of(db, previous)
    for key, change in queries.perm_changes_of(db, scan_id):
        if change == "added" and key in now_grants:
            result["added"].append(now_grants[key])
        elif change == "removed" and key in before_grants:
            result["removed"].append(before_grants[key])
        elif change == "changed" and key in now_grants and key in before_grants:
            result["changed"].append((before_grants[key], now_grants[key]))
    return result


def latest_summary(db: Ledger) -> dict[str, int]:
    """Counts per risk level in the newest snapshot (all zero before the first scan)."""
    row = queries.latest_perm_risk_counts(db)
    return dict(zip(RISK_LEVELS, row or (0, 0, 0, 0), strict=True))


def new_high_risk_grants(db: Ledger) -> list[Grant]:
    """High-risk grants that appeared (or became high) in the newest snapshot: what the app
    notifies about. Empty for the very first snapshot: the person has not seen those yet
    either, but a first scan is an inventory, not news."""
    scan_id = _latest_id(db)
    if not scan_id:
        return []
    changes = changes_of(db, scan_id)
    fresh = [g for g in changes["added"] if g.risk == "high"]
    fresh += [after for before, after in changes["changed"] if after.risk == "high" and before.risk != "high"]
    return sorted(fresh, key=sort_key)


def history(db: Ledger, limit: int = 200) -> list[dict]:
    """Changes across snapshots, newest first, display-safe (no fingerprints)."""
    rows = queries.perm_change_history(db, limit)
    keys = ("at", "change", "tool", "scope", "kind", "subject", "old_value", "new_value", "old_risk", "new_risk",
            "secret_changed")
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["at"] = iso(item["at"])
        item["secret_changed"] = bool(item["secret_changed"])
        out.append(item)
    return out


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def grant_json(grant: Grant) -> dict:
    return {
        "tool": grant.tool, "scope": grant.scope, "kind": grant.kind, "subject": grant.subject,
        "value": grant.value, "risk": grant.risk, "rule": grant.rule, "hint": grant.hint,
        "source_file": grant.source_file, "since": iso(grant.since_ms),
    }


# ---- what changed since the person last looked ----------------------------------------------


@dataclass
class Diff:
    """The current snapshot against a base: the seen mark, the first snapshot, or a date's state."""

    basis: str  # "seen" | "first" | "since"
    base_id: int | None
    base_ms: int | None  # when the base state was recorded
    seen_ms: int | None = None  # when the person looked (basis "seen")
    added: list[Grant] = field(default_factory=list)
    removed: list[Grant] = field(default_factory=list)
    changed: list[tuple[Grant, Grant]] = field(default_factory=list)  # (before, after)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)


class NoScanBefore(Exception):
    """`--since` named a moment before the first recorded scan."""


def seen_mark(db: Ledger) -> tuple[int, int] | None:
    """(scan id, ms) of the snapshot the person last looked at; None before the first look."""
    row = queries.perm_seen_mark(db)
    return (row[0], row[1]) if row else None


def mark_seen(db: Ledger, scan_id: int | None, by: str, now_ms: int | None = None) -> None:
    """The person has looked at snapshot `scan_id` (by: "cli" or "app")."""
    from tokenlens.store.writer import write_transaction

    if scan_id is None:
        return
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    with write_transaction(db):
        writes.set_perm_seen_mark(db, scan_id, now, by)


def diff_since(db: Ledger, scan_id: int | None, *, since_ms: int | None = None) -> Diff:
    """Snapshot `scan_id` against the state at `since_ms` (the last snapshot recorded at or
    before it), else against the seen mark, else against the first snapshot."""
    if since_ms is not None:
        base_id = queries.perm_scan_at_or_before(db, since_ms)
        if base_id is None:
            first = queries.first_perm_scan(db)[1]
            raise NoScanBefore(f"no permissions scan at or before {iso(since_ms)}; the first was {iso(first)}")
        basis, seen_ms = "since", None
    else:
        mark = seen_mark(db)
        if mark:
            basis, (base_id, seen_ms) = "seen", mark
        else:
            basis, seen_ms = "first", None
            base_id = queries.first_perm_scan(db)[0]
    base_ms = queries.perm_scan_scanned_ms(db, base_id) if base_id else None
    diff = Diff(basis, base_id, base_ms, seen_ms)
    if base_id is None or scan_id is None or base_id == scan_id:
        return diff
    before, now = _grants_of(db, base_id), _grants_of(db, scan_id)
    since = _since(db)
    for grant in now.values():
        grant.since_ms = since.get(grant_key(grant))
    diff.added = sorted((now[k] for k in now.keys() - before.keys()), key=sort_key)
    diff.removed = sorted((before[k] for k in before.keys() - now.keys()), key=sort_key)
    diff.changed = sorted(((before[k], now[k]) for k in now.keys() & before.keys() if _differs(before[k], now[k])),
                          key=lambda pair: sort_key(pair[1]))
    return diff


def snapshot_json(snapshot: Snapshot, *, diff: Diff | None = None) -> dict:
    payload = {
        "scanned_at": iso(snapshot.scanned_ms),
        "grants": [grant_json(g) for g in snapshot.grants],
        "summary": snapshot.summary,
    }
    if diff is not None:
        payload["compared_to"] = {"basis": diff.basis, "scanned_at": iso(diff.base_ms), "seen_at": iso(diff.seen_ms)}
        payload["added"] = [grant_json(g) for g in diff.added]
        payload["removed"] = [grant_json(g) for g in diff.removed]
        payload["changed"] = [
            {**grant_json(after), "before": {"value": before.value, "risk": before.risk, "rule": before.rule},
             "secret_changed": before.fingerprint != after.fingerprint}
            for before, after in diff.changed
        ]
    if snapshot.problems:
        payload["problems"] = snapshot.problems
    return payload


def doctor_check(db: Ledger, data_dir: Path, env: Env) -> dict:
    from tokenlens.permissions.secrets import key_status

    snapshots, last_confirmed_ms = queries.perm_scan_stats(db)
    problems = queries.latest_perm_problems(db)
    return {
        "snapshots": snapshots,
        "last_scan": iso(last_confirmed_ms),
        "summary": latest_summary(db),
        "fingerprint_key": key_status(data_dir),
        "problems": orjson.loads(problems) if problems is not None else [],
    }
