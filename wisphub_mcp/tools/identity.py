"""Find a subscriber and confirm that the person in the conversation is that subscriber."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from wisphub_mcp.api import segment
from wisphub_mcp.tools.base import ToolGroup, api_of

group = ToolGroup("identity")

ServiceId = Annotated[int, Field(ge=1, le=2_147_483_647, description="The client's service id.")]
Text = Annotated[str | None, Field(min_length=1, max_length=200)]
Price = Annotated[float | None, Field(ge=0, description="Monthly plan price, a number.")]
EndUser = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Opaque id of the person in this conversation (e.g. the WhatsApp number "
        "your channel gives), sent as X-End-User. Send it whenever you know it.",
    ),
]

UNVERIFIED = (
    "A record found is not proof of identity: the person writing may not be its owner. Until "
    "verify_identity answers is_valid true for this service_id in this conversation, never read "
    "back, confirm or hint at any stored value (name, document, phone, address, balance, plan, "
    "status); use the record only to pick the service_id to verify."
)


def _claims(**fields: Any) -> dict[str, Any]:
    """Return the fields the agent filled in (the API counts every field sent)."""
    return {name: value for name, value in fields.items() if value is not None}


@group.read("Find a client by phone", notes=[UNVERIFIED])
async def find_client_by_phone(
    phone: Annotated[str, Field(min_length=7, max_length=60)], ctx: Context
) -> dict[str, Any]:
    """Find the subscriber reachable at a phone number. In a chat, try this first.

    Pass the number as the channel gives it: WhatsApp gives the country code and the national
    number ("+57 300 123 4567", "573001234567" and "whatsapp:+573001234567" all work, spaces and
    dashes too). Answers one client record (service_id, name, document, phone, address,
    service_status, payment_status, plan, outstanding_balance, ...). Error code
    client_not_found: nobody has that number; ask for the identity document
    (find_client_by_document) or the service id instead.
    """
    return await api_of(ctx).request("GET", f"/clients/by-phone/{segment(phone)}")


@group.read("Find a client by identity document", notes=[UNVERIFIED])
async def find_client_by_document(
    document: Annotated[str, Field(min_length=1, max_length=40)], ctx: Context
) -> dict[str, Any]:
    """Find the subscriber holding an identity document (cédula, NIT, passport number).

    Use it when the phone lookup found nobody or the person gives their document. A person with
    several services gets their active one first. Error code client_not_found: no subscriber
    has that document.
    """
    return await api_of(ctx).request("GET", f"/clients/by-document/{segment(document)}")


@group.read("Find a client by service id", notes=[UNVERIFIED])
async def find_client_by_service_id(service_id: ServiceId, ctx: Context) -> dict[str, Any]:
    """Find the subscriber of one service id (the number on their contract or invoice).

    Use it when the person gives their service id, or to re-read a record after a change.
    Error code client_not_found: no service has that id.
    """
    return await api_of(ctx).request("GET", f"/clients/by-service-id/{service_id}")


@group.read("Search clients by free text", notes=[UNVERIFIED])
async def search_clients(
    query: Annotated[str, Field(min_length=1, max_length=100)],
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=20)] = 5,
) -> dict[str, Any]:
    """Search subscribers by name, address, document or phone; best matches first.

    Use it only when the exact lookups found nobody, to find candidates to verify. Answers
    {"clients": [...]}, often several people: never list, read out or compare their data with
    the person; ask them for facts and call verify_identity.
    """
    params = {"q": query, "limit": limit}
    return {"clients": await api_of(ctx).request("GET", "/clients/search", params=params)}


@group.read("Find the one client matching several details", notes=[UNVERIFIED])
async def resolve_client(
    ctx: Context,
    name: Text = None,
    address: Text = None,
    internet_plan_name: Text = None,
    internet_plan_price: Price = None,
) -> dict[str, Any]:
    """Find the one subscriber whose full name, address and plan match, without any id.

    Use it when the person knows no phone, document or service id on file. Needs at least three
    of the four fields; a first name alone never matches. Error codes: client_not_found (nobody
    matches), ambiguous_client (several do: ask for one more fact).
    """
    claims = _claims(
        name=name,
        address=address,
        internet_plan_name=internet_plan_name,
        internet_plan_price=internet_plan_price,
    )
    return await api_of(ctx).request("POST", "/clients/resolve", json=claims)


@group.write("Verify a client's identity")
async def verify_identity(
    service_id: ServiceId,
    ctx: Context,
    end_user: EndUser = None,
    name: Text = None,
    document: Text = None,
    phone: Text = None,
    address: Text = None,
    city: Text = None,
    locality: Text = None,
    internet_plan_name: Text = None,
    internet_plan_price: Price = None,
) -> dict[str, Any]:
    """Check facts the person states against the subscriber of service_id.

    Use it after a find tool picked the service_id and before telling the person anything
    stored about it. Pass only what the person said, in their words (at least two fields; city
    and locality never count alone), never values read from the record. Answers
    {is_valid, message} (plus matched_fields when valid). Branch on is_valid and on error codes,
    never on wording: is_valid false -> tell them only the message, never which facts were right
    or wrong; error verification_locked (429) -> too many failures, tell them to try again later
    (retry_after_seconds) and do not call again; status 503 -> verification is unavailable right
    now. Every failed call counts against the subscriber: do not guess or retry with variants.
    """
    claims = _claims(
        name=name,
        document=document,
        phone=phone,
        address=address,
        city=city,
        locality=locality,
        internet_plan_name=internet_plan_name,
        internet_plan_price=internet_plan_price,
    )
    headers = {"X-End-User": end_user} if end_user else None
    path = f"/clients/{service_id}/verify"
    verdict = await api_of(ctx).request("POST", path, json=claims, headers=headers)
    if not verdict.get("is_valid"):
        # Which facts matched is a clue for whoever is guessing; the agent never needs it.
        return {"is_valid": False, "message": verdict.get("message", "")}
    return verdict
