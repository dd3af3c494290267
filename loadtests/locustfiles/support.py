"""Support conversations: "my internet is down" -> look up, diagnose, open a ticket if needed.

Each conversation picks a subscriber, looks them up, starts a diagnostic and reads it until it
ends, then opens a ticket (with an Idempotency-Key, as a webhook would) unless their equipment
answers or a known outage explains it. It opens real tickets: run it against the sandbox or a
test tenant, never a production WispHub Net.
"""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent

# isort: split

import random
import time
import uuid
from typing import Any, ClassVar

from locust import SequentialTaskSet, between, task

from loadtests.common import gate  # noqa: F401  # gate registers the quitting listener
from loadtests.common.checks import Check, decode, missing_keys
from loadtests.common.users import ApiUser

# Subscribers the conversations are about: the sandbox's first 200 (all ten ping scenarios).
SERVICE_IDS = range(1, 201)
SUBJECT = "Sin Internet"
POLLS = 15  # reads of a diagnostic before giving up (the sandbox's tasks take about 3 s)
POLL_PAUSE_S = 1.0
DIAGNOSTIC_KEYS = ("diagnostic_id", "status", "verdict", "known_outage")
TICKET_KEYS = ("ticket_id", "service_id", "status", "priority")
VERDICTS = frozenset({"stable", "antenna_only", "no_internet", "error", "pending"})
# Names that group templated URLs into one stats row each.
LOOKUP_NAME = "/api/v1/clients/by-service-id/[id]"
START_NAME = "/api/v1/clients/[id]/diagnostics"
READ_NAME = "/api/v1/diagnostics/[id]"
TICKET_NAME = "/api/v1/tickets"


def client_found(body: Any) -> str | None:
    """Require one client object."""
    if not isinstance(body, dict):
        return "client answer is not a JSON object"
    return missing_keys([body], ("service_id", "zone_id"), "client")


def diagnostic_started(body: Any) -> str | None:
    """Require a started (or, with wait, finished) diagnostic."""
    if not isinstance(body, dict) or not isinstance(body.get("diagnostic_id"), str):
        return "diagnostic answer lacks diagnostic_id"
    return None


def diagnostic(body: Any) -> str | None:
    """Require a Diagnostic with a known verdict."""
    if not isinstance(body, dict):
        return "diagnostic is not a JSON object"
    problem = missing_keys([body], DIAGNOSTIC_KEYS, "diagnostic")
    if problem is None and body["verdict"] not in VERDICTS:
        return "diagnostic has an unknown verdict"
    return problem


def ticket_or_outage(body: Any) -> str | None:
    """Require a Ticket, or the known_outage refusal."""
    if isinstance(body, dict) and body.get("code") == "known_outage":
        return None
    if not isinstance(body, dict):
        return "ticket answer is not a JSON object"
    return missing_keys([body], TICKET_KEYS, "ticket")


def needs_ticket(result: dict[str, Any]) -> bool:
    """Tell whether a finished diagnostic calls for a ticket (their line is down, no outage)."""
    return (
        result.get("status") == "done"
        and result.get("verdict") != "stable"
        and (result.get("known_outage") is not True)
    )


class SupportConversation(SequentialTaskSet):
    """One conversation, step by step; it ends after the ticket step."""

    service_id = 0
    result: dict[str, Any] | None = None
    diagnostic_id: str | None = None

    @task
    def look_up(self) -> None:
        """Find the subscriber the person says they are."""
        self.service_id = random.choice(SERVICE_IDS)
        self.result = self.diagnostic_id = None
        path = f"/api/v1/clients/by-service-id/{self.service_id}"
        self.user.call("GET", path, LOOKUP_NAME, client_found, {200})

    @task
    def diagnose(self) -> None:
        """Start pinging their equipment."""
        path = f"/api/v1/clients/{self.service_id}/diagnostics"
        body = self.user.call(
            "POST", path, START_NAME, diagnostic_started, {200, 202}, {"pings": 4}
        )
        if isinstance(body, dict):
            self.diagnostic_id = body.get("diagnostic_id")

    @task
    def read_diagnostic(self) -> None:
        """Read the diagnostic until it ends (a pause between reads, as a bot would)."""
        for _ in range(POLLS if self.diagnostic_id else 0):
            path = f"/api/v1/diagnostics/{self.diagnostic_id}"
            body = self.user.call("GET", path, READ_NAME, diagnostic, {200})
            if not isinstance(body, dict) or body.get("status") != "pending":
                self.result = body if isinstance(body, dict) else None
                return
            time.sleep(POLL_PAUSE_S)  # cooperative: gevent patched time.sleep

    @task
    def open_ticket(self) -> None:
        """Open a ticket when the diagnostic says their line is down; then end."""
        if self.result is not None and needs_ticket(self.result):
            payload = {"service_id": self.service_id, "subject": SUBJECT,
                       "description": "Load test: no connection since this morning."}  # fmt: skip
            headers = {"Idempotency-Key": f"loadtest-{uuid.uuid4().hex}"}
            self.user.call(
                "POST",
                TICKET_NAME,
                TICKET_NAME,
                ticket_or_outage,
                {200, 201, 409},
                payload,
                headers,
            )
        self.interrupt(reschedule=False)


class SupportUser(ApiUser):
    """A support bot: one conversation after another."""

    wait_time = between(1, 3)
    tasks: ClassVar[list[type[SequentialTaskSet]]] = [SupportConversation]

    def call(
        self,
        method: str,
        path: str,
        name: str,
        check: Check,
        statuses: set[int],
        payload: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one request; fail it unless its status is one of ``statuses`` and check passes.

        Returns the decoded body (None when it was not JSON).
        """
        with self.client.request(
            method, path, name=name, json=payload, headers=headers,
            timeout=self.request_timeout, catch_response=True,
        ) as response:  # fmt: skip
            try:
                body = decode(response.content)
            except ValueError:
                body = None
            if response.status_code not in statuses:
                response.failure(f"status {response.status_code}, expected {sorted(statuses)}")
            elif body is None:
                response.failure("body is not JSON")
            elif (problem := check(body)) is not None:
                response.failure(problem)
            else:
                response.success()
            return body
