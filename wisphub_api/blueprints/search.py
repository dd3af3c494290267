"""Search route: clients ranked by relevance to free text."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import RAISE

from wisphub_api.blueprints.common import bytes_answer, documents_errors
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.clients import ClientSchema
from wisphub_api.schemas.search import SearchQuerySchema

bp = Blueprint("search", __name__, description="Find subscribers by free text.")
# One instance: its memo of validated query strings is read by the fast lane too.
QUERY_SCHEMA = SearchQuerySchema()


@bp.get("/search")
@bp.arguments(QUERY_SCHEMA, location="query", unknown=RAISE, memo=True)
@bp.response(200, ClientSchema(many=True))
@documents_errors(bp, 400, 422)
def search_clients(args: dict[str, Any]) -> Response:
    """Search clients by name, address, document or phone.

    Case, accents and word order do not matter, and one typo in a word of five letters or
    more is forgiven. Exact document or phone matches come first, then whole-name matches,
    then partial ones.
    """
    body, state = current_services().directory.search(args["q"], args["limit"])
    return bytes_answer(body, state)
