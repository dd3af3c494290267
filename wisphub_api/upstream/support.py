"""WispHub Net endpoints of support conversations: tickets, staff, zones, routers, ping, tasks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from .catalogues import (
    Router,
    StaffMember,
    Zone,
    router_from_row,
    staff_from_row,
    zone_from_row,
)
from .core import ClientCore, positive_id
from .errors import UpstreamBadResponse
from .paging import parse_page, read_all
from .tasks import TASK_ID, TaskState, task_from_body
from .tickets import Ticket, TicketDraft, ticket_from_row, ticket_payload

T = TypeVar("T")
# Dates of WispHub's ticket window filters (Django's es locale also reads DD/MM/YYYY).
WINDOW_FORMAT = "%Y-%m-%d"


class SupportEndpoints(ClientCore):
    """One method per support endpoint of WispHub Net (see WISPHUB_UPSTREAM.md §7, §9, §15)."""

    def _list(
        self,
        template: str,
        build: Callable[[Any], T],
        *,
        key: str,
        params: Mapping[str, Any] | None = None,
    ) -> list[T]:
        """Read every page of a list (all or nothing) and build each row."""

        def fetch(offset: int) -> Any:
            query = {**(params or {}), "limit": self.page_size, "offset": offset}
            return parse_page(self._get_json(template, params=query))

        rows = read_all(
            fetch,
            page_size=self.page_size,
            max_parallel=self.max_parallel_pages,
            key=key,
            what=f"/api{template}",
        )
        return [build(row) for row in rows]

    def list_tickets(self, estado: int, start: date, end: date) -> list[Ticket]:
        """Return every ticket in one numeric ``estado`` created from ``start`` to ``end``.

        WispHub has no per-client filter (it ignores them) and refuses windows over 2 months;
        without a window it hides tickets older than a few weeks.
        """
        params = {
            "estado": estado,
            "fecha_creacion_0": start.strftime(WINDOW_FORMAT),
            "fecha_creacion_1": end.strftime(WINDOW_FORMAT),
        }
        return self._list("/tickets/", ticket_from_row, key="id_ticket", params=params)

    def get_ticket(self, ticket_id: int) -> Ticket:
        """Return one ticket; UpstreamNotFound when WispHub has none with this id."""
        body = self._get_json("/tickets/{id}/", ids={"id": positive_id(ticket_id)})
        return ticket_from_row(body)

    def create_ticket(self, draft: TicketDraft) -> Ticket:
        """Open a ticket (sent once, never retried) and return it as WispHub created it."""
        response = self._call("POST", "/tickets/", payload=ticket_payload(draft), ok=(200, 201))
        try:
            body = response.json()
        except ValueError:
            raise UpstreamBadResponse(
                "WispHub Net created a ticket but sent no readable row"
            ) from None
        return ticket_from_row(body)

    def list_zones(self) -> list[Zone]:
        """Return every zone."""
        return self._list("/zonas/", zone_from_row, key="id")

    def list_routers(self) -> list[Router]:
        """Return every router with its ``falla_general`` flag."""
        return self._list("/router/", router_from_row, key="id")

    def list_staff(self) -> list[StaffMember]:
        """Return every staff member (technicians are the ``tecnico`` of tickets)."""
        return self._list("/staff/", staff_from_row, key="id")

    def zones_of_router(self, router_id: int) -> set[int]:
        """Return the zones of the clients a router serves (every page of them)."""
        router_id = positive_id(router_id)

        def zone_of(row: Any) -> int | None:
            router, zone = row.get("router"), row.get("zona")
            if not isinstance(router, dict) or router.get("id") != router_id:
                return None  # a tenant that ignores the router filter sends everyone
            zone_id = zone.get("id") if isinstance(zone, dict) else None
            return zone_id if isinstance(zone_id, int) and not isinstance(zone_id, bool) else None

        params = {"router": router_id}
        zones = self._list("/clientes/", zone_of, key="id_servicio", params=params)
        return {zone for zone in zones if zone is not None}

    def start_ping(self, service_id: int, pings: int) -> str:
        """Ask the client's router to ping its equipment ``pings`` times; return the task id."""
        if isinstance(pings, bool) or not 1 <= pings <= 10:
            raise ValueError("pings must be between 1 and 10")
        ids = {"id": positive_id(service_id)}
        response = self._call(
            "POST", "/clientes/{id}/ping/", ids=ids, payload={"pings": pings}, ok=(200, 202)
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        task_id = body.get("task_id") if isinstance(body, dict) else None
        if not isinstance(task_id, str) or not TASK_ID.match(task_id):
            raise UpstreamBadResponse("WispHub Net started a ping but sent no usable task_id")
        return task_id

    def get_task(self, task_id: str) -> TaskState:
        """Return the state of an asynchronous task (a ping)."""
        if not TASK_ID.match(task_id):
            raise ValueError("not a WispHub task id")
        response = self._call("GET", "/tasks/{id}/", ids={"id": task_id})
        try:
            body = response.json()
        except ValueError:
            raise UpstreamBadResponse("WispHub Net sent invalid JSON for a task") from None
        return task_from_body(body)
