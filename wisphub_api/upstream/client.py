"""WispHubClient: the one place that talks HTTP to WispHub Net.

One method per WispHub endpoint, grouped: clients and plans here, tickets, diagnostics and
catalogues in ``support``, invoices, balances and payments in ``billing``. All of them send through
``core.ClientCore._call`` (timeouts, GET-only retries, the 429 gate, typed errors).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .billing import BillingEndpoints
from .core import log, positive_id
from .errors import UpstreamBadResponse, UpstreamNotFound
from .mapping import client_from_row, plan_detail_from_body, plan_from_row, profile_payload
from .models import Client, Listing, PlanDetail, PlanSummary
from .paging import parse_page, read_all
from .support import SupportEndpoints

_PLAN_DETAIL_PATHS: dict[str, tuple[str, ...]] = {
    "PPPoE": ("/plan-internet/pppoe/{id}/",),
    "Simple Queue": ("/plan-internet/queue/{id}/",),
    "PCQ": (),  # WispHub exposes no price or speed for PCQ plans: answered without a call
}
# Unknown plan types: try both detail routes, as integrators do.
_UNKNOWN_TYPE_PATHS = ("/plan-internet/pppoe/{id}/", "/plan-internet/queue/{id}/")


class WispHubClient(SupportEndpoints, BillingEndpoints):
    """Read clients and plans from WispHub Net and update profiles, with typed failures."""

    def list_clients(self) -> Listing:
        """Return every client, complete (exactly `count` distinct services) or raise."""
        started = time.time()
        rows = read_all(
            lambda offset: self._page("/clientes/", offset),
            page_size=self.page_size,
            max_parallel=self.max_parallel_pages,
            key="id_servicio",
            what="/api/clientes/",
        )
        clients = tuple(client_from_row(row) for row in rows)
        return Listing(clients=clients, count=len(clients), fetched_at=started)

    def find_clients(
        self,
        *,
        cedula: str | None = None,
        telefono: str | None = None,
        id_servicio: int | None = None,
    ) -> list[Client]:
        """Return the clients WispHub matches for the given filters, in one GET."""
        cedula = cedula.strip() if cedula and cedula.strip() else None
        telefono = telefono.strip() if telefono and telefono.strip() else None
        filters = {"cedula": cedula, "telefono": telefono, "id_servicio": id_servicio}
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        if not params:
            raise ValueError("find_clients needs at least one filter")
        params["limit"] = self.page_size
        page = parse_page(self._get_json("/clientes/", params=params))
        if page.count != len(page.rows):
            # More matches than one page (or a filter WispHub ignored): never answer with a part.
            log.warning("lookup /api/clientes/ rejected: %d rows of %d", len(page.rows), page.count)
            raise UpstreamBadResponse("WispHub Net sent an incomplete listing of /api/clientes/")
        clients = [client_from_row(row) for row in page.rows]
        # A filter ignored by a small tenant returns everyone: keep the asked-for service only.
        return [c for c in clients if id_servicio is None or c.service_id == id_servicio]

    def get_client(self, service_id: int) -> Client:
        """Return the client of one service id; raise UpstreamNotFound when there is none."""
        matches = self.find_clients(id_servicio=positive_id(service_id))
        if not matches:
            raise UpstreamNotFound("WispHub Net has no client with that service id", status=None)
        if len(matches) > 1:
            raise UpstreamBadResponse("WispHub Net sent several rows for one service id")
        return matches[0]

    def update_profile(self, service_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Update a client's profile; return upstream's echo, or the payload sent on 204."""
        payload = profile_payload(fields)
        ids = {"id": positive_id(service_id)}
        response = self._call(
            "PUT", "/clientes/{id}/perfil/", ids=ids, payload=payload, ok=(200, 204)
        )
        if response.status_code == 204 or not response.content:
            return dict(payload)
        try:
            echo = response.json()
        except ValueError:  # the write was accepted; an unreadable echo does not undo it
            return dict(payload)
        return echo if isinstance(echo, dict) else dict(payload)

    def list_plans(self) -> list[PlanSummary]:
        """Return every internet plan (id, name, type), all pages."""
        rows = read_all(
            lambda offset: self._page("/plan-internet/", offset),
            page_size=self.page_size,
            max_parallel=self.max_parallel_pages,
            key="id",
            what="/api/plan-internet/",
        )
        return [plan_from_row(row) for row in rows]

    def get_plan(self, plan: PlanSummary) -> PlanDetail:
        """Return a plan's price and speeds from the detail route of its type (none for PCQ)."""
        templates = _PLAN_DETAIL_PATHS.get(plan.type, _UNKNOWN_TYPE_PATHS)
        if not templates:
            return plan_detail_from_body(plan, {})
        ids = {"id": plan.plan_id}
        for template in templates[:-1]:
            try:
                return plan_detail_from_body(plan, self._get_json(template, ids=ids))
            except UpstreamNotFound:
                continue
        return plan_detail_from_body(plan, self._get_json(templates[-1], ids=ids))
