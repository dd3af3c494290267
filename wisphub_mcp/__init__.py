"""An MCP server that lets AI agents use the WispHub API: find, verify, plans, and more.

Each tool is one HTTP call to the API with a bot key (``X-API-Key``); nothing here imports the
Flask application or talks to WispHub Net. ``python -m wisphub_mcp`` (or ``make mcp``) runs it
over stdio or streamable HTTP; ``wisphub_mcp.server.create_server`` builds it for tests.
"""

__version__ = "0.1.0"
