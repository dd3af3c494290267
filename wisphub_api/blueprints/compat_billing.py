"""The FastAPI middleware's billing spelling, under ``/api`` only, for bots written against it.

``GET /api/payment-methods/`` answers each method with that middleware's ``id`` beside this
API's ``payment_method_id`` (same value), so a bot of either kind reads it; ``/api/v1`` answers
only ``payment_method_id``.
"""

from __future__ import annotations

from flask import Response

from wisphub_api.blueprints.common import documents_errors, json_answer, no_query_parameters
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.billing import CompatPaymentMethodSchema

bp = Blueprint(
    "compat_billing",
    __name__,
    description="The FastAPI middleware's spelling of the payment methods (under /api only).",
)


@bp.get("/payment-methods/", strict_slashes=False)
@bp.response(200, CompatPaymentMethodSchema(many=True))
@documents_errors(bp, 422)
@no_query_parameters
def list_payment_methods() -> Response:
    """List the payment methods as ``{id, name}`` (and ``payment_method_id``)."""
    methods, state = current_services().billing.methods.all()
    body = [
        {"id": m.payment_method_id, "name": m.name, "payment_method_id": m.payment_method_id}
        for m in methods
    ]
    return json_answer(body, state)
