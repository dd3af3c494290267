"""The internet plans of the ISP: list and details, loaded together and cached as one snapshot."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from wisphub_api.services.artifact import Sections
from wisphub_api.services.errors import PlanNotFound
from wisphub_api.services.prepared import PreparedJson, encode_json
from wisphub_api.services.snapshots import CacheState, SnapshotStore
from wisphub_api.translatable import N_
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamNotFound
from wisphub_api.upstream.models import PlanDetail, PlanSummary

PlanPair = tuple[PlanSummary, PlanDetail | None]

# WispHub publishes no price or speeds for PCQ plans (or answers 404 for a plan's detail).
NO_DETAIL_NOTE = N_("WispHub Net publishes no price or speeds for this plan.")


def load_plans(upstream: WispHubClient, max_parallel: int) -> tuple[PlanPair, ...]:
    """Read the plan list and every plan's detail (a bounded number of calls at a time)."""
    summaries = upstream.list_plans()

    def detail(plan: PlanSummary) -> PlanDetail | None:
        try:
            return upstream.get_plan(plan)
        except UpstreamNotFound:
            return None

    with ThreadPoolExecutor(max_workers=max(1, max_parallel)) as pool:
        details = list(pool.map(detail, summaries))
    return tuple(zip(summaries, details, strict=True))


def plan_item(summary: PlanSummary) -> dict[str, Any]:
    """Return a plan as the list answers it: the one serialiser of that shape."""
    return {"plan_id": summary.plan_id, "name": summary.name, "type": summary.type}


def plan_detail(summary: PlanSummary, detail: PlanDetail | None) -> dict[str, Any]:
    """Return a plan as its detail route answers it: the one serialiser of that shape."""
    body: dict[str, Any] = {
        **plan_item(summary),
        "price": None,
        "download_speed": None,
        "upload_speed": None,
    }
    if detail is not None:
        body.update(
            price=detail.price,
            download_speed=detail.download_speed,
            upload_speed=detail.upload_speed,
        )
    if detail is None or detail.price is None:
        body["note"] = NO_DETAIL_NOTE
    return body


class PlanSnapshot:
    """Every plan with its detail, and the list answer prepared once."""

    def __init__(self, listing: PreparedJson, details: dict[int, dict[str, Any]]) -> None:
        self.listing = listing
        self.details = details

    @staticmethod
    def sections(pairs: Iterable[PlanPair]) -> dict[str, bytes]:
        """Return the artifact sections of the plans (built by the host's builder)."""
        pairs = tuple(pairs)
        details = {str(s.plan_id): plan_detail(s, d) for s, d in pairs}
        return {
            "listing": encode_json([plan_item(summary) for summary, _ in pairs]),
            "details": encode_json(details),
        }

    @classmethod
    def load(cls, sections: Sections, pause: Callable[[], None] = lambda: None) -> PlanSnapshot:
        """Rebuild the plans from their sections (they are small: no pause needed)."""
        details = {int(k): v for k, v in json.loads(bytes(sections["details"])).items()}
        return cls(PreparedJson.of(json.loads(bytes(sections["listing"]))), details)

    @classmethod
    def of(cls, pairs: Iterable[PlanPair]) -> PlanSnapshot:
        """Build the plans in this process (tests)."""
        return cls.load(cls.sections(pairs))


class PlanCatalog:
    """Answer plan questions from the cached plan snapshot."""

    def __init__(self, store: SnapshotStore[PlanSnapshot]) -> None:
        self.store = store

    def snapshot(self) -> tuple[PlanSnapshot, CacheState]:
        """Return every plan, loading them when cold."""
        return self.store.get()

    def snapshot_ready(self) -> tuple[PlanSnapshot, CacheState] | None:
        """Return what ``snapshot`` returns when the plans are usable now, else None."""
        return self.store.ready()

    def detail(self, plan_id: int) -> tuple[dict[str, Any], CacheState]:
        """Return one plan's detail answer."""
        snapshot, state = self.store.get()
        found = snapshot.details.get(plan_id)
        if found is None:
            raise PlanNotFound()
        return found, state
