"""Call the WispHub API over HTTP with a bot key; turn every failure into one ``ApiError``.

The MCP server never imports the Flask application and never talks to WispHub Net: each tool is
one request to the API, so the API's authentication, limits, caches and logs apply to agents
exactly as to any other bot.
"""

from __future__ import annotations

import logging
import secrets
import string
import time
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

import httpx2

from wisphub_mcp import __version__
from wisphub_mcp.config import Settings

logger = logging.getLogger("wisphub_mcp.api")
# The tool being run, for the log line of each request (set by the tool wrapper).
current_tool: ContextVar[str] = ContextVar("current_tool", default="-")

# Retry only a connection that failed to open: nothing reached the API, so even a POST is safe
# to send again. A request that was sent is never repeated (writes must not be doubled).
CONNECT_RETRIES = 1
# Keep-alive connections to the API; agents make a few calls per conversation turn.
POOL_SIZE = 20
# Letters only: the API's logs mask runs of digits (phones, documents), which would mangle an id
# such as a hex uuid and break the match between our log line and the API's.
REQUEST_ID_ALPHABET = string.ascii_lowercase
REQUEST_ID_LENGTH = 24  # about 112 bits


class ApiError(Exception):
    """The API answered an error, or could not be reached; ``code`` is what to branch on."""

    def __init__(
        self,
        status: int | None,
        code: str,
        detail: str,
        *,
        retry_after: str | None = None,
        errors: Any = None,
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        """Return the error as the tool reports it: status, code, detail (and what else came)."""
        body: dict[str, Any] = {"status": self.status, "code": self.code, "detail": self.detail}
        if self.retry_after is not None:
            body["retry_after_seconds"] = self.retry_after
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def new_request_id() -> str:
    """Return a fresh ``X-Request-ID`` that survives the API's log masking unchanged."""
    return "mcp-" + "".join(secrets.choice(REQUEST_ID_ALPHABET) for _ in range(REQUEST_ID_LENGTH))


def segment(value: object) -> str:
    """Quote ``value`` as one path segment (a phone's "+", a document's "/" stay inside it)."""
    return quote(str(value), safe="")


class WispHubApi:
    """An async HTTP client of the API, opened on first use and closed by ``aclose``."""

    def __init__(
        self, settings: Settings, transport: httpx2.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._client: httpx2.AsyncClient | None = None

    def _open(self) -> httpx2.AsyncClient:
        if self._client is None:
            transport = self._transport or httpx2.AsyncHTTPTransport(
                retries=CONNECT_RETRIES,
                limits=httpx2.Limits(max_connections=POOL_SIZE),
            )
            self._client = httpx2.AsyncClient(
                base_url=self.settings.api_url + "/",
                transport=transport,
                timeout=self._timeout(),
                headers={
                    "X-API-Key": self.settings.api_key,
                    "Accept": "application/json",
                    "User-Agent": f"wisphub-mcp/{__version__}",
                },
            )
        return self._client

    def _timeout(self, extra_read: float = 0.0) -> httpx2.Timeout:
        s = self.settings
        return httpx2.Timeout(s.read_timeout + extra_read, connect=s.connect_timeout)

    async def aclose(self) -> None:
        """Close the connection pool (a later call opens a new one)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        extra_read_seconds: float = 0.0,
    ) -> Any:
        """Send one request to ``path`` (below the API URL) and return the decoded JSON answer."""
        request_id = new_request_id()
        started = time.monotonic()
        try:
            response = await self._open().request(
                method,
                path.lstrip("/"),
                params=params,
                json=json,
                headers={"X-Request-ID": request_id, **(headers or {})},
                timeout=self._timeout(extra_read_seconds),
            )
        except httpx2.TimeoutException:
            self._log(method, path, "timeout", started, request_id)
            raise ApiError(
                None, "api_timeout", "The WispHub API did not answer in time; try again shortly."
            ) from None
        except httpx2.HTTPError:
            self._log(method, path, "unreachable", started, request_id)
            raise ApiError(
                None, "api_unreachable", "The WispHub API cannot be reached right now."
            ) from None
        self._log(method, path, response.status_code, started, request_id)
        if response.status_code >= 400:
            raise _error_from(response)
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                response.status_code, "api_bad_answer", "The WispHub API answered something else."
            ) from None

    def _log(self, method: str, path: str, outcome: object, started: float, rid: str) -> None:
        # The tool's name and the path's first segment only: the rest holds phones and documents.
        first = path.strip("/").split("/")[0]
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.info(
            "tool %s: %s /%s/... -> %s in %.0f ms (X-Request-ID %s)",
            current_tool.get(),
            method,
            first,
            outcome,
            elapsed_ms,
            rid,
        )


def _error_from(response: httpx2.Response) -> ApiError:
    """Build the ``ApiError`` of an error answer, with the API's own code and detail if sent."""
    retry_after = response.headers.get("Retry-After")
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        detail = body.get("detail")
        return ApiError(
            response.status_code,
            body["code"],
            detail if isinstance(detail, str) else "",
            retry_after=retry_after,
            errors=body.get("errors"),
        )
    return ApiError(
        response.status_code,
        "api_bad_answer",
        f"The WispHub API answered HTTP {response.status_code} without its error shape.",
        retry_after=retry_after,
    )
