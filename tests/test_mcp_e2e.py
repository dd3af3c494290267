"""The MCP server end to end: the SDK's own client -> wisphub_mcp -> gunicorn API -> sandbox.

The API runs as in production (gunicorn.conf.py, gevent worker) over the session's sandbox; the
MCP server runs in process, over stdio (a subprocess its client starts) and over streamable HTTP
(a subprocess on a free port). Each tool's answer is compared with what the API itself answers.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.support.servers import ROOT, GunicornServer, free_port, start_api_over_sandbox
from wisphub_mcp.config import Settings
from wisphub_mcp.server import HTTP_PATH, create_server
from wisphub_mcp.tools import GROUPS

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

BOT_KEY = "mcp-e2e-bot-key"
MAX_FAILURES = 2  # the API's VERIFY_MAX_FAILURES here, so that a lockout takes few calls
START_TIMEOUT_SECONDS = 20.0
CLIENT_TIMEOUT_SECONDS = 20.0
GOOD_CLAIM = {"address": "BELLAVISTA", "internet_plan_price": 40000.0}  # client 7's facts


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def start_api(sandbox, log_dir, **env: str) -> GunicornServer:
    """Start the API (one gevent worker) over ``sandbox``, with extra settings ``env``."""
    return start_api_over_sandbox(sandbox, log_dir, BOT_KEY, **env)


@pytest.fixture(scope="module")
def api(sandbox, tmp_path_factory) -> Iterator[GunicornServer]:
    """Run the API for this module, with a low failure limit for the lockout test."""
    server = start_api(
        sandbox, tmp_path_factory.mktemp("mcp-api"), VERIFY_MAX_FAILURES=str(MAX_FAILURES)
    )
    yield server
    server.stop()


def direct(api: GunicornServer, path: str, **params: Any) -> requests.Response:
    """GET ``path`` below /api/v1 from the API itself, as any bot would."""
    url = f"{api.url}/api/v1{path}"
    return requests.get(url, params=params, headers={"X-API-Key": BOT_KEY}, timeout=10)


def settings_for(api: GunicornServer, **changes: Any) -> Settings:
    """Return MCP settings pointing at ``api`` with the bot key."""
    values = {"api_url": f"{api.url}/api/v1", "api_key": BOT_KEY, **changes}
    return Settings(**values)


def mcp_env(api: GunicornServer) -> dict[str, str]:
    """Return the environment a subprocess MCP server needs to reach ``api``."""
    return {"WISPHUB_MCP_API_URL": f"{api.url}/api/v1", "WISPHUB_MCP_API_KEY": BOT_KEY}


async def call(client: Client, tool: str, **arguments: Any) -> tuple[bool, Any]:
    """Call ``tool``; return (is_error, the JSON it carried)."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text if result.content else "null"
    body = result.structured_content if result.structured_content is not None else text
    return bool(result.is_error), body


def national(phone_field: str) -> str:
    """Return the 10-digit national number of the first phone of a client's phone field."""
    return re.sub(r"\D", "", phone_field.split(",")[0])[-10:]


async def test_mcp_tools_offer_identity_and_plans_by_default(api):
    async with Client(create_server(settings_for(api))) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {*GROUPS["identity"].names, *GROUPS["plans"].names}


async def test_mcp_find_by_phone_as_whatsapp_gives_it_answers_the_apis_client(api):
    with_phone = next(c for c in direct(api, "/clients/").json() if c["phone"])
    number = national(with_phone["phone"])
    expected = direct(api, f"/clients/by-phone/{number}").json()
    async with Client(create_server(settings_for(api))) as client:
        for spelling in (f"+57 {number}", f"57{number}", f"whatsapp:+57{number}"):
            assert await call(client, "find_client_by_phone", phone=spelling) == (False, expected)


async def test_mcp_find_by_document_service_id_and_search_match_the_api(api):
    record = direct(api, "/clients/by-service-id/7").json()
    async with Client(create_server(settings_for(api))) as client:
        by_id = await call(client, "find_client_by_service_id", service_id=7)
        by_document = await call(client, "find_client_by_document", document=record["document"])
        found = await call(client, "search_clients", query="Esperanza Benitez", limit=3)
    assert by_id == (False, record)
    assert by_document == (False, direct(api, f"/clients/by-document/{record['document']}").json())
    expected = direct(api, "/clients/search", q="Esperanza Benitez", limit=3).json()
    assert found == (False, {"clients": expected})
    assert 7 in [c["service_id"] for c in found[1]["clients"]]


async def test_mcp_resolve_client_answers_what_the_api_resolves(api):
    record = direct(api, "/clients/by-service-id/7").json()
    claims = {k: record[k] for k in ("name", "address", "internet_plan_price")}
    expected = requests.post(
        f"{api.url}/api/v1/clients/resolve", json=claims, headers={"X-API-Key": BOT_KEY}, timeout=10
    )
    async with Client(create_server(settings_for(api))) as client:
        resolved = await call(client, "resolve_client", **claims)
    assert expected.status_code == 200
    assert resolved == (False, expected.json())
    assert resolved[1]["service_id"] == 7


async def test_mcp_api_errors_become_tool_errors_with_the_apis_code_and_detail(api):
    expected = direct(api, "/clients/by-document/NO-SUCH-DOCUMENT-0")
    async with Client(create_server(settings_for(api))) as client:
        is_error, body = await call(
            client, "find_client_by_document", document="NO-SUCH-DOCUMENT-0"
        )
        plan_error, plan_body = await call(client, "get_plan", plan_id=999_999)
    assert expected.status_code == 404
    assert is_error is True
    assert body == {"error": {"status": 404, **expected.json()}}
    assert plan_error is True
    assert plan_body["error"]["code"] == "plan_not_found"


