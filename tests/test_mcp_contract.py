"""The support and billing tools against the real API, once it serves their routes.

Issues 15 and 16 add the routes; until the API's /openapi.json lists a tool's route, its test
here skips and says which route it waits for (test_mcp_tools.py checks the requests the tools
send meanwhile). When a route lands, its test runs without a change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import requests
from mcp import Client

from tests.support.servers import GunicornServer
from tests.test_mcp_e2e import call, direct, settings_for, start_api
from wisphub_mcp.config import TOOLSETS
from wisphub_mcp.server import create_server

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

SERVICE_ID = 7

# tool, arguments, route template in /openapi.json, API path, API query, wrapper of the answer
READS = [
    ("list_ticket_subjects", {}, "/tickets/subjects", "/tickets/subjects", {}, None),
    ("list_client_tickets", {"service_id": SERVICE_ID}, "/clients/{service_id}/tickets",
     f"/clients/{SERVICE_ID}/tickets", {"status": "open"}, "tickets"),
    ("get_balance", {"service_id": SERVICE_ID}, "/clients/{service_id}/balance",
     f"/clients/{SERVICE_ID}/balance", {}, None),
    ("list_invoices", {"service_id": SERVICE_ID}, "/clients/{service_id}/invoices",
     f"/clients/{SERVICE_ID}/invoices", {"status": "pending", "months": 3}, "invoices"),
    ("list_payment_methods", {}, "/payment-methods/", "/payment-methods/", {}, "payment_methods"),
]  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def api(sandbox, tmp_path_factory) -> Iterator[GunicornServer]:
    """Run the API with payment promises enabled (issue 16 keeps them off by default)."""
    server = start_api(
        sandbox, tmp_path_factory.mktemp("mcp-contract"), PAYMENT_PROMISES_ENABLED="true"
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def routes(api) -> set[str]:
    """Return the route templates the running API documents, without the /api/v1 prefix."""
    spec = requests.get(f"{api.url}/openapi.json", timeout=10).json()
    return {path.removeprefix("/api/v1") for path in spec["paths"] if path.startswith("/api/v1")}


def require(routes: set[str], template: str) -> None:
    """Skip the test until the API serves ``template``."""
    if template not in routes:
        pytest.skip(f"the API does not serve {template} yet (issues 15/16)")


def all_tools(api: GunicornServer) -> Client:
    return Client(create_server(settings_for(api, toolsets=TOOLSETS)))


@pytest.mark.parametrize(
    ("tool", "arguments", "template", "path", "query", "wrapper"), READS, ids=[r[0] for r in READS]
)
async def test_mcp_read_tool_answers_what_the_api_answers(
    api, routes, tool, arguments, template, path, query, wrapper
):
    require(routes, template)
    async with all_tools(api) as client:
        is_error, body = await call(client, tool, **arguments)
    expected = direct(api, path, **query).json()
    assert is_error is False
    assert body == ({wrapper: expected} if wrapper else expected)


async def test_mcp_zone_outage_of_a_clients_zone(api, routes):
    require(routes, "/zones/{zone_id}/outage")
    zone_id = direct(api, f"/clients/by-service-id/{SERVICE_ID}").json()["zone_id"]
    async with all_tools(api) as client:
        is_error, body = await call(client, "check_zone_outage", zone_id=zone_id)
    assert is_error is False
    assert body["zone_id"] == zone_id
    assert isinstance(body["known_outage"], bool)


async def test_mcp_diagnostic_runs_and_can_be_read_back(api, routes):
    require(routes, "/clients/{service_id}/diagnostics")
    async with all_tools(api) as client:
        is_error, started = await call(client, "run_diagnostic", service_id=SERVICE_ID)
        _, read = await call(client, "get_diagnostic", diagnostic_id=started["diagnostic_id"])
    assert is_error is False
    assert started["status"] in {"pending", "done", "failed"}
    assert read["diagnostic_id"] == started["diagnostic_id"]


async def test_mcp_open_ticket_twice_opens_one(api, routes):
    require(routes, "/tickets")
    subject = direct(api, "/tickets/subjects").json()["all"][0]
    ticket = {"service_id": SERVICE_ID, "subject": subject, "description": "MCP contract test"}
    async with all_tools(api) as client:
        first = await call(client, "open_ticket", **ticket)
        second = await call(client, "open_ticket", **ticket)
    if first[0]:  # the one refusal the contract allows: the zone already has an outage
        assert first[1]["error"]["code"] == "known_outage"
        return
    assert second == first
    async with all_tools(api) as client:
        _, read = await call(client, "get_ticket", ticket_id=first[1]["ticket_id"])
    assert read["service_id"] == SERVICE_ID


async def test_mcp_payment_promise_until_tomorrow(api, routes):
    require(routes, "/clients/{service_id}/payment-promises")
    owing = next(c for c in direct(api, "/clients/").json() if (c["outstanding_balance"] or 0) > 0)
    until = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    arguments = {"service_id": owing["service_id"], "until": until}
    async with all_tools(api) as client:
        is_error, body = await call(client, "create_payment_promise", **arguments)
    assert is_error is False, body
    assert body["until"] == until
    assert isinstance(body["service_reactivated"], bool)
