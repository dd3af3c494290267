"""Schemas of the internet plan routes."""

from __future__ import annotations

from marshmallow import Schema, fields


class PlanSchema(Schema):
    """A plan in the list."""

    plan_id = fields.Integer(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "PPPoE, Simple Queue or PCQ."})


class PlanDetailSchema(PlanSchema):
    """A plan with its price and speeds."""

    price = fields.Float(allow_none=True)
    download_speed = fields.String(allow_none=True)
    upload_speed = fields.String(allow_none=True)
    note = fields.String(
        metadata={"description": "Why price or speeds are missing, when they are."}
    )
