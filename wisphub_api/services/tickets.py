"""The ISP's tickets as support conversations need them: open ones by client and zone, cheaply.

WispHub has no per-client ticket filter and hides old tickets unless a date window (at most two
months) is given. So the open tickets (``estado`` 1 and 2) are read as one bounded listing, every
page, within an explicit window of ``TICKETS_WINDOW_DAYS`` days, and kept for
``TICKETS_CACHE_TTL`` seconds (single flight; stale while WispHub fails). The closed ones
(``estado`` 3 and 4, same window) are read the same way, only when someone asks for them.

A ticket opened here is appended to the ``tickets`` write log: every worker lays it over its
listing at once, until a listing that started after the write arrives. When a create may have
reached WispHub without an answer (a timeout), the open listing is dropped, so that the next
read asks WispHub and tells whether the ticket exists.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from wisphub_api.services.brief import BriefCache
from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.errors import TicketNotFound
from wisphub_api.services.snapshots import CacheState
from wisphub_api.services.writelog import Entry, WriteLog
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamNotFound
from wisphub_api.upstream.tickets import CLOSED_STATUSES, OPEN_STATUSES, STATUS_CODES, Ticket

logger = logging.getLogger("wisphub_api.tickets")

# Ticket statuses a client's listing can ask for.
STATUS_FILTERS = ("open", "closed", "all")
_DATE_FIELDS = ("created_at", "expected_end", "last_answer_at")
_ORDER = {"HIT": 0, "MISS": 1, "STALE": 2}


@dataclass(frozen=True, slots=True)
class TicketListing:
    """Every ticket of some statuses in the window, as read from ``started_at`` on."""

    tickets: tuple[Ticket, ...]
    started_at: float  # when the first page was asked for: a write before it is in it


def combine_states(*states: CacheState) -> CacheState:
    """Return the state of an answer built from several cached parts: the worst, the oldest."""
    worst = max(states, key=lambda s: _ORDER.get(s.status, 0))
    return CacheState(worst.status, max(s.age for s in states))


def ticket_entry(ticket: Ticket) -> dict[str, Any]:
    """Return a ticket as a write-log entry (JSON; it holds no description, no personal data)."""
    entry: dict[str, Any] = {f.name: getattr(ticket, f.name) for f in fields(Ticket)}
    for name in _DATE_FIELDS:
        entry[name] = entry[name].isoformat() if entry[name] is not None else None
    return entry


def ticket_from_entry(entry: dict[str, Any]) -> Ticket:
    """Rebuild a ticket from ``ticket_entry``'s record."""
    values: dict[str, Any] = {f.name: entry.get(f.name) for f in fields(Ticket)}
    for name in _DATE_FIELDS:
        values[name] = datetime.fromisoformat(values[name]) if values[name] else None
    return Ticket(**values)


def newest_first(tickets: Iterable[Ticket]) -> list[Ticket]:
    """Order tickets by creation, newest first (then by id)."""

    def key(ticket: Ticket) -> tuple[float, int]:
        created = ticket.created_at.timestamp() if ticket.created_at is not None else 0.0
        return created, ticket.ticket_id

    return sorted(tickets, key=key, reverse=True)


