"""Read the sandbox's tickets, zones and routers directly, so support tests derive their examples.

Nothing here goes through the API: these are the oracle the API's answers are compared with.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from tests.support.upstream_data import raw_clients

MAX_OPEN = 3  # MAX_OPEN_TICKETS_PER_ZONE's default
WINDOW_DAYS = 55  # inside WispHub's 2-month limit, and covers every seeded open ticket


def _all_pages(sandbox: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = sandbox.get(path, params={**params, "limit": 300, "offset": len(rows)}).json()
        rows += page["results"]
        if len(rows) >= page["count"]:
            return rows


def raw_tickets(sandbox: Any, estados: tuple[int, ...]) -> list[dict[str, Any]]:
    """Return the sandbox's tickets of these estado codes in a recent explicit window."""
    today = date.fromisoformat(sandbox.clock()["today"])
    window = {
        "fecha_creacion_0": (today - timedelta(days=WINDOW_DAYS)).isoformat(),
        "fecha_creacion_1": today.isoformat(),
    }
    return [t for e in estados for t in _all_pages(sandbox, "/api/tickets/", estado=e, **window)]


def open_by_zone(sandbox: Any) -> Counter[int]:
    """Return the number of open tickets (Nuevo, En Progreso) of each zone id."""
    return Counter(t["servicio"]["zona"]["id"] for t in raw_tickets(sandbox, (1, 2)))


def failing_routers(sandbox: Any) -> set[int]:
    """Return the ids of the routers WispHub marks with falla_general."""
    return {r["id"] for r in _all_pages(sandbox, "/api/router/") if r["falla_general"]}


def zone_ids(sandbox: Any) -> list[int]:
    """Return every zone id."""
    return [z["id"] for z in _all_pages(sandbox, "/api/zonas/")]


class Examples:
    """Clients picked from the sandbox's data for each support situation."""

    def __init__(self, sandbox: Any) -> None:
        self.rows = raw_clients(sandbox)
        self.open = open_by_zone(sandbox)
        self.failing = failing_routers(sandbox)
        owners = Counter(t["servicio"]["id_servicio"] for t in raw_tickets(sandbox, (1, 2)))
        self.with_open_ticket = set(owners)

    def _first(self, predicate) -> dict[str, Any]:
        for row in self.rows:
            if predicate(row) and row["id_servicio"] not in self.with_open_ticket:
                return row
        raise AssertionError("the sandbox has no client for this test")

    def calm(self, skip: int = 0) -> dict[str, Any]:
        """Return a client of the zone with fewest open tickets, its router healthy."""
        zone = min(
            {r["zona"]["id"] for r in self.rows if r["router"]["id"] not in self.failing},
            key=lambda z: self.open[z],
        )
        picks = [
            r for r in self.rows
            if r["zona"]["id"] == zone and r["router"]["id"] not in self.failing
            and r["id_servicio"] not in self.with_open_ticket
        ]  # fmt: skip
        return picks[skip]

    def outage_by_tickets(self) -> dict[str, Any]:
        """Return a client of a zone with MAX_OPEN open tickets or more (router healthy)."""
        return self._first(
            lambda r: (
                self.open[r["zona"]["id"]] >= MAX_OPEN and r["router"]["id"] not in self.failing
            )
        )

    def outage_by_router(self) -> dict[str, Any]:
        """Return a client whose router is in falla_general (its zone below the limit)."""
        return self._first(
            lambda r: r["router"]["id"] in self.failing and self.open[r["zona"]["id"]] < MAX_OPEN
        )
