"""The datasets kept as snapshots, and what the builder does with each.

A dataset says how to fetch it from WispHub, how to pass it between hosts (compact JSON, through
Redis), how to turn it into artifact sections, and how a worker loads those sections into the view
it serves. Adding a dataset is one class here.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from wisphub_api.services.artifact import Sections
from wisphub_api.services.clientview import ClientView
from wisphub_api.services.plans import PlanPair, PlanSnapshot, load_plans
from wisphub_api.upstream.models import Client, PlanDetail, PlanSummary

V = TypeVar("V", covariant=True)

_CLIENT_FIELDS = tuple(field.name for field in dataclasses.fields(Client))


class Dataset(Protocol, Generic[V]):
    """How one dataset is fetched, shared, built and loaded."""

    name: str
    ttl_setting: str  # the setting that holds its TTL

    def fetch(self, upstream: Any, config: Mapping[str, Any]) -> tuple[Any, float]:
        """Read the dataset from WispHub; return it and when its reading started."""

    def encode(self, payload: Any) -> bytes:
        """Return the payload as bytes to share with other hosts."""

    def decode(self, data: bytes) -> Any:
        """Rebuild a payload shared by ``encode``."""

    def sections(self, payload: Any) -> dict[str, bytes]:
        """Return the artifact sections of the payload."""

    def load(self, sections: Sections, pause: Callable[[], None]) -> V:
        """Return the view workers serve, from artifact sections."""


class Clients:
    """Every client of the ISP (one row per service)."""

    name = "clients"
    ttl_setting = "CLIENTS_CACHE_TTL"

    def fetch(self, upstream: Any, config: Mapping[str, Any]) -> tuple[Any, float]:
        listing = upstream.list_clients()
        return listing.clients, listing.fetched_at

    def encode(self, payload: Any) -> bytes:
        rows = [[getattr(client, name) for name in _CLIENT_FIELDS] for client in payload]
        return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, data: bytes) -> Any:
        clients = []
        for row in json.loads(data):
            values = dict(zip(_CLIENT_FIELDS, row, strict=True))
            values["phones"] = tuple(values["phones"])
            clients.append(Client(**values))
        return tuple(clients)

    def sections(self, payload: Any) -> dict[str, bytes]:
        return ClientView.sections(payload)

    def load(self, sections: Sections, pause: Callable[[], None]) -> ClientView:
        return ClientView.load(sections, pause)


class Plans:
    """The internet plans with their details."""

    name = "plans"
    ttl_setting = "PLANS_CACHE_TTL"

    def fetch(self, upstream: Any, config: Mapping[str, Any]) -> tuple[Any, float]:
        started = time.time()
        return load_plans(upstream, config["UPSTREAM_MAX_PARALLEL_PAGES"]), started

    def encode(self, payload: Any) -> bytes:
        pairs = [
            [dataclasses.astuple(s), dataclasses.astuple(d) if d else None] for s, d in payload
        ]
        return json.dumps(pairs, ensure_ascii=False).encode()

    def decode(self, data: bytes) -> Any:
        pairs: list[PlanPair] = [
            (PlanSummary(*s), PlanDetail(*d) if d is not None else None)
            for s, d in json.loads(data)
        ]
        return tuple(pairs)

    def sections(self, payload: Any) -> dict[str, bytes]:
        return PlanSnapshot.sections(payload)

    def load(self, sections: Sections, pause: Callable[[], None]) -> PlanSnapshot:
        return PlanSnapshot.load(sections, pause)


DATASETS: dict[str, Dataset[Any]] = {"clients": Clients(), "plans": Plans()}
