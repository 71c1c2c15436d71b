"""Human output of `tokenlens permissions` (rich tables, grouped by tool)."""

from __future__ import annotations

from itertools import groupby

from tokenlens.permissions.rules import RISK_LEVELS, at_least

# A style per level, in RISK_LEVELS' order (most risky first).
RISK_STYLE = dict(zip(RISK_LEVELS, ("bold red", "yellow", "cyan", "dim"), strict=True))


def print_permissions(payload: dict, *, diff: bool, acked: bool = False) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    console = Console()
    summary = payload["summary"]
    console.print(
        Text.assemble(
            ("Agent permissions", "bold"), f"  scanned {payload['scanned_at']}  ",
            *[(f"{summary[r]} {r}  ", RISK_STYLE[r]) for r in RISK_LEVELS],
        )
    )
    if not payload["grants"]:
        console.print("No agent configs found in this home.")
    for tool, grants in groupby(payload["grants"], key=lambda g: g["tool"]):
        table = Table(title=tool, title_justify="left", show_lines=False, expand=False)
        # Short words stay whole (a kind split as "allowed_too / l" read as two); long patterns
        # and paths wrap at spaces, and a word wider than its column ends in "…" rather than
        # being split in two ("approval_polic / y"): --json and the hint below name it whole.
        for column in ("risk", "kind"):
            table.add_column(column, no_wrap=True)
        for column in ("subject", "value", "scope"):
            table.add_column(column, overflow="ellipsis")
        table.add_column("since", no_wrap=True)
        hints = {}
        for g in grants:
            table.add_row(Text(g["risk"], RISK_STYLE[g["risk"]]), *(Text(g[c]) for c in ("kind", "subject", "value", "scope")),
                          (g["since"] or "")[:10])
            if g["risk"] in at_least("medium"):
                hints.setdefault(g["hint"], g["rule"])  # each names its grant and file: one line per grant
        console.print(table)
        for hint, rule in hints.items():
            # A hanging indent: a wrapped hint stays visibly one item, under its rule id.
            console.print(Padding(Text.assemble((f"{rule}: ", "dim"), hint), (0, 0, 0, 2)))
    if diff:
        _print_diff(console, payload, acked)
    for problem in payload.get("problems", []):
        console.print(f"[yellow]note:[/yellow] {escape(problem)}")


SINCE = {"seen": "Since you last looked ({seen_at}, scan of {scanned_at})",
         "first": "Since the first scan ({scanned_at})",
         "since": "Since the scan of {scanned_at}"}


def _print_diff(console, payload: dict, acked: bool) -> None:
    from rich.markup import escape

    changes = len(payload["added"]) + len(payload["removed"]) + len(payload["changed"])
    base = payload["compared_to"]
    heading = SINCE[base["basis"]].format(**{k: v or "?" for k, v in base.items()})
    console.print(f"\n[bold]{heading}:[/bold] {changes or 'no'} change{'s' if changes != 1 else ''}")
    for label, sign, style in (("added", "+", "green"), ("removed", "-", "red")):
        for g in payload[label]:
            console.print(f"  [{style}]{sign}[/{style}] {g['tool']} {g['kind']} {escape(g['subject'])} = {escape(g['value'])}"
                          f" [{RISK_STYLE[g['risk']]}]({g['risk']})[/]  {escape(g['scope'])}")
    for g in payload["changed"]:
        what = "secret changed" if g["secret_changed"] and g["before"]["value"] == g["value"] else \
            escape(f"{g['before']['value']} -> {g['value']}")
        console.print(f"  [yellow]~[/yellow] {g['tool']} {g['kind']} {escape(g['subject'])}: {what}"
                      f" [{RISK_STYLE[g['risk']]}]({g['before']['risk']} -> {g['risk']})[/]  {escape(g['scope'])}")
    if acked:
        console.print("[dim]Marked as seen: the next --diff starts from this scan.[/dim]")
    elif changes:
        console.print("[dim]Listed until you run `tokenlens permissions --diff --ack` or open the app's"
                      " Permissions tab.[/dim]")
