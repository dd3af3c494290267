"""Answer about the ISP's internet plans (public information, no verification needed)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from wisphub_mcp.tools.base import ToolGroup, api_of

group = ToolGroup("plans")


@group.read("List internet plans")
async def list_plans(ctx: Context) -> dict[str, Any]:
    """List the ISP's internet plans: {"plans": [{plan_id, name, type}]}.

    Use it when someone asks what plans exist, or to find a plan_id for get_plan. Plans are
    public: share them with anyone, verified or not.
    """
    return {"plans": await api_of(ctx).request("GET", "/internet-plans/")}


@group.read("Show one internet plan")
async def get_plan(
    plan_id: Annotated[int, Field(ge=1, le=2_147_483_647)], ctx: Context
) -> dict[str, Any]:
    """Show one plan: {plan_id, name, type, price, download_speed, upload_speed}.

    Use it for the price and speeds of a plan from list_plans. Error code plan_not_found: no
    plan has that id. A subscriber's own plan name and price are on their client record, which
    is shown only after verify_identity.
    """
    return await api_of(ctx).request("GET", f"/internet-plans/{plan_id}")
