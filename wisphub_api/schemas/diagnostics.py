"""Schemas of the diagnostic routes (and their FastAPI-middleware spellings)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from wisphub_api.schemas.tickets import StrictId

MAX_PINGS = 10  # WispHub's limit
MAX_WAIT_SECONDS = 25
STATUSES = ("pending", "done", "failed")
VERDICTS = ("stable", "antenna_only", "no_internet", "error", "pending")


class DiagnosticRequestSchema(Schema):
    """A diagnostic to start."""

    pings = StrictId(
        maximum=MAX_PINGS,
        load_default=4,
        metadata={"description": "Pings to send, 1-10 (default 4)."},
    )


class DiagnosticWaitSchema(Schema):
    """The query string of ``POST /clients/<service_id>/diagnostics``."""

    wait = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_WAIT_SECONDS),
        metadata={
            "description": "Seconds (0-25) to wait for the result: 200 with the Diagnostic "
            "when it ends in time, else 202 as without it."
        },
    )


class DiagnosticStartedSchema(Schema):
    """A diagnostic that is running: read it at ``Location``."""

    diagnostic_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("pending",)))


class DiagnosticSchema(Schema):
    """What the subscriber's connection looks like from the router."""

    diagnostic_id = fields.String(required=True)
    service_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    verdict = fields.String(
        required=True,
        validate=validate.OneOf(VERDICTS),
        metadata={
            "description": "stable: the subscriber's equipment (a private address or its MAC) "
            "answers; antenna_only: only the antenna's public address answers; no_internet: "
            "nothing answers; error: the router could not ping (which, in message)."
        },
    )
    packets_sent = fields.Integer(allow_none=True)
    packets_received = fields.Integer(allow_none=True)
    avg_rtt_ms = fields.Float(allow_none=True)
    message = fields.String(required=True)
    known_outage = fields.Boolean(
        allow_none=True,
        metadata={"description": "A known outage affects the client (null: it was unknown)."},
    )


class PingStartedSchema(Schema):
    """The FastAPI middleware's answer to ``POST /api/<service_id>/ping/``."""

    task_id = fields.String(required=True, metadata={"description": "The diagnostic's id."})


class PingResultSchema(Schema):
    """The FastAPI middleware's answer to ``GET /api/ping/<task_id>/``."""

    status = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    message = fields.String(required=True)
