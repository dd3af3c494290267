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
    source = fields.String(
        allow_none=True,
        metadata={"description": "upstream (read from WispHub) or shared (another host's copy)."},
    )


class SharedStateSchema(Schema):
    """The store every worker shares (failure counts, writes, idempotency records)."""

    kind = fields.String(required=True, metadata={"description": "redis or local (SQLite)."})
    available = fields.Boolean(required=True)
    last_error = fields.String(allow_none=True)


class ReadinessSchema(Schema):
    """Whether this worker can answer bots now, and what is degraded."""

    status = fields.String(
        required=True,
        metadata={
            "description": "ready; stale (serving data older than its TTL); degraded (a "
            "dependency is down: reads still work, see degraded); warming (no data yet: 503)."
        },
    )
    degraded = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "What is down: wisphub, redis, local_state."},
    )
    clients = fields.Nested(SnapshotStatusSchema, required=True)
    plans = fields.Nested(SnapshotStatusSchema, required=True)
    shared_state = fields.Nested(SharedStateSchema, required=True)
