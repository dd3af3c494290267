"""Schemas of the health routes."""

from __future__ import annotations

from marshmallow import Schema, fields


class LivenessSchema(Schema):
    """The process answers."""

    status = fields.String(required=True)
    version = fields.String(required=True)


class SnapshotStatusSchema(Schema):
    """How warm and how old one cached dataset is."""

    warm = fields.Boolean(required=True)
    age_seconds = fields.Float(allow_none=True)
    fresh = fields.Boolean(required=True)
    ttl_seconds = fields.Float(required=True)
    circuit = fields.String(required=True)
    last_error = fields.String(allow_none=True)


class ReadinessSchema(Schema):
    """Whether the service can answer bots from its cache now."""

    status = fields.String(required=True)
    clients = fields.Nested(SnapshotStatusSchema, required=True)
    plans = fields.Nested(SnapshotStatusSchema, required=True)
