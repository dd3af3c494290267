"""Schemas of the client routes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wisphub_api.schemas.common import StrictNumber, text_field
from wisphub_api.translatable import N_


class ClientSchema(Schema):
    """A subscriber's service, in the contract's field order."""

    service_id = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    document = fields.String(allow_none=True)
    phone = fields.String(
        allow_none=True, metadata={"description": "Every number of the client, joined with commas."}
    )
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    locality = fields.String(allow_none=True)
    service_status = fields.String(
        allow_none=True,
        metadata={"description": "WispHub's estado: Activo, Suspendido, Cancelado or Gratis."},
    )
    payment_status = fields.String(
        allow_none=True,
        metadata={
            "description": "WispHub's estado_facturas: Pagadas, Pendiente de Pago or Vencidas."
        },
    )
    zone_id = fields.Integer(allow_none=True)
    antenna_ip = fields.String(allow_none=True)
    cut_off_date = fields.String(allow_none=True, metadata={"description": "ISO YYYY-MM-DD."})
    outstanding_balance = fields.Float(allow_none=True)
    lan_interface = fields.String(allow_none=True)
    internet_plan_name = fields.String(allow_none=True)
    internet_plan_price = fields.Float(allow_none=True)
    technician_id = fields.Integer(allow_none=True)


class ClientUpdateSchema(Schema):
    """Profile fields to change upstream; at least one, no unknown ones."""

    name = text_field()
    last_name = text_field()
    document = fields.String(
        validate=validate.Regexp(
            r"^[0-9A-Za-z.\- ]{3,30}$", error=N_("Must be 3 to 30 letters, digits, dots or dashes.")
        )
    )
    address = text_field()
    locality = text_field()
    city = text_field()
    phone = fields.String(
        validate=validate.Regexp(
            r"^[0-9+()\-., ]{7,60}$", error=N_("Must be one or more phone numbers.")
        )
    )
    balance = StrictNumber(validate=validate.Range(min=-1_000_000_000, max=1_000_000_000))

    @validates_schema
    def require_one_field(self, data: dict[str, Any], **_: Any) -> None:
        """Refuse an update that changes nothing."""
        if not data:
            raise ValidationError(N_("At least one field is required."), "_schema")


# Largest page of the client list; larger ones would be the whole list in slow motion.
MAX_PAGE = 1000

LIST_HEADERS = {
    "X-Total-Count": {
        "description": "How many clients there are (all pages).",
        "schema": {"type": "integer"},
    },
    "ETag": {"description": "Tag of this answer (this page).", "schema": {"type": "string"}},
}


class ListQuerySchema(Schema):
    """The optional paging of ``GET /clients/``: without it, the whole list."""

    limit = fields.Integer(
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"Clients per page (1-{MAX_PAGE})."},
    )
    offset = fields.Integer(
        validate=validate.Range(min=0, max=10_000_000),
        metadata={"description": "Clients to skip, in service-id order (default 0)."},
    )
