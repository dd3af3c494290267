"""Each MCP tool sends the request of the API's contract and reports errors with their code.

The API is replaced by httpx2's MockTransport, so these tests also cover the support and
billing tools (issues 15 and 16) whose routes the API does not serve yet; test_mcp_e2e.py runs
the tools whose routes exist against the real API and sandbox.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from mcp import Client

from wisphub_mcp.api import ApiError
from wisphub_mcp.config import TOOLSETS, Settings
from wisphub_mcp.server import create_server
from wisphub_mcp.tools import GROUPS
from wisphub_mcp.tools.base import error_result

pytestmark = pytest.mark.anyio

KEY = "unit-bot-key"
BASE = "http://api.test/api/v1"
ALL = Settings(api_url=BASE, api_key=KEY, toolsets=TOOLSETS)
RECORD = {"service_id": 7, "name": "ESPERANZA"}
ROWS = [{"id": 1}, {"id": 2}]

# tool, arguments, (method, path below the API URL, query, JSON body), wrapper of the answer
CASES: list[tuple[str, dict[str, Any], tuple[str, str, dict, Any], str | None]] = [
    ("find_client_by_phone", {"phone": "+57 300 123-4567"},
     ("GET", "/clients/by-phone/%2B57%20300%20123-4567", {}, None), None),
    ("find_client_by_document", {"document": "12/34"},
     ("GET", "/clients/by-document/12%2F34", {}, None), None),
    ("find_client_by_service_id", {"service_id": 7},
     ("GET", "/clients/by-service-id/7", {}, None), None),
    ("search_clients", {"query": "ana maria", "limit": 3},
     ("GET", "/clients/search", {"q": "ana maria", "limit": "3"}, None), "clients"),
    ("resolve_client", {"name": "Ana Diaz", "address": "CL 5", "internet_plan_price": 40000},
     ("POST", "/clients/resolve", {},
      {"name": "Ana Diaz", "address": "CL 5", "internet_plan_price": 40000}), None),
    ("verify_identity", {"service_id": 7, "address": "BELLAVISTA", "internet_plan_price": 40000},
     ("POST", "/clients/7/verify", {}, {"address": "BELLAVISTA", "internet_plan_price": 40000}),
     None),
    ("list_plans", {}, ("GET", "/internet-plans/", {}, None), "plans"),
    ("get_plan", {"plan_id": 3}, ("GET", "/internet-plans/3", {}, None), None),
    ("list_ticket_subjects", {}, ("GET", "/tickets/subjects", {}, None), None),
    ("run_diagnostic", {"service_id": 7, "pings": 3, "wait_seconds": 10},
     ("POST", "/clients/7/diagnostics", {"wait": "10"}, {"pings": 3}), None),
    ("get_diagnostic", {"diagnostic_id": "d-1"}, ("GET", "/diagnostics/d-1", {}, None), None),
    ("check_zone_outage", {"zone_id": 5}, ("GET", "/zones/5/outage", {}, None), None),
    ("open_ticket", {"service_id": 7, "subject": "Sin internet", "description": "No connection"},
     ("POST", "/tickets", {},
      {"service_id": 7, "subject": "Sin internet", "description": "No connection"}), None),
    ("get_ticket", {"ticket_id": 12}, ("GET", "/tickets/12", {}, None), None),
    ("list_client_tickets", {"service_id": 7, "status": "all"},
     ("GET", "/clients/7/tickets", {"status": "all"}, None), "tickets"),
    ("get_balance", {"service_id": 7}, ("GET", "/clients/7/balance", {}, None), None),
    ("list_invoices", {"service_id": 7, "status": "paid", "months": 6},
     ("GET", "/clients/7/invoices", {"status": "paid", "months": "6"}, None), "invoices"),
    ("list_payment_methods", {}, ("GET", "/payment-methods/", {}, None), "payment_methods"),
    ("create_payment_promise", {"service_id": 7, "until": "2026-12-05", "invoice_id": 55},
     ("POST", "/clients/7/payment-promises", {}, {"until": "2026-12-05", "invoice_id": 55}), None),
]  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeApi:
    """Record every request; answer with ``respond`` (default: a record, or rows for lists)."""

    def __init__(self, respond: Callable[[httpx2.Request], httpx2.Response] | None = None):
        self.requests: list[httpx2.Request] = []
        self.respond = respond

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.respond is not None:
            return self.respond(request)
        listing = request.method == "GET" and request.url.path.endswith(
            ("/", "/search", "/tickets", "/invoices")
        )
        verdict = {"is_valid": True, "matched_fields": ["address"], "message": "ok"}
        body = verdict if request.url.path.endswith("/verify") else RECORD
        return httpx2.Response(200, json=ROWS if listing else body)

    def client(self, settings: Settings = ALL) -> Client:
        """Return an SDK client of an in-process MCP server whose API is this fake."""
        return Client(create_server(settings, transport=httpx2.MockTransport(self)))


async def call(client: Client, tool: str, **arguments: Any) -> tuple[bool, Any]:
    result = await client.call_tool(tool, arguments)
    return bool(result.is_error), result.structured_content or result.content[0].text


def test_mcp_every_tool_has_a_contract_case():
    declared = {name for group in GROUPS.values() for name in group.names}
    assert declared == {case[0] for case in CASES}


@pytest.mark.parametrize(("tool", "arguments", "sent", "wrapper"), CASES, ids=[c[0] for c in CASES])
async def test_mcp_tool_sends_the_contracts_request(tool, arguments, sent, wrapper):
    fake = FakeApi()
    async with fake.client() as client:
        is_error, body = await call(client, tool, **arguments)
    method, path, query, payload = sent
    (request,) = fake.requests
    assert (request.method, request.url.raw_path.decode().split("?")[0]) == (
        method,
        "/api/v1" + path,
    )
    assert dict(request.url.params) == query
    assert (json.loads(request.content) if request.content else None) == payload
    assert request.headers["X-API-Key"] == KEY
    assert is_error is False
    if wrapper:
        assert body == {wrapper: ROWS}
    elif tool != "verify_identity":
        assert body == RECORD


async def test_mcp_writes_send_the_same_idempotency_key_for_the_same_call():
    fake = FakeApi()
    ticket = {"service_id": 7, "subject": "Sin internet", "description": "No connection"}
    async with fake.client() as client:
        await call(client, "open_ticket", **ticket)
        await call(client, "open_ticket", **ticket)
        await call(client, "open_ticket", **{**ticket, "description": "Slow"})
        await call(client, "create_payment_promise", service_id=7, until="2026-12-05")
    keys = [r.headers.get("Idempotency-Key") for r in fake.requests]
    assert keys[0] == keys[1]
    assert len(set(keys)) == 3
    assert all(key and len(key) <= 64 for key in keys)


async def test_mcp_verify_sends_x_end_user_only_when_known():
    fake = FakeApi()
    claims = {"service_id": 7, "address": "BELLAVISTA", "internet_plan_price": 40000}
    async with fake.client() as client:
        await call(client, "verify_identity", end_user="whatsapp:+573001234567", **claims)
        await call(client, "verify_identity", **claims)
    assert fake.requests[0].headers["X-End-User"] == "whatsapp:+573001234567"
    assert "X-End-User" not in fake.requests[1].headers


async def test_mcp_failed_verification_hides_which_facts_matched():
    verdict = {"is_valid": False, "matched_fields": ["address"], "message": "Not verified."}
    fake = FakeApi(lambda request: httpx2.Response(200, json=verdict))
    async with fake.client() as client:
        body = await call(client, "verify_identity", service_id=7, address="X", city="Y")
    assert body == (False, {"is_valid": False, "message": "Not verified."})


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"service_id": 0, "address": "A", "city": "B"}, "service_id"),
        ({"service_id": 7, "end_user": "has space", "address": "A", "city": "B"}, "end_user"),
        ({"service_id": 7, "end_user": "x" * 129, "address": "A", "city": "B"}, "end_user"),
    ],
)
async def test_mcp_invalid_arguments_are_refused_before_any_request(arguments, field):
    fake = FakeApi()
    async with fake.client() as client:
        is_error, text = await call(client, "verify_identity", **arguments)
    assert is_error is True
    assert field in text
    assert fake.requests == []


def _answer(status: int, **kwargs: Any) -> Callable[[httpx2.Request], httpx2.Response]:
    return lambda request: httpx2.Response(status, **kwargs)


def _timeout(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("stalled", request=request)


@pytest.mark.parametrize(
    ("respond", "expected"),
    [
        (
            _answer(429, json={"detail": "Too many.", "code": "verification_locked"},
                    headers={"Retry-After": "60"}),
            {"status": 429, "code": "verification_locked", "detail": "Too many.",
             "retry_after_seconds": "60"},
        ),
        (
            _answer(422, json={"detail": "Bad.", "code": "validation_error",
                               "errors": {"limit": ["Too big."]}}),
            {"status": 422, "code": "validation_error", "detail": "Bad.",
             "errors": {"limit": ["Too big."]}},
        ),
        (
            _answer(502, text="<html>Bad Gateway</html>"),
            {"status": 502, "code": "api_bad_answer",
             "detail": "The WispHub API answered HTTP 502 without its error shape."},
        ),
        (
            _answer(200, text="not json"),
            {"status": 200, "code": "api_bad_answer",
             "detail": "The WispHub API answered something else."},
        ),
        (
            _timeout,
            {"status": None, "code": "api_timeout",
             "detail": "The WispHub API did not answer in time; try again shortly."},
        ),
    ],
    ids=["429-retry-after", "422-errors", "502-html", "200-not-json", "timeout"],
)  # fmt: skip
async def test_mcp_failures_become_tool_errors_with_a_code(respond, expected):
    async with FakeApi(respond).client() as client:
        is_error, body = await call(client, "get_plan", plan_id=3)
    assert is_error is True
    assert body == {"error": expected}


async def test_mcp_offers_only_the_configured_toolsets():
    settings = Settings(api_url=BASE, api_key=KEY, toolsets=("plans", "billing"))
    async with FakeApi().client(settings) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {*GROUPS["plans"].names, *GROUPS["billing"].names}


async def test_mcp_every_tool_has_a_title_a_description_and_hints():
    async with FakeApi().client() as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert tool.title and len(tool.description) > 80, tool.name
        assert tool.annotations.read_only_hint is not None, tool.name
    by_name = {tool.name: tool for tool in tools}
    assert by_name["find_client_by_phone"].annotations.read_only_hint is True
    assert by_name["verify_identity"].annotations.read_only_hint is False
    assert "never read" in by_name["find_client_by_phone"].description


def test_mcp_error_text_is_the_same_json_as_its_structured_content():
    result = error_result(ApiError(404, "client_not_found", "No client has this phone."))
    assert result.is_error is True
    assert json.loads(result.content[0].text) == result.structured_content


async def test_mcp_request_ids_survive_the_apis_log_masking(caplog):
    caplog.set_level("INFO", logger="wisphub_mcp.api")
    fake = FakeApi()
    async with fake.client() as client:
        for _ in range(20):
            await call(client, "list_plans")
    ids = [request.headers["X-Request-ID"] for request in fake.requests]
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        # The API accepts 1-128 of [A-Za-z0-9._-]; its logs mask runs of 6 or more digits.
        assert re.fullmatch(r"[A-Za-z._-]{1,128}", request_id), request_id
        assert f"X-Request-ID {request_id}" in caplog.text
