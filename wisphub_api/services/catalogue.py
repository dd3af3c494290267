"""WispHub's support catalogues (zones, routers, staff), each read whole and kept briefly.

They are small (a few rows to a few hundred) and change rarely, except a router's
``falla_general``, which is why they are kept for ``SUPPORT_CATALOGUE_TTL`` seconds only.
"""

from __future__ import annotations

from typing import Any

from wisphub_api.services.brief import BriefCache
from wisphub_api.services.snapshots import CacheState
from wisphub_api.services.tickets import combine_states
from wisphub_api.upstream.catalogues import Router, StaffMember, Zone
from wisphub_api.upstream.client import WispHubClient


class SupportCatalogue:
    """Zones, routers and staff by id, loaded on demand through one brief cache."""

    def __init__(self, upstream: WispHubClient, cache: BriefCache[Any]) -> None:
        self.upstream = upstream
        self.cache = cache

    def zones(self) -> tuple[dict[int, Zone], CacheState]:
        """Return every zone by id."""
        rows, state = self.cache.get("zones", lambda: tuple(self.upstream.list_zones()))
        return {zone.zone_id: zone for zone in rows}, state

    def routers(self) -> tuple[dict[int, Router], CacheState]:
        """Return every router by id, with its general-failure flag."""
        rows, state = self.cache.get("routers", lambda: tuple(self.upstream.list_routers()))
        return {router.router_id: router for router in rows}, state

    def staff(self) -> tuple[dict[int, StaffMember], CacheState]:
        """Return every staff member by id."""
        rows, state = self.cache.get("staff", lambda: tuple(self.upstream.list_staff()))
        return {member.staff_id: member for member in rows}, state

    def failing_router_zones(self) -> tuple[dict[int, frozenset[int]], CacheState]:
        """Return the zones served by each router in general failure (none: no extra call).

        The router catalogue names no zone, so the clients of a failing router are read (one
        filtered listing per failing router, kept as long as the catalogue).
        """
        routers, router_state = self.routers()
        failing = sorted(r.router_id for r in routers.values() if r.general_failure)

        def load() -> dict[int, frozenset[int]]:
            return {rid: frozenset(self.upstream.zones_of_router(rid)) for rid in failing}

        key = "router-zones:" + ",".join(map(str, failing))
        zones, state = self.cache.get(key, load)
        return zones, combine_states(router_state, state)
