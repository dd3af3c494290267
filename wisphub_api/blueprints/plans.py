"""Internet plan routes."""

from __future__ import annotations

from flask import Response

from wisphub_api.blueprints.common import (
    cached_body,
    documents_errors,
    json_answer,
    no_query_parameters,
)
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.i18n import translate
from wisphub_api.schemas.plans import PlanDetailSchema, PlanSchema

bp = Blueprint("plans", __name__, description="The ISP's internet plans.")


@bp.get("/", strict_slashes=False)
@bp.response(200, PlanSchema(many=True))
@documents_errors(bp, 422)
@no_query_parameters
def list_plans() -> Response:
    """List every plan with its normalised type (PPPoE, Simple Queue or PCQ)."""
    snapshot, state = current_services().plans.snapshot()
    return cached_body(snapshot.listing, state)


@bp.get("/<plan_id:plan_id>")
@bp.response(200, PlanDetailSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_plan(plan_id: int) -> Response:
    """Show a plan's price and speeds; a plan WispHub gives no detail for says why in ``note``."""
    detail, state = current_services().plans.detail(plan_id)
    if "note" in detail:  # a sentence, in the request's language
        detail = {**detail, "note": translate(detail["note"])}
    return json_answer(detail, state)
