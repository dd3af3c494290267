"""Markdown cells and tables of the reports (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def num(value: float | None, digits: int = 0) -> str:
    """Format a number for a table cell; None becomes an em dash."""
    return "—" if value is None else f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Return the lines of a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
