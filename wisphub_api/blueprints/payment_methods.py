"""How to pay: the ISP's payment methods (public information, cached like the plans)."""

from __future__ import annotations

from flask import Response

from wisphub_api.blueprints.common import documents_errors, json_answer, no_query_parameters
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.billing import PaymentMethodSchema

bp = Blueprint("payment_methods", __name__, description="The ways to pay the ISP.")


@bp.get("/", strict_slashes=False)
@bp.response(200, PaymentMethodSchema(many=True))
@documents_errors(bp, 422)
@no_query_parameters
def list_payment_methods() -> Response:
    """List the ISP's payment methods (cached for PAYMENT_METHODS_CACHE_TTL seconds)."""
    methods, state = current_services().billing.methods.all()
    body = [{"payment_method_id": m.payment_method_id, "name": m.name} for m in methods]
    return json_answer(body, state)
