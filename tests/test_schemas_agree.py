"""The documented schemas and the answers agree: one shape, one serialiser (docs cannot drift)."""

from __future__ import annotations

import json

from tests.conftest import AUTH
from wisphub_api.schemas.clients import ClientSchema
from wisphub_api.schemas.plans import PlanDetailSchema, PlanSchema
from wisphub_api.upstream.models import CLIENT_PUBLIC_FIELDS


def test_client_schema_lists_the_public_fields_in_answer_order():
    assert tuple(ClientSchema().fields) == CLIENT_PUBLIC_FIELDS


def test_every_listed_client_is_what_the_schema_dumps(api):
    listing = json.loads(api.get("/api/v1/clients/", headers=AUTH).get_data())
    schema = ClientSchema()
    assert listing
    for client in listing:
        assert list(client) == list(CLIENT_PUBLIC_FIELDS)
        assert schema.dump(client) == client
        assert schema.validate(client) == {}


def test_lookups_answer_the_same_bytes_as_the_list(api):
    listing = {c["service_id"]: c for c in api.get("/api/v1/clients/", headers=AUTH).json}
    for path in ("/api/v1/clients/by-service-id/7", "/api/v1/clients/search?q=Esperanza"):
        answer = api.get(path, headers=AUTH).json
        for client in answer if isinstance(answer, list) else [answer]:
            assert client == listing[client["service_id"]]


def test_plan_answers_match_their_schemas(api):
    plans = api.get("/api/v1/internet-plans/", headers=AUTH).json
    assert plans
    for plan in plans:
        assert list(plan) == list(PlanSchema().fields)
        assert PlanSchema().validate(plan) == {}
        detail = api.get(f"/api/v1/internet-plans/{plan['plan_id']}", headers=AUTH).json
        documented = set(PlanDetailSchema().fields)
        assert set(detail) <= documented
        assert documented - set(detail) <= {"note"}
        assert PlanDetailSchema().validate(detail) == {}
