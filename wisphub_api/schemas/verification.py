"""Schemas of the identity routes: verify a claimed identity, resolve one without a service id."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validates_schema

from wisphub_api.schemas.common import money_field, text_field


def _require_count(data: dict[str, Any], setting: str) -> None:
    needed = current_app.config[setting]
    if len(data) < needed:
        raise ValidationError(f"At least {needed} fields are required.", "_schema")


class VerifyRequestSchema(Schema):
    """Facts the caller claims about the subscriber of one service."""

    name = text_field()
    document = text_field()
    phone = text_field()
    address = text_field()
    city = text_field()
    locality = text_field()
    internet_plan_name = text_field()
    internet_plan_price = money_field()

    @validates_schema
    def require_enough_fields(self, data: dict[str, Any], **_: Any) -> None:
        """Refuse a claim with fewer fields than verification needs."""
        _require_count(data, "VERIFY_MIN_FIELDS")


class VerifyResponseSchema(Schema):
    """The verdict; it never contains the stored values."""

    is_valid = fields.Boolean(required=True)
    matched_fields = fields.List(fields.String(), required=True)
    message = fields.String(required=True)


class ResolveRequestSchema(Schema):
    """Facts that should single out one client without its service id."""

    name = text_field()
    address = text_field()
    internet_plan_name = text_field()
    internet_plan_price = money_field()

    @validates_schema
    def require_enough_fields(self, data: dict[str, Any], **_: Any) -> None:
        """Refuse a resolve request with too few facts to single anyone out."""
        _require_count(data, "RESOLVE_MIN_FIELDS")
