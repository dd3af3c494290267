"""Build the MCP server: the enabled tool groups over one API client, and how it runs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from mcp.server.mcpserver import MCPServer

from wisphub_mcp import __version__
from wisphub_mcp.api import WispHubApi
from wisphub_mcp.config import Settings
from wisphub_mcp.tools import GROUPS
from wisphub_mcp.tools.base import ServerState

NAME = "wisphub"
# The streamable HTTP endpoint, as the SDK and most MCP hosts expect it.
HTTP_PATH = "/mcp"

INSTRUCTIONS = """\
Tools for an internet provider's customer conversations, backed by the WispHub API.

Flow: identify the subscriber (find_client_by_phone first, with the number the channel gives;
then find_client_by_document or find_client_by_service_id), then verify_identity with facts the
person states, then answer. Plans and payment methods are public; everything on a client record
is personal data.

Rules:
- Never read back, confirm or hint at stored personal data (name, document, phone, address,
  balance, plan, status) to a person verify_identity has not confirmed for that service_id.
- When verification fails, say only the message it gave; never say which facts were right.
- Branch on error codes ("code") and fields such as is_valid, never on the wording of "detail".
- An error with retry_after_seconds means wait that long; status 503/504 or api_timeout means
  the service is busy: apologise and try once more later, not in a loop.
"""


def create_server(
    settings: Settings, transport: httpx2.AsyncBaseTransport | None = None
) -> MCPServer:
    """Return an MCP server offering the tool groups of ``settings.toolsets``.

    ``transport`` replaces the HTTP transport to the API (tests pass a mock one).
    """

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[ServerState]:
        api = WispHubApi(settings, transport)
        try:
            yield ServerState(api=api)
        finally:
            await api.aclose()

    # httpx2 logs every request's full URL at INFO, and URLs hold phones and documents.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    server = MCPServer(
        NAME,
        title="WispHub API",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level=settings.log_level,  # type: ignore[arg-type]
    )
    for name in settings.toolsets:
        GROUPS[name].install(server)
    return server


def run(settings: Settings, transport: str) -> None:
    """Serve over ``stdio`` (an MCP host starts this process) or ``http`` (streamable HTTP)."""
    server = create_server(settings)
    logger = logging.getLogger("wisphub_mcp")
    logger.info("tools: %s; API at %s", ", ".join(settings.toolsets), settings.api_url)
    if transport == "stdio":
        server.run("stdio")
        return
    logger.info("MCP endpoint: http://%s:%s%s", settings.host, settings.port, HTTP_PATH)
    server.run(
        "streamable-http",
        host=settings.host,
        port=settings.port,
        streamable_http_path=HTTP_PATH,
    )
