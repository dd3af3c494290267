"""Read the sandbox's raw data, so tests pick their examples from it instead of hard-coding."""

from __future__ import annotations

from typing import Any

from wisphub_api.upstream.phones import split_phones


def raw_clients(sandbox: Any) -> list[dict[str, Any]]:
    """Return every upstream client row, read page by page."""
    rows: list[dict[str, Any]] = []
    while True:
        page = sandbox.get("/api/clientes/", params={"limit": 300, "offset": len(rows)}).json()
        rows += page["results"]
        if len(rows) >= page["count"]:
            return rows


def raw_plans(sandbox: Any) -> list[dict[str, Any]]:
    """Return every upstream plan row."""
    return sandbox.get("/api/plan-internet/", params={"limit": 300}).json()["results"]


def first_row(rows: list[dict[str, Any]], predicate) -> dict[str, Any]:
    """Return the first row satisfying ``predicate`` (fails the test if none does)."""
    for row in rows:
        if predicate(row):
            return row
    raise AssertionError("the sandbox dataset has no row for this test")


def unique_document_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a row whose document no other row shares."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["cedula"]] = counts.get(row["cedula"], 0) + 1
    return first_row(rows, lambda r: r["cedula"] and counts[r["cedula"]] == 1)


def phone_owner_count(rows: list[dict[str, Any]], phone: str) -> int:
    """Return how many rows list ``phone`` (normalised) among their numbers."""
    return sum(phone in split_phones(r["telefono"]) for r in rows)
