"""Schemas of the ticket and outage routes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from wisphub_api.schemas.common import NOT_BLANK
from wisphub_api.translatable import N_

# Largest id WispHub uses (a PostgreSQL integer), as the path converters say.
MAX_ID = 2**31 - 1
# Longest description accepted: a few paragraphs; WispHub stores free text.
MAX_DESCRIPTION = 2000
TICKET_STATUSES = ("new", "in_progress", "resolved", "closed", "unknown")
PRIORITIES = ("low", "normal", "high", "very_high", "unknown")


class StrictId(fields.Integer):
    """A positive JSON whole number (an id): refuses strings, booleans and fractions."""

    def __init__(self, maximum: int = MAX_ID, **kwargs: Any) -> None:
        super().__init__(strict=True, validate=validate.Range(min=1, max=maximum), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError(N_("Must be a whole number."))
        result: int = super()._deserialize(value, attr, data, **kwargs)
        return result


class SubjectsByPrioritySchema(Schema):
    """Subjects grouped by the priority their tickets get."""

    low = fields.List(fields.String(), required=True)
    normal = fields.List(fields.String(), required=True)
    high = fields.List(fields.String(), required=True)
    very_high = fields.List(fields.String(), required=True)


class SubjectsSchema(Schema):
    """The subjects a ticket may have."""

    by_priority = fields.Nested(SubjectsByPrioritySchema, required=True)
    all = fields.List(fields.String(), required=True)


class TicketCreateSchema(Schema):
    """A ticket to open for a client."""

    service_id = StrictId(required=True)
    subject = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "One of GET /tickets/subjects (case and spacing ignored)."},
    )
    description = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_DESCRIPTION),
            validate.Regexp(NOT_BLANK, error=N_("Must not be blank.")),
        ],
        metadata={
            "description": "What the subscriber reports. Sent to WispHub Net only: never "
            "logged, never answered."
        },
    )
    technician_id = StrictId(
        allow_none=True,
        metadata={"description": "A WispHub staff id; by default the service's technician."},
    )
    zone_id = StrictId(
        allow_none=True,
        metadata={
            "description": "Accepted for bots written against the FastAPI middleware and "
            "ignored: the client's zone in WispHub Net is the one checked for an outage."
        },
    )

    @validates("subject")
    def known_subject(self, value: str, **_: Any) -> None:
        """Refuse a subject that is not configured."""
        from wisphub_api.extensions import current_services

        if current_services().support.subjects.find(value) is None:
            raise ValidationError(N_("Must be one of GET /tickets/subjects."))


class LastAnswerSchema(Schema):
    """The newest answer written on a ticket."""

    text = fields.String(required=True)
    at = fields.String(allow_none=True, metadata={"description": "ISO 8601 with offset."})


class TicketSchema(Schema):
    """A ticket (its description is never answered)."""

    ticket_id = fields.Integer(required=True)
    service_id = fields.Integer(required=True)
    subject = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(TICKET_STATUSES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    created_at = fields.String(allow_none=True, metadata={"description": "ISO 8601 with offset."})
    expected_end = fields.String(
        allow_none=True, metadata={"description": "When it should end (or ended), ISO 8601."}
    )
    technician = fields.String(allow_none=True, metadata={"description": "The technician's name."})
    last_answer = fields.Nested(LastAnswerSchema, allow_none=True)


class ClientTicketsQuerySchema(Schema):
    """The query string of ``GET /clients/<service_id>/tickets``."""

    status = fields.String(
        load_default="open",
        validate=validate.OneOf(("open", "closed", "all")),
        metadata={
            "description": "open (new or in progress, the default), closed (resolved or "
            "closed, within the window of TICKETS_WINDOW_DAYS) or all."
        },
    )


class OutageSchema(Schema):
    """Whether a zone has a known outage."""

    zone_id = fields.Integer(required=True)
    known_outage = fields.Boolean(required=True)
    open_tickets = fields.Integer(required=True)
    max_open_tickets = fields.Integer(required=True)
    reason = fields.String(
        allow_none=True,
        validate=validate.OneOf(("open_tickets", "router_failure")),
        metadata={"description": "open_tickets, router_failure, or null without an outage."},
    )


class ZoneBlockedSchema(Schema):
    """The FastAPI middleware's answer about a zone (``/api/tickets/zone-blocked/<zone_id>``)."""

    is_blocked = fields.Boolean(required=True)
    max_tickets = fields.Integer(required=True)
