"""Counts and dollars as people read them; tiny, so the status line can import it."""

from __future__ import annotations


def format_tokens(value: float) -> str:
    """Compact token counts: 950, 12.3k, 4.56M, 1.20B (never '1000k': that is 1.00M)."""
    value = float(value)
    units = ((1e9, "B"), (1e6, "M"), (1e3, "k"))
    for limit, suffix in units:
        if abs(value) >= limit * 0.9995:  # what would round to 1000 of a unit is one of the next
            scaled = value / limit
            digits = 2 if abs(scaled) < 9.995 else 1 if abs(scaled) < 99.95 else 0
            return f"{scaled:.{digits}f}{suffix}"
    return f"{value:.0f}"


def format_cost(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.005:
        return "$0"
    if value < 100:
        return f"${value:.2f}"
    return f"${value:,.0f}"
