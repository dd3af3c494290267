"""Apply the load-test thresholds to a Locust stats CSV and print a verdict per endpoint.

Usage: python -m loadtests.check_results results/<prefix>_stats.csv
Exit status: 0 when every threshold holds, 1 when one fails, 2 when the CSV cannot be read.
Thresholds come from the same LOADTEST_MAX_* variables as the gate inside Locust.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from loadtests.common import config
from loadtests.common.report import render
from loadtests.common.thresholds import EndpointStats, evaluate

TOTAL_NAME = "Aggregated"
STATS_SUFFIX = "_stats.csv"


class ResultsError(Exception):
    """The stats CSV is missing or not in Locust's format."""


def _p95(raw: str) -> float | None:
    return None if raw in ("", "N/A") else float(raw)


def parse_row(row: dict[str, str]) -> EndpointStats:
    """Convert one row of Locust's stats CSV."""
    try:
        return EndpointStats(
            method=row["Type"],
            name=row["Name"],
            requests=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            avg_ms=float(row["Average Response Time"]),
            p95_ms=_p95(row["95%"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsError(f"not a Locust stats row: {exc}") from None


def read_stats(path: Path) -> tuple[list[EndpointStats], EndpointStats]:
    """Read per-endpoint rows and the aggregated row from a stats CSV."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [parse_row(row) for row in csv.DictReader(handle)]
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror}") from None
    totals = [row for row in rows if row.name == TOTAL_NAME and not row.method]
    if len(totals) != 1:
        raise ResultsError(f"{path} has no single {TOTAL_NAME} row")
    return [row for row in rows if row is not totals[0]], totals[0]


def count_exceptions(stats_path: Path) -> int:
    """Sum the Count column of the sibling <prefix>_exceptions.csv, when there is one."""
    if not stats_path.name.endswith(STATS_SUFFIX):
        return 0
    path = stats_path.with_name(stats_path.name.removesuffix(STATS_SUFFIX) + "_exceptions.csv")
    if not path.is_file():
        return 0
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(int(row.get("Count") or 0) for row in csv.DictReader(handle))


def main(argv: list[str] | None = None) -> int:
    """Check one stats CSV; return the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m loadtests.check_results", description=__doc__)
    parser.add_argument("stats_csv", type=Path, help="Locust's <prefix>_stats.csv")
    args = parser.parse_args(argv)
    try:
        limits = config.thresholds()
        rows, total = read_stats(args.stats_csv)
        exceptions = count_exceptions(args.stats_csv)
    except (ResultsError, ValueError) as exc:
        print(f"check_results: {exc}", file=sys.stderr)
        return 2
    verdict = evaluate(rows, total, limits, exceptions)
    print(render(verdict, limits))
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
