"""Schemas of the identity routes: verify a claimed identity, resolve one without a service id."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from wisphub_api.schemas.common import money_field, text_field
from wisphub_api.services.limiter import END_USER_PATTERN
from wisphub_api.translatable import N_


def _require_count(data: dict[str, Any], setting: str) -> None:
    needed = current_app.config[setting]
    if len(data) < needed:
        # English here: the 400-or-422 rule reads it; the answer translates it (the values kept).
        message = N_("At least {needed} fields are required.").format(needed=needed)
        raise ValidationError(message, "_schema")


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


class EndUserHeaderSchema(Schema):
    """The optional ``X-End-User`` header: who, in the bot's conversation, makes the claim."""

    class Meta:
        unknown = EXCLUDE  # every other header is not ours to judge

    end_user = fields.String(
        data_key="X-End-User",
        load_default=None,
        validate=[
            validate.Length(min=1, max=128),
            validate.Regexp(END_USER_PATTERN, error=N_("Must be printable ASCII characters.")),
        ],
        metadata={
            "description": "An opaque id of the person in the conversation (e.g. the WhatsApp "
            "number), 1-128 printable ASCII characters, stored only as a keyed hash. With it, "
            "failed verifications count per person and service (VERIFY_MAX_FAILURES) and per "
            "service (VERIFY_MAX_FAILURES_PER_SERVICE), so a stranger locks out only themselves. "
            "Without "
            "it, every caller of a service shares one count."
        },
    )
