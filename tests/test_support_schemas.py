"""Support answers match their documented schemas; OpenAPI lists every route; subject settings."""

from __future__ import annotations

import json

import pytest

from tests.conftest import AUTH
from tests.support.tickets import Examples, raw_tickets
from wisphub_api import create_app
from wisphub_api.config import ConfigError, config_for_tests
from wisphub_api.schemas.diagnostics import (
    DiagnosticSchema,
    DiagnosticStartedSchema,
    PingResultSchema,
    PingStartedSchema,
)
from wisphub_api.schemas.tickets import (
    OutageSchema,
    SubjectsSchema,
    TicketSchema,
    ZoneBlockedSchema,
)

ROUTES = {
    "/api/v1/tickets/subjects": {"get"},
    "/api/v1/tickets": {"post"},
    "/api/v1/tickets/{ticket_id}": {"get"},
    "/api/v1/clients/{service_id}/tickets": {"get"},
    "/api/v1/zones/{zone_id}/outage": {"get"},
    "/api/v1/clients/{service_id}/diagnostics": {"post"},
    "/api/v1/diagnostics/{diagnostic_id}": {"get"},
    "/api/tickets/zone-blocked/{zone_id}": {"get"},
    "/api/{service_id}/ping/": {"post"},
    "/api/ping/{task_id}/": {"get"},
}


def agrees(schema, body) -> None:
    assert list(body) == list(schema.fields)
    assert schema.validate(body) == {}


def test_ticket_answers_are_what_the_schema_documents(api, sandbox_clean):
    owner = raw_tickets(sandbox_clean, (1, 2))[0]["servicio"]["id_servicio"]
    tickets = api.get(f"/api/v1/clients/{owner}/tickets?status=all", headers=AUTH).json
    assert tickets
    for ticket in tickets:
        agrees(TicketSchema(), ticket)
        agrees(TicketSchema(), api.get(f"/api/v1/tickets/{ticket['ticket_id']}", headers=AUTH).json)


def test_outage_subjects_and_zone_blocked_answers_match(api, sandbox_clean):
    zone = raw_tickets(sandbox_clean, (1, 2))[0]["servicio"]["zona"]["id"]
    agrees(OutageSchema(), api.get(f"/api/v1/zones/{zone}/outage", headers=AUTH).json)
    agrees(ZoneBlockedSchema(), api.get(f"/api/tickets/zone-blocked/{zone}", headers=AUTH).json)
    agrees(SubjectsSchema(), api.get("/api/v1/tickets/subjects", headers=AUTH).json)


def test_diagnostic_answers_match(api, sandbox_clean):
    started = api.post("/api/v1/clients/11/diagnostics", json={}, headers=AUTH).json
    agrees(DiagnosticStartedSchema(), started)
    agrees(DiagnosticSchema(), api.get(f"/api/v1/diagnostics/{started['diagnostic_id']}",
                                       headers=AUTH).json)  # fmt: skip
    ping = api.post("/api/11/ping/", json={"pings": 1}, headers=AUTH).json
    agrees(PingStartedSchema(), ping)
    agrees(PingResultSchema(), api.get(f"/api/ping/{ping['task_id']}/", headers=AUTH).json)


def test_openapi_documents_every_support_route(client):
    paths = client.get("/openapi.json").json["paths"]
    for path, methods in ROUTES.items():
        assert methods <= set(paths[path]), path
    assert "/api/v1/tickets/zone-blocked/{zone_id}" not in paths  # compat: under /api only
    created = paths["/api/v1/tickets"]["post"]["responses"]
    assert {"200", "201", "404", "409", "422"} <= set(created)
    started = paths["/api/v1/clients/{service_id}/diagnostics"]["post"]["responses"]
    assert {"200", "202", "404", "422"} <= set(started)


def test_openapi_lists_the_configured_subjects(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    subjects = client.get("/api/v1/tickets/subjects", headers=AUTH).json["all"]
    assert schemas["TicketCreate"]["properties"]["subject"]["enum"] == subjects


CUSTOM = {
    "low": ["Facturación"],
    "normal": [],
    "high": ["Sin Internet"],
    "very_high": ["Otro Asunto"],
}


@pytest.mark.parametrize("as_file", [False, True])
def test_subjects_come_from_json_or_a_json_file(make_app, sandbox_clean, tmp_path, as_file):
    setting = json.dumps(CUSTOM)
    if as_file:
        path = tmp_path / "subjects.json"
        path.write_text(setting, encoding="utf-8")
        setting = str(path)
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url, WISPHUB_NET_KEY=sandbox_clean.api_key,
        TICKET_SUBJECTS=setting,
    )  # fmt: skip
    api = app.test_client()
    assert api.get("/api/v1/tickets/subjects", headers=AUTH).json["by_priority"] == CUSTOM
    calm = Examples(sandbox_clean).calm()["id_servicio"]
    body = {"service_id": calm, "subject": "Otro Asunto", "description": "x"}
    answer = api.post("/api/v1/tickets", json=body, headers=AUTH)
    assert (answer.status_code, answer.json["priority"]) == (201, "very_high")
    body["subject"] = "Internet Lento"  # a default subject, not configured here
    assert api.post("/api/v1/tickets", json=body, headers=AUTH).status_code == 422


@pytest.mark.parametrize(
    "setting",
    ["{not json", '{"urgent": ["x"]}', '{"low": "x"}', '{"low": [""]}', '{"low": []}',
     '{"low": ["A"], "high": ["a"]}', "/nonexistent/subjects.json"],
)  # fmt: skip
def test_wrong_subject_settings_stop_the_start(setting):
    with pytest.raises(ConfigError, match="TICKET_SUBJECTS"):
        create_app(config_for_tests(TICKET_SUBJECTS=setting))


@pytest.mark.parametrize(
    "changes",
    [{"TICKETS_WINDOW_DAYS": 60}, {"TICKETS_WINDOW_DAYS": 0}, {"TICKETS_CACHE_TTL": 0},
     {"MAX_OPEN_TICKETS_PER_ZONE": 0}, {"DIAGNOSTIC_POLL_SECONDS": 0},
     {"DIAGNOSTIC_POLL_SECONDS": 5, "DIAGNOSTIC_MAX_SECONDS": 5}],
)  # fmt: skip
def test_wrong_support_settings_stop_the_start(changes):
    with pytest.raises(ConfigError):
        create_app(config_for_tests(**changes))
