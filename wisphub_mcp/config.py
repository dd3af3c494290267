"""Read the MCP server's settings from the environment, then from env files, with defaults.

This is the only module of ``wisphub_mcp`` that reads ``os.environ``. The server needs to know
where the WispHub API is and which bot key to send; it never reads the API's own settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

# Tool groups, each the tools of one part of the API's contract. "support" and "billing" call
# routes that land with issues 15 and 16: enable them once the API serves those routes.
TOOLSETS = ("identity", "plans", "support", "billing")
DEFAULT_TOOLSETS = "identity,plans"

_DEFAULTS = {
    # The API as `make serve` starts it; the MCP server adds each route's path to it.
    "WISPHUB_MCP_API_URL": "http://127.0.0.1:8000/api/v1",
    "WISPHUB_MCP_API_KEY": "",
    # Seconds to open a connection to the API: it is near (same host or network), so a slow
    # connect means it is down, and the agent should hear so quickly.
    "WISPHUB_MCP_CONNECT_TIMEOUT": "3.05",
    # Seconds to wait for an answer: a warm API answers in milliseconds, a cold one may wait for
    # WispHub Net (up to its own 10 s budget); past this the agent gets `api_timeout`.
    "WISPHUB_MCP_READ_TIMEOUT": "15",
    "WISPHUB_MCP_TOOLSETS": DEFAULT_TOOLSETS,
    # The streamable HTTP transport listens on loopback unless told otherwise.
    "WISPHUB_MCP_HOST": "127.0.0.1",
    "WISPHUB_MCP_PORT": "8002",
    "WISPHUB_MCP_LOG_LEVEL": "INFO",
}

# Every variable this module reads (documented in .env.example).
SETTING_NAMES = tuple(_DEFAULTS)


class ConfigError(RuntimeError):
    """The settings cannot run the MCP server (raised at start, never during a call)."""


@dataclass(frozen=True)
class Settings:
    """Where the API is, how to authenticate and wait, and which tools to offer."""

    api_url: str
    api_key: str
    connect_timeout: float = 3.05
    read_timeout: float = 15.0
    toolsets: tuple[str, ...] = ("identity", "plans")
    host: str = "127.0.0.1"
    port: int = 8002
    log_level: str = "INFO"


def load_settings(
    environ: Mapping[str, str] | None = None, env_files: Iterable[str | Path] = (".env",)
) -> Settings:
    """Return the settings of ``environ`` (default ``os.environ``), then of ``env_files``."""
    values = dict(_DEFAULTS)
    for path in reversed(list(env_files)):  # the first file named wins, so read it last
        if Path(path).is_file():
            found = dotenv_values(path)
            values.update({k: v for k, v in found.items() if k in _DEFAULTS and v})
    given = os.environ if environ is None else environ
    values.update({k: v for k, v in given.items() if k in _DEFAULTS and v})
    return _parse(values)


def _parse(values: Mapping[str, str]) -> Settings:
    api_url = values["WISPHUB_MCP_API_URL"].strip().rstrip("/")
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError("WISPHUB_MCP_API_URL must be an http:// or https:// URL")
    api_key = values["WISPHUB_MCP_API_KEY"].strip()
    if not api_key:
        raise ConfigError(
            "WISPHUB_MCP_API_KEY is not set: give the MCP server one of the API's bot keys "
            "(a value of WISPHUB_INTERNAL_API_KEY); see .env.example"
        )
    toolsets = tuple(t.strip() for t in values["WISPHUB_MCP_TOOLSETS"].split(",") if t.strip())
    unknown = sorted(set(toolsets) - set(TOOLSETS))
    if unknown:
        raise ConfigError(f"WISPHUB_MCP_TOOLSETS has unknown groups {unknown}; use {TOOLSETS}")
    try:
        settings = Settings(
            api_url=api_url,
            api_key=api_key,
            connect_timeout=float(values["WISPHUB_MCP_CONNECT_TIMEOUT"]),
            read_timeout=float(values["WISPHUB_MCP_READ_TIMEOUT"]),
            toolsets=toolsets,
            host=values["WISPHUB_MCP_HOST"].strip(),
            port=int(values["WISPHUB_MCP_PORT"]),
            log_level=values["WISPHUB_MCP_LOG_LEVEL"].strip().upper(),
        )
    except ValueError as exc:
        raise ConfigError(f"a WISPHUB_MCP_* number is invalid: {exc}") from None
    if settings.connect_timeout <= 0 or settings.read_timeout <= 0:
        raise ConfigError("WISPHUB_MCP_CONNECT_TIMEOUT and WISPHUB_MCP_READ_TIMEOUT must be > 0")
    return settings
