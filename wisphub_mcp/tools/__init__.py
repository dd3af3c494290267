"""The tool groups, by the name WISPHUB_MCP_TOOLSETS uses for each."""

from __future__ import annotations

from wisphub_mcp.tools import billing, identity, plans, support
from wisphub_mcp.tools.base import ToolGroup

GROUPS: dict[str, ToolGroup] = {
    module.group.name: module.group for module in (identity, plans, support, billing)
}
