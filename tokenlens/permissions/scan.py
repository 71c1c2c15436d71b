"""Run every tool's scanner over one home: projects first (from the usage ledger and the
tools' own project lists, never a disk crawl), then each scanner, each isolated from the
others' failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tokenlens.config import Env
from tokenlens.model import Grant
from tokenlens.permissions.base import NeverOpen, ScanContext
from tokenlens.permissions.secrets import Fingerprinter


@dataclass
class ScanOutcome:
    grants: list[Grant]
    files: dict[str, int]  # config file (display path) -> mtime ms
    problems: list[str] = field(default_factory=list)
    projects: int = 0
    evidence: dict[str, int] = field(default_factory=dict)  # grant key -> ms a tool's backup proves it


def ledger_projects(db) -> list[Path]:
    if db is None:
        return []
    from tokenlens.store.queries import absolute_projects

    return [Path(project) for project in absolute_projects(db)]


def scan_all(env: Env, fingerprint: Fingerprinter, db=None) -> ScanOutcome:
    ctx = ScanContext(env=env, fingerprint=fingerprint)
    projects: list[Path] = list(ledger_projects(db))
    scanners = _scanners()
    for name, scanner in scanners:
        if not hasattr(scanner, "projects"):
            continue
        try:
            projects += scanner.projects(ctx)
        except NeverOpen:
            raise
        except Exception as exc:  # a tool's odd file must not stop the others
            ctx.problems.append(f"{name}: project list unreadable ({type(exc).__name__})")
    ctx.projects = list(dict.fromkeys(p for p in projects if str(p).startswith("/")))
    ctx.grants.clear()
    for name, scanner in scanners:
        try:
            scanner.scan(ctx)
        except NeverOpen:
            raise
        except Exception as exc:
            ctx.problems.append(f"{name}: scanner failed ({type(exc).__name__})")
    _writable_by_others(ctx)
    grants = _unique(ctx.grants)
    evidence: dict[str, int] = {}
    try:
        from tokenlens.tools.claude_code import permissions as claude_code

        evidence = claude_code.backup_evidence(ctx)
    except NeverOpen:
        raise
    except Exception as exc:
        ctx.problems.append(f"claude_code: backups unreadable ({type(exc).__name__})")
    return ScanOutcome(grants, dict(ctx.files), ctx.problems, len(ctx.projects), evidence)


def _scanners() -> list[tuple[str, object]]:
    """Every tool's scanner (tokenlens.tools, in registry order), then the launch flags in
    shell startup files, which name several tools."""
    from tokenlens.permissions import launch_flags
    from tokenlens.tools import TOOLS

    found = [(tool.package.rsplit(".", 1)[-1], tool.scanner()) for tool in TOOLS if tool.permissions]
    return [*found, ("launch_flags", launch_flags)]


def grant_key(grant: Grant) -> str:
    import hashlib

    ident = "\0".join((grant.tool, grant.scope, grant.kind, grant.subject, grant.source_file))
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


def _unique(grants: list[Grant]) -> list[Grant]:
    """One grant per identity (a file read twice, a rule listed twice): the riskier kept."""
    from tokenlens.permissions.rules import RISK_LEVELS

    best: dict[str, Grant] = {}
    for grant in grants:
        key = grant_key(grant)
        if key not in best or RISK_LEVELS.index(grant.risk) < RISK_LEVELS.index(best[key].risk):
            best[key] = grant
    return list(best.values())


def _writable_by_others(ctx: ScanContext) -> None:
    """HYG-1: a config any other user can write lets anyone grant the agent anything."""
    by_file = {g.source_file: g.tool for g in ctx.grants}
    for shown, path in sorted(ctx.world_writable.items()):
        ctx.add(by_file.get(shown, "unknown"), "global", "config_file", shown, "writable by other users", path, "HYG-1")
