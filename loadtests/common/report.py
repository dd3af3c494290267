"""Render a verdict as a plain-text table (shared by the quitting gate and check_results)."""

from __future__ import annotations

from loadtests.common.thresholds import RowVerdict, Thresholds, Verdict

HEADERS = ("Type", "Name", "Reqs", "Fails", "Avg ms", "p95 ms", "Cached", "Verdict")


def _limit(value: float | None, unit: str = "") -> str:
    return "off" if value is None else f"{value:g}{unit}"


def _cells(row: RowVerdict) -> tuple[str, ...]:
    stats = row.stats
    p95 = "N/A" if stats.p95_ms is None else f"{stats.p95_ms:g}"
    verdict = "PASS" if row.passed else "FAIL: " + "; ".join(row.problems)
    cached = "yes" if row.cached else ""
    counts = (str(stats.requests), str(stats.failures), f"{stats.avg_ms:.1f}", p95)
    return (stats.method, stats.name, *counts, cached, verdict)


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Align rows of cells into columns; the last column is left ragged."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    # zip stops before the last cell on purpose: it is printed as is.
    padded = ([cell.ljust(width) for cell, width in zip(row, widths, strict=False)] for row in rows)
    return ["  ".join([*cells, row[-1]]).rstrip() for cells, row in zip(padded, rows, strict=True)]


def render(verdict: Verdict, limits: Thresholds) -> str:
    """Return the per-endpoint table, the limits applied and the overall result."""
    rows = [HEADERS, *(_cells(row) for row in (*verdict.rows, verdict.total))]
    lines = ["Load-test thresholds", *table(rows), ""]
    lines.append(
        f"Limits: failures <= {_limit(limits.max_failures)}, "
        f"average <= {_limit(limits.max_avg_ms, ' ms')}, "
        f"p95 of cached routes <= {_limit(limits.max_cached_p95_ms, ' ms')}"
    )
    lines.append("RESULT: PASS" if verdict.passed else "RESULT: FAIL")
    lines.extend(f"  - {problem}" for problem in verdict.problems)
    return "\n".join(lines)
