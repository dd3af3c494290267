"""Internet plan routes."""

from __future__ import annotations

from wisphub_api.blueprints.common import (
    cached_body,
    documents_errors,
    json_answer,
    no_query_parameters,
)
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.errors import NotFound
from wisphub_api.schemas.plans import PlanDetailSchema, PlanSchema
from wisphub_api.services import current_services
from wisphub_api.upstream.errors import UpstreamNotFound

bp = Blueprint("plans", __name__, description="The ISP's internet plans.")


@bp.get("/")
@bp.response(200, PlanSchema(many=True))
@documents_errors(bp, 422)
@no_query_parameters
def list_plans():
    """List every plan with its normalised type (PPPoE, Simple Queue or PCQ)."""
    snapshot, state = current_services().plans.snapshot()
    return cached_body(snapshot.listing, state)


@bp.get("/<int:plan_id>")
@bp.response(200, PlanDetailSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_plan(plan_id: int):
    """Show a plan's price and speeds; a plan WispHub gives no detail for says why in ``note``."""
    try:
        detail, state = current_services().plans.detail(plan_id)
    except UpstreamNotFound:
        raise NotFound("No plan has this id.", code="plan_not_found") from None
    return json_answer(detail, state)