class TicketBook:
    """Read tickets from the cached listings and a detail cache; record the ones opened here."""

    def __init__(
        self,
        upstream: WispHubClient,
        directory: ClientDirectory,
        listings: BriefCache[TicketListing],
        details: BriefCache[Ticket | None],
        *,
        window_days: int,
        clock: Callable[[], float] = time.time,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.upstream = upstream
        self.directory = directory
        self.listings = listings
        self.details = details
        self.window_days = window_days
        self._clock = clock
        self._today = today
        self._lock = threading.Lock()
        self._created: dict[int, tuple[Ticket, float]] = {}  # id -> (ticket, written at)
        self._log: WriteLog | None = None

    def follow(self, log: WriteLog) -> None:
        """Record created tickets in ``log`` and lay every worker's over the listings."""
        self._log = log
        log.subscribers.append(self._apply)

    def window(self) -> tuple[date, date]:
        """Return the creation window asked of WispHub: ``window_days`` up to tomorrow.

        Tomorrow, so that a tenant whose day is ahead of ours still shows today's tickets.
        """
        end = self._today() + timedelta(days=1)
        return end - timedelta(days=self.window_days), end

    def _load(self, statuses: tuple[str, ...]) -> TicketListing:
        started = self._clock()
        start, end = self.window()
        found: dict[int, Ticket] = {}
        for status in statuses:
            for ticket in self.upstream.list_tickets(STATUS_CODES[status], start, end):
                found[ticket.ticket_id] = ticket
        return TicketListing(tuple(found.values()), started)

    def open_tickets(self) -> tuple[tuple[Ticket, ...], CacheState]:
        """Return every open ticket: the cached listing plus those opened since it started."""
        listing, state = self.listings.get("open", lambda: self._load(OPEN_STATUSES))
        listed = {ticket.ticket_id for ticket in listing.tickets}
        with self._lock:
            for ticket_id, (_, written_at) in list(self._created.items()):
                if written_at < listing.started_at:  # the listing has it (or it closed)
                    del self._created[ticket_id]
            extra = tuple(t for t, _ in self._created.values() if t.ticket_id not in listed)
        return listing.tickets + extra, state

    def closed_tickets(self) -> tuple[TicketListing, CacheState]:
        """Return the resolved and closed tickets of the window."""
        return self.listings.get("closed", lambda: self._load(CLOSED_STATUSES))

    def of_client(self, service_id: int, status: str) -> tuple[list[Ticket], CacheState]:
        """Return a client's tickets of ``status`` (open, closed or all), newest first."""
        self.directory.by_service_id(service_id)  # ClientNotFound for an unknown service
        parts: list[tuple[Iterable[Ticket], CacheState]] = []
        if status in ("open", "all"):
            parts.append(self.open_tickets())
        if status in ("closed", "all"):
            closed, state = self.closed_tickets()
            parts.append((closed.tickets, state))
        mine: dict[int, Ticket] = {}
        for tickets, _ in parts:  # a ticket in both listings: the later part (closed) wins
            mine.update({t.ticket_id: t for t in tickets if t.service_id == service_id})
        return newest_first(mine.values()), combine_states(*(state for _, state in parts))

    def get(self, ticket_id: int) -> tuple[Ticket, CacheState]:
        """Return one ticket (cached briefly, stale while WispHub fails)."""

        def load() -> Ticket | None:
            try:
                return self.upstream.get_ticket(ticket_id)
            except UpstreamNotFound:
                return None

        ticket, state = self.details.get(str(ticket_id), load)
        if ticket is None:
            raise TicketNotFound()
        return ticket, state

    def forget_open(self) -> None:
        """Drop the open listing: a create may have landed, the next read must ask WispHub."""
        self.listings.forget("open")

    def record_created(self, ticket: Ticket) -> None:
        """Show a ticket WispHub created in every read of every worker."""
        entry: Entry = {"ticket": ticket_entry(ticket), "written_at": self._clock()}
        if self._log is None:
            self._apply([entry])
            return
        try:
            self._log.append(entry)  # applies it here at once, then in the other workers
        except SharedStateUnavailable:
            # Checked before sending, so rare: this worker shows it now, the others once
            # their listing is refreshed (within TICKETS_CACHE_TTL).
            logger.warning("a created ticket could not be shared with the other workers")
            self._apply([entry])

    def _apply(self, entries: list[Entry]) -> None:
        """Lay created tickets (this worker's or another's) over the cached data."""
        for entry in entries:
            try:
                ticket = ticket_from_entry(entry["ticket"])
                written_at = float(entry["written_at"])
            except (KeyError, TypeError, ValueError):
                logger.warning("skipped an unreadable entry of the tickets write log")
                continue
            with self._lock:
                self._created[ticket.ticket_id] = (ticket, written_at)
            if self._clock() - written_at < self.details.ttl:  # an old entry may be outdated
                self.details.put(str(ticket.ticket_id), ticket)
