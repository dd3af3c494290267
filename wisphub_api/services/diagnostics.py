"""Connection diagnostics: a remote ping started once, polled cheaply, judged by fixed rules.

Starting one sends WispHub's ping (never retried) and records the diagnostic in the shared store
under an id of our own (WispHub's task id is never shown). Reading it costs at most one
upstream call per ``DIAGNOSTIC_POLL_SECONDS`` however many bots and workers read it: the reader
that wins an atomic ``add`` of the window's claim polls WispHub and stores what it learned; the
others answer the last stored result. A finished result is kept as is; a diagnostic still
unfinished after ``DIAGNOSTIC_MAX_SECONDS`` fails. ``wait`` polls that way until the result is
final or the time is up, sleeping cooperatively (gevent patches ``time.sleep``).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.errors import DiagnosticNotFound, WritesUnavailable
from wisphub_api.services.outage import OutageService
from wisphub_api.services.verdict import PENDING, Verdict, failed, judge
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.state.guard import Guarded
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamError, UpstreamNotFound

logger = logging.getLogger("wisphub_api.diagnostics")

DIAGNOSTIC_ID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_PINGS = 4  # as integrators send: enough to see a lost packet, done in seconds
MAX_WAIT_SECONDS = 25  # the contract's limit of ?wait=


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A diagnostic as the contract answers it."""

    diagnostic_id: str
    service_id: int
    known_outage: bool | None  # None: it could not be told when the diagnostic started
    result: Verdict

    @property
    def final(self) -> bool:
        """Say whether the diagnostic ended (done or failed)."""
        return self.result.status != "pending"

    def to_public(self) -> dict[str, Any]:
        """Return the contract's Diagnostic."""
        result = self.result
        return {
            "diagnostic_id": self.diagnostic_id,
            "service_id": self.service_id,
            "status": result.status,
            "verdict": result.verdict,
            "packets_sent": result.packets_sent,
            "packets_received": result.packets_received,
            "avg_rtt_ms": result.avg_rtt_ms,
            "message": result.message,
            "known_outage": self.known_outage,
        }


class DiagnosticService:
    """Start, read and wait for diagnostics (see the module docstring)."""

    def __init__(
        self,
        upstream: WispHubClient,
        directory: ClientDirectory,
        outages: OutageService,
        state: Guarded,
        *,
        poll_seconds: float,
        max_seconds: float,
        ttl: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.upstream = upstream
        self.directory = directory
        self.outages = outages
        self.state = state
        self.poll_seconds = poll_seconds
        self.max_seconds = max_seconds
        self.ttl = ttl
        self._clock = clock
        self._sleep = sleep

    @staticmethod
    def _key(diagnostic_id: str, part: str = "") -> str:
        return f"diag:{diagnostic_id}{part}"

    def start(self, service_id: int, pings: int = DEFAULT_PINGS) -> Diagnostic:
        """Start pinging a client's equipment; return the pending diagnostic."""
        client, _ = self.directory.by_service_id(service_id)
        try:
            known: bool | None = self.outages.of_client(client).known
        except UpstreamError as exc:  # the ping may still work: say "unknown"
            logger.warning("known outage unknown for a diagnostic: %s", type(exc).__name__)
            known = None
        try:
            self.state.ping()  # a diagnostic no other worker could read is refused first
        except SharedStateUnavailable as exc:
            raise WritesUnavailable(exc.retry_after) from None
        task_id = self.upstream.start_ping(client.service_id, pings)
        diagnostic_id = uuid.uuid4().hex
        record = {
            "service_id": client.service_id,
            "task_id": task_id,
            "started_at": self._clock(),
            "known_outage": known,
        }
        try:
            self.state.set(self._key(diagnostic_id), json.dumps(record).encode(), self.ttl)
            # Nothing to learn before one poll interval: the first window is claimed now.
            self.state.add(self._key(diagnostic_id, ":poll"), b"1", self.poll_seconds)
        except SharedStateUnavailable as exc:
            raise WritesUnavailable(exc.retry_after) from None
        return Diagnostic(diagnostic_id, client.service_id, known, PENDING)

    def read(self, diagnostic_id: str) -> Diagnostic:
        """Return a diagnostic, polling WispHub when this reader wins the window's claim."""
        if not DIAGNOSTIC_ID.match(diagnostic_id):
            raise DiagnosticNotFound()
        raw = self.state.get(self._key(diagnostic_id))
        if raw is None:
            raise DiagnosticNotFound()
        record = json.loads(raw)
        result = self._stored(diagnostic_id)
        if result is None or result.status == "pending":
            if self.state.add(self._key(diagnostic_id, ":poll"), b"1", self.poll_seconds):
                result = self._poll(diagnostic_id, record) or result
            if (result is None or result.status == "pending") and self._expired(record):
                result = failed("timed_out")
                self._store(diagnostic_id, result, record)
        return Diagnostic(
            diagnostic_id, int(record["service_id"]), record["known_outage"], result or PENDING
        )

    def wait(self, diagnostic_id: str, seconds: float) -> Diagnostic:
        """Read a diagnostic until it ends or ``seconds`` pass (at most MAX_WAIT_SECONDS)."""
        deadline = self._clock() + min(seconds, MAX_WAIT_SECONDS)
        step = max(0.05, min(0.5, self.poll_seconds / 4))  # notice another reader's poll soon
        while True:
            diagnostic = self.read(diagnostic_id)
            left = deadline - self._clock()
            if diagnostic.final or left <= 0:
                return diagnostic
            self._sleep(min(step, left))

    def _expired(self, record: dict[str, Any]) -> bool:
        return self._clock() - float(record["started_at"]) > self.max_seconds

    def _poll(self, diagnostic_id: str, record: dict[str, Any]) -> Verdict | None:
        """Ask WispHub for the task once; store and return what it says (None on a failure)."""
        try:
            result = judge(self.upstream.get_task(record["task_id"]))
        except UpstreamNotFound:
            result = failed("task_gone")
        except UpstreamError as exc:  # the next window asks again; the deadline still holds
            logger.warning("polling a diagnostic failed: %s", type(exc).__name__)
            return None
        self._store(diagnostic_id, result, record)
        return result

    def _stored(self, diagnostic_id: str) -> Verdict | None:
        raw = self.state.get(self._key(diagnostic_id, ":result"))
        return Verdict(**json.loads(raw)) if raw is not None else None

    def _store(self, diagnostic_id: str, result: Verdict, record: dict[str, Any]) -> None:
        left = self.ttl - (self._clock() - float(record["started_at"]))
        payload = json.dumps(asdict(result)).encode()
        self.state.set(self._key(diagnostic_id, ":result"), payload, max(1.0, left))
