"""What a scan did, per source: files seen, read, gone, events added, lines skipped, errors,
and what exists but could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field

from tokenlens.tools.source import unreadable_reason


@dataclass
class SourceScan:
    source: str
    files_seen: int = 0
    files_read: int = 0
    files_missing: int = 0
    # Counted only when a file actually changed: a warm `report` should not count the ledger.
    events_before: int | None = None
    events_after: int = 0
    lines_skipped: int = 0
    # Plan-window readings among what was read (tokenlens.limits.LimitReading): the app
    # re-reads its windows only after a scan that brought some.
    limit_readings: int = 0
    errors: list[str] = field(default_factory=list)
    # Folders and files that exist but could not be read (e.g. mode 000, another user's):
    # {"path", "reason"} each. Their usage is missing from every total until they can be.
    unreadable: list[dict] = field(default_factory=list)

    def note_error(self, key: str, exc: OSError) -> None:
        """A file that failed to stat or read: said in `errors`; in `unreadable` too unless it
        is simply gone (vanished since it was listed)."""
        self.errors.append(f"{key}: {exc.strerror or exc}")
        reason = unreadable_reason(exc)
        if reason is not None and all(u["path"] != key for u in self.unreadable):
            self.unreadable.append({"path": key, "reason": reason, "kind": "file"})

    @property
    def events_added(self) -> int:
        return 0 if self.events_before is None else self.events_after - self.events_before


@dataclass
class ScanResult:
    sources: dict[str, SourceScan] = field(default_factory=dict)
    unknown_models: set[tuple[str, str]] = field(default_factory=set)
    seconds: float = 0.0
    # Changed files left unread by `scan(modified_since_ns=...)`: a later full scan reads them.
    deferred_files: int = 0
    deferred_bytes: int = 0

    @property
    def events_added(self) -> int:
        return sum(s.events_added for s in self.sources.values())

    @property
    def limit_readings(self) -> int:
        return sum(s.limit_readings for s in self.sources.values())

    @property
    def unreadable(self) -> dict[str, list[dict]]:
        """{source id: its unreadable paths}, only sources that have some."""
        return {sid: list(s.unreadable) for sid, s in self.sources.items() if s.unreadable}
