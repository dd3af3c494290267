"""The services of support conversations (tickets, outages, diagnostics), wired from settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wisphub_api.services.brief import BriefCache
from wisphub_api.services.catalogue import SupportCatalogue
from wisphub_api.services.diagnostics import DiagnosticService
from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.outage import OutageService
from wisphub_api.services.subjects import SubjectCatalogue, load_subjects
from wisphub_api.services.ticket_desk import TicketDesk
from wisphub_api.services.tickets import TicketBook
from wisphub_api.services.writelog import WriteLog
from wisphub_api.state.guard import Guarded
from wisphub_api.upstream.client import WispHubClient

WRITE_LOG = "tickets"  # the write log of the tickets opened here


@dataclass(frozen=True)
class SupportServices:
    """Everything the support routes need."""

    subjects: SubjectCatalogue
    catalogue: SupportCatalogue
    tickets: TicketBook
    outages: OutageService
    desk: TicketDesk
    diagnostics: DiagnosticService

    def follow(self, log: WriteLog) -> None:
        """Share the tickets opened here through ``log`` and apply the other workers'."""
        self.tickets.follow(log)


def build_support(
    config: Mapping[str, Any],
    backend: Any,
    state: Guarded,
    upstream: WispHubClient,
    directory: ClientDirectory,
    *,
    budget: float,
) -> SupportServices:
    """Wire the ticket listings, catalogues, outage rules and diagnostics of one app.

    ``budget`` is the longest an upstream load may take (how long a cache follower waits).
    """

    def brief(name: str, ttl: float) -> BriefCache[Any]:
        return BriefCache(
            backend, name, ttl=ttl, stale_max_age=config["STALE_MAX_AGE"], wait_seconds=budget
        )

    catalogue = SupportCatalogue(
        upstream, brief("support-catalogue", config["SUPPORT_CATALOGUE_TTL"])
    )
    tickets = TicketBook(
        upstream,
        directory,
        brief("tickets", config["TICKETS_CACHE_TTL"]),
        brief("ticket", config["TICKETS_CACHE_TTL"]),
        window_days=config["TICKETS_WINDOW_DAYS"],
    )
    outages = OutageService(tickets, catalogue, max_open=config["MAX_OPEN_TICKETS_PER_ZONE"])
    subjects = load_subjects(config["TICKET_SUBJECTS"])
    desk = TicketDesk(upstream, directory, tickets, outages, catalogue, subjects, state)
    diagnostics = DiagnosticService(
        upstream,
        directory,
        outages,
        state,
        poll_seconds=config["DIAGNOSTIC_POLL_SECONDS"],
        max_seconds=config["DIAGNOSTIC_MAX_SECONDS"],
        ttl=config["DIAGNOSTIC_TTL"],
    )
    return SupportServices(subjects, catalogue, tickets, outages, desk, diagnostics)
