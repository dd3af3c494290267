"""Support conversations (issue 15): diagnose the connection, known outages, tickets.

Written against the contract of issue 15; enable with WISPHUB_MCP_TOOLSETS once the API serves
these routes. The flow an agent follows: verify -> run_diagnostic -> (known outage? say so)
-> open_ticket only when needed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from wisphub_mcp.api import segment
from wisphub_mcp.tools.base import ToolGroup, api_of, idempotency_key
from wisphub_mcp.tools.identity import ServiceId

group = ToolGroup("support")

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
VERIFIED_ONLY = (
    "Only for a person verify_identity confirmed for this service_id: what it answers is about "
    "their service and is never told to anyone else."
)
# The API waits at most this long for a diagnostic to finish before answering "pending".
MAX_WAIT_SECONDS = 25


@group.read("List ticket subjects")
async def list_ticket_subjects(ctx: Context) -> dict[str, Any]:
    """List the subjects a ticket may have: {by_priority: {low, normal, high, very_high}, all}.

    Use it before open_ticket to pick the subject that fits what the person describes; any
    other subject is refused (validation_error).
    """
    return await api_of(ctx).request("GET", "/tickets/subjects")


@group.write("Diagnose a client's connection", notes=[VERIFIED_ONLY])
async def run_diagnostic(
    service_id: ServiceId,
    ctx: Context,
    pings: Annotated[int, Field(ge=1, le=10)] = 4,
    wait_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS)] = 20,
) -> dict[str, Any]:
    """Ping the subscriber's equipment and say what answers; the first step when "no internet".

    Waits up to wait_seconds for the result. Branch on status and verdict: stable (their
    equipment answers: the problem is inside their home, e.g. restart the router),
    antenna_only (only the antenna answers: their router or cable), no_internet (nothing
    answers), error; known_outage true -> tell them the zone has a known outage and open no
    ticket. status pending -> call get_diagnostic with the diagnostic_id a few seconds later.
    """
    api = api_of(ctx)
    path = f"/clients/{service_id}/diagnostics"
    params = {"wait": wait_seconds} if wait_seconds else None
    return await api.request(
        "POST", path, json={"pings": pings}, params=params, extra_read_seconds=wait_seconds
    )


@group.read("Read a diagnostic", notes=[VERIFIED_ONLY])
async def get_diagnostic(
    diagnostic_id: Annotated[str, Field(min_length=1, max_length=100)], ctx: Context
) -> dict[str, Any]:
    """Read a diagnostic started by run_diagnostic (status pending, done or failed; verdict)."""
    return await api_of(ctx).request("GET", f"/diagnostics/{segment(diagnostic_id)}")


@group.read("Check a zone for a known outage")
async def check_zone_outage(zone_id: Id, ctx: Context) -> dict[str, Any]:
    """Say whether a zone has a known outage: {zone_id, known_outage, open_tickets, reason}.

    zone_id is on the verified client's record. When known_outage is true, tell the person the
    zone has a known problem being worked on, and do not open a ticket for it.
    """
    return await api_of(ctx).request("GET", f"/zones/{zone_id}/outage")


@group.write("Open a support ticket", notes=[VERIFIED_ONLY])
async def open_ticket(
    service_id: ServiceId,
    subject: Annotated[str, Field(min_length=1, max_length=200)],
    description: Annotated[str, Field(min_length=1, max_length=2000)],
    ctx: Context,
    technician_id: Id | None = None,
) -> dict[str, Any]:
    """Open a ticket for the subscriber; answers the Ticket (ticket_id, status, expected_end).

    Use it after run_diagnostic, when the problem is theirs and no outage is known. subject
    comes from list_ticket_subjects; description is a short summary of the problem in your
    words (never paste documents, card numbers or passwords). An open ticket of the same
    subject is answered instead of a new one; a repeated call creates nothing. Error code
    known_outage: the zone has a known outage, tell them so.
    """
    body: dict[str, Any] = {"service_id": service_id, "subject": subject}
    body["description"] = description
    if technician_id is not None:
        body["technician_id"] = technician_id
    key = idempotency_key("open_ticket", **body)
    return await api_of(ctx).request(
        "POST", "/tickets", json=body, headers={"Idempotency-Key": key}
    )


@group.read("Read a ticket", notes=[VERIFIED_ONLY])
async def get_ticket(ticket_id: Id, ctx: Context) -> dict[str, Any]:
    """Read one ticket: status, priority, expected_end, technician and last_answer."""
    return await api_of(ctx).request("GET", f"/tickets/{ticket_id}")


@group.read("List a client's tickets", notes=[VERIFIED_ONLY])
async def list_client_tickets(
    service_id: ServiceId,
    ctx: Context,
    status: Literal["open", "closed", "all"] = "open",
) -> dict[str, Any]:
    """List the subscriber's tickets, newest first: {"tickets": [...]}.

    Use it when they ask about a ticket they opened, before opening another one.
    """
    path = f"/clients/{service_id}/tickets"
    return {"tickets": await api_of(ctx).request("GET", path, params={"status": status})}
