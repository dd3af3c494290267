"""Turn API routes into MCP tools one way: a documented async function, API errors as tool errors.

A tool module makes one ``ToolGroup`` and declares one short async function per route with
``@group.read(...)`` or ``@group.write(...)``. The docstring is the description the agent reads
(when to use the tool, what to branch on, what never to reveal); the type hints, with pydantic
``Field`` limits, become the input schema; the body is one ``api_of(ctx).request(...)``. An
``ApiError`` raised there becomes a tool error carrying the API's ``code`` and ``detail``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from wisphub_mcp.api import ApiError, WispHubApi, current_tool

ToolFn = TypeVar("ToolFn", bound=Callable[..., Awaitable[Any]])

# Lookups change nothing and may be repeated freely.
READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
# Writes (a ticket, a promise) and verification (it counts failures) are not free to repeat.
WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)


@dataclass(frozen=True)
class ServerState:
    """What the server's lifespan yields to every tool call."""

    api: WispHubApi


def api_of(ctx: Context) -> WispHubApi:
    """Return the API client of the server running this tool call."""
    return cast(ServerState, ctx.request_context.lifespan_context).api


def error_result(error: ApiError) -> CallToolResult:
    """Return the tool error an agent sees: ``{"error": {status, code, detail, ...}}``."""
    body = {"error": error.as_dict()}
    text = json.dumps(body, ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=body, is_error=True
    )


def idempotency_key(tool: str, **arguments: Any) -> str:
    """Return a key that is the same for the same write, so an agent's retry creates nothing."""
    canonical = json.dumps([tool, arguments], sort_keys=True, ensure_ascii=False, default=str)
    return "mcp-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class _Declared:
    fn: Callable[..., Awaitable[Any]]
    title: str
    annotations: ToolAnnotations
    description: str


class ToolGroup:
    """The tools of one part of the API's contract: declared at import, installed on a server."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tools: list[_Declared] = []

    @property
    def names(self) -> list[str]:
        """Return the names of the group's tools, in declaration order."""
        return [declared.fn.__name__ for declared in self._tools]

    def read(self, title: str, notes: Sequence[str] = ()) -> Callable[[ToolFn], ToolFn]:
        """Declare a lookup tool (read-only, safe to repeat); ``notes`` end its description."""
        return functools.partial(self._declare, title=title, annotations=READ_ONLY, notes=notes)

    def write(self, title: str, notes: Sequence[str] = ()) -> Callable[[ToolFn], ToolFn]:
        """Declare a tool that changes or counts something in the API."""
        return functools.partial(self._declare, title=title, annotations=WRITE, notes=notes)

    def _declare(
        self, fn: ToolFn, *, title: str, annotations: ToolAnnotations, notes: Sequence[str]
    ) -> ToolFn:
        description = "\n\n".join([inspect.cleandoc(fn.__doc__ or ""), *notes])
        self._tools.append(_Declared(fn, title, annotations, description))
        return fn

    def install(self, server: MCPServer) -> None:
        """Add every tool of the group to ``server``."""
        for declared in self._tools:
            server.add_tool(
                _reporting_api_errors(declared.fn),
                title=declared.title,
                description=declared.description,
                annotations=declared.annotations,
            )


def _reporting_api_errors(fn: ToolFn) -> ToolFn:
    """Wrap ``fn`` so that an ``ApiError`` is answered as a tool error, not as a crash."""

    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> Any:
        token = current_tool.set(fn.__name__)
        try:
            return await fn(*args, **kwargs)
        except ApiError as exc:
            return error_result(exc)
        finally:
            current_tool.reset(token)

    return run  # type: ignore[return-value]
