"""Run the MCP server: ``python -m wisphub_mcp [--transport stdio|http] [--port N]``."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from wisphub_mcp.config import ConfigError, load_settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line; settings not given here come from the environment."""
    parser = argparse.ArgumentParser(
        prog="python -m wisphub_mcp",
        description="MCP server for AI agents, backed by the WispHub API (settings: "
        "WISPHUB_MCP_* variables, then .env; see .env.example).",
    )
    parser.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio (default; an MCP host starts this process) or streamable HTTP",
    )
    parser.add_argument("--host", help="HTTP address to listen on (WISPHUB_MCP_HOST)")
    parser.add_argument("--port", type=int, help="HTTP port (WISPHUB_MCP_PORT)")
    parser.add_argument(
        "--env-file",
        action="append",
        dest="env_files",
        metavar="PATH",
        help="read settings from this file when the environment lacks them; repeat for "
        "fallbacks, first wins (default: .env)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the server; return 2 with a clear sentence when the settings cannot run it."""
    args = parse_args(argv)
    try:
        settings = load_settings(env_files=args.env_files or [".env"])
    except ConfigError as exc:
        print(f"wisphub_mcp: {exc}", file=sys.stderr)
        return 2
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = dataclasses.replace(settings, **overrides)
    # stdout is the protocol's channel under stdio: every log line goes to stderr.
    logging.basicConfig(
        stream=sys.stderr, level=settings.log_level, format="%(asctime)s %(name)s %(message)s"
    )
    from wisphub_mcp.server import run  # the SDK loads only once the settings are sound

    run(settings, args.transport)
    return 0


if __name__ == "__main__":
    sys.exit(main())
