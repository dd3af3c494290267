"""`/api/plan-internet/` endpoints: the list and the per-type details."""

from __future__ import annotations

from flask import Blueprint, Response

from wisphub_api.sandbox.catalog import PPPOE, QUEUE, Plan
from wisphub_api.sandbox.web import (
    NOT_FOUND_BODY,
    count_rows,
    json_response,
    paginated,
    state,
)

bp = Blueprint("sandbox_plans", __name__)


@bp.get("/api/plan-internet/")
def list_plans() -> Response:
    """List plans as {id, nombre, tipo}, paginated like every list."""
    return paginated(state().dataset.plans, Plan.list_item)


def _detail(plan_id: int, tipo: str) -> Response:
    # The wrong type's path, and both paths for PCQ plans, answer 404.
    plan = state().dataset.plans_by_id.get(plan_id)
    if plan is None or plan.tipo != tipo:
        return json_response(NOT_FOUND_BODY, 404)
    count_rows(1)
    return json_response(plan.detail())


@bp.get("/api/plan-internet/pppoe/<int:plan_id>/")
def show_pppoe_plan(plan_id: int) -> Response:
    """Show a PPPoE plan's price and speeds."""
    return _detail(plan_id, PPPOE)


@bp.get("/api/plan-internet/queue/<int:plan_id>/")
def show_queue_plan(plan_id: int) -> Response:
    """Show a Simple Queue plan's price and speeds."""
    return _detail(plan_id, QUEUE)