async def test_mcp_verify_valid_and_invalid_and_locked(api):
    wrong = {"address": "NO SUCH STREET 99", "internet_plan_price": 1.0}
    async with Client(create_server(settings_for(api))) as client:
        valid = await call(client, "verify_identity", service_id=7, end_user="wa-1", **GOOD_CLAIM)
        failures = [
            await call(client, "verify_identity", service_id=8, end_user="wa-2", **wrong)
            for _ in range(MAX_FAILURES + 1)
        ]
    assert valid[0] is False
    assert valid[1]["is_valid"] is True
    assert set(valid[1]["matched_fields"]) == {"address", "internet_plan_price"}
    for is_error, body in failures[:MAX_FAILURES]:
        assert is_error is False
        assert set(body) == {"is_valid", "message"}  # no clue about which facts matched
        assert body["is_valid"] is False
    is_error, body = failures[-1]
    assert is_error is True
    assert body["error"]["status"] == 429
    assert body["error"]["code"] == "verification_locked"
    assert int(body["error"]["retry_after_seconds"]) > 0


async def test_mcp_plans_match_the_api(api):
    plans = direct(api, "/internet-plans/").json()
    first = plans[0]["plan_id"]
    async with Client(create_server(settings_for(api))) as client:
        listed = await call(client, "list_plans")
        detail = await call(client, "get_plan", plan_id=first)
    assert listed == (False, {"plans": plans})
    assert detail == (False, direct(api, f"/internet-plans/{first}").json())


async def test_mcp_wrong_bot_key_and_unreachable_api_are_tool_errors(api):
    async with Client(create_server(settings_for(api, api_key="not-a-key"))) as client:
        _, refused = await call(client, "list_plans")
    down = settings_for(api, api_url=f"http://127.0.0.1:{free_port()}/api/v1", connect_timeout=1)
    async with Client(create_server(down)) as client:
        _, unreachable = await call(client, "list_plans")
    assert (refused["error"]["status"], refused["error"]["code"]) == (401, "unauthorized")
    assert unreachable["error"] == {
        "status": None,
        "code": "api_unreachable",
        "detail": "The WispHub API cannot be reached right now.",
    }


def _request_lines(api: GunicornServer, request_id: str) -> list[dict[str, Any]]:
    """Return the API's per-request log lines that carry ``request_id``."""
    return [
        e
        for e in api.log_entries()
        if e.get("logger") == "wisphub_api.request" and e.get("request_id") == request_id
    ]


async def test_mcp_calls_are_logged_by_the_api_without_personal_data(api, caplog):
    record = next(c for c in direct(api, "/clients/").json()[20:] if c["document"])
    caplog.set_level(logging.INFO, logger="wisphub_mcp.api")
    async with Client(create_server(settings_for(api))) as client:
        found = await call(client, "find_client_by_document", document=record["document"])
    assert found[0] is False
    request_id = re.search(r"X-Request-ID ([\w-]+)", caplog.text).group(1)
    deadline = time.monotonic() + 10  # the API writes its line after the answer
    while not (entries := _request_lines(api, request_id)):
        assert time.monotonic() < deadline, "the API never logged the MCP server's request"
        time.sleep(0.1)
    (entry,) = entries
    assert entry["route"] == "/api/v1/clients/by-document/<document>"
    assert record["document"] not in api.logs()
    assert record["document"] not in caplog.text


async def test_mcp_over_stdio_with_the_sdk_client(api, tmp_path):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "wisphub_mcp"], env=mcp_env(api), cwd=str(ROOT)
    )
    with (tmp_path / "stderr.log").open("w") as errlog:
        transport = stdio_client(params, errlog=errlog)
        async with Client(transport, read_timeout_seconds=CLIENT_TIMEOUT_SECONDS) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            found = await call(client, "find_client_by_service_id", service_id=7)
            verdict = await call(client, "verify_identity", service_id=7, **GOOD_CLAIM)
    assert "verify_identity" in names
    assert found == (False, direct(api, "/clients/by-service-id/7").json())
    assert verdict[1]["is_valid"] is True


@pytest.fixture
def http_mcp(api, tmp_path) -> Iterator[str]:
    """Run ``python -m wisphub_mcp --transport http`` on a free port; yield its endpoint."""
    port = free_port()
    env = {**os.environ, **mcp_env(api), "WISPHUB_MCP_PORT": str(port)}
    log = (tmp_path / "mcp-http.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "wisphub_mcp", "--transport", "http"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process, tmp_path / "mcp-http.log")
        yield f"http://127.0.0.1:{port}{HTTP_PATH}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _wait_for_port(port: int, process: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        assert process.poll() is None, log_path.read_text()[-2000:]
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, log_path.read_text()[-2000:]
        time.sleep(0.1)


async def test_mcp_over_streamable_http_with_the_sdk_client(api, http_mcp):
    async with Client(http_mcp, read_timeout_seconds=CLIENT_TIMEOUT_SECONDS) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        plans = await call(client, "list_plans")
        is_error, body = await call(client, "find_client_by_service_id", service_id=999_999)
    assert "find_client_by_phone" in names
    assert plans == (False, {"plans": direct(api, "/internet-plans/").json()})
    assert is_error is True
    assert body["error"]["code"] == "client_not_found"
