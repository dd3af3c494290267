"""Billing conversations (issue 16): balance, invoices, how to pay, a payment promise.

Written against the contract of issue 16; enable with WISPHUB_MCP_TOOLSETS once the API serves
these routes. Every tool here but list_payment_methods is about one verified subscriber.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from wisphub_mcp.tools.base import ToolGroup, api_of, idempotency_key
from wisphub_mcp.tools.identity import ServiceId

group = ToolGroup("billing")

VERIFIED_ONLY = (
    "Only for a person verify_identity confirmed for this service_id: amounts, dates and "
    "invoices are personal data, never told to anyone else."
)


@group.read("Show what a client owes", notes=[VERIFIED_ONLY])
async def get_balance(service_id: ServiceId, ctx: Context) -> dict[str, Any]:
    """Show the balance: {outstanding_balance, payment_status, service_status, cut_off_date,
    pending_invoices}. Use it for "how much do I owe?" and before offering a payment promise.
    """
    return await api_of(ctx).request("GET", f"/clients/{service_id}/balance")


@group.read("List a client's invoices", notes=[VERIFIED_ONLY])
async def list_invoices(
    service_id: ServiceId,
    ctx: Context,
    status: Literal["pending", "paid", "all"] = "pending",
    months: Annotated[int, Field(ge=1, le=12)] = 3,
) -> dict[str, Any]:
    """List the subscriber's invoices of the last months, newest first: {"invoices": [...]}.

    Each invoice has invoice_id, issued_on, due_on, total, balance, status and period.
    """
    params = {"status": status, "months": months}
    path = f"/clients/{service_id}/invoices"
    return {"invoices": await api_of(ctx).request("GET", path, params=params)}


@group.read("List payment methods")
async def list_payment_methods(ctx: Context) -> dict[str, Any]:
    """List the ways to pay the ISP: {"payment_methods": [{payment_method_id, name}]}.

    Public information: share it with anyone who asks how to pay.
    """
    return {"payment_methods": await api_of(ctx).request("GET", "/payment-methods/")}


@group.write("Promise a payment", notes=[VERIFIED_ONLY])
async def create_payment_promise(
    service_id: ServiceId,
    until: datetime.date,
    ctx: Context,
    invoice_id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None,
) -> dict[str, Any]:
    """Record the subscriber's promise to pay by a date; it may reconnect a suspended service.

    Use it when they ask for a few more days. until is a date (YYYY-MM-DD), at most a few days
    ahead (the API says how many). Answers {invoice_id, until, service_reactivated}. Error
    codes: invoice_already_paid (409), feature_disabled (403: promises are not offered, say
    so), validation_error (422: the date is past or too far). A repeated call creates nothing.
    """
    body: dict[str, Any] = {"until": until.isoformat()}
    if invoice_id is not None:
        body["invoice_id"] = invoice_id
    key = idempotency_key("create_payment_promise", service_id=service_id, **body)
    path = f"/clients/{service_id}/payment-promises"
    return await api_of(ctx).request("POST", path, json=body, headers={"Idempotency-Key": key})
