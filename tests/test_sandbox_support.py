"""The sandbox's tickets over real HTTP: list filters, hidden window, outage, detail, create."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess
from wisphub_api.sandbox.ticket_data import SUBJECTS

pytest_plugins = ["tests.support.sandbox"]

ISO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-05:00")
TICKET_KEYS = {
    "id_ticket", "asunto", "descripcion", "razon_falla", "estado", "prioridad", "tecnico",
    "email_tecnico", "departamento", "origen_reporte", "fecha_creacion", "fecha_inicio",
    "fecha_fin", "creado_por", "tickets_mensual", "tickets_anual", "respuestas",
    "archivo_ticket", "vencimiento", "servicio",
}  # fmt: skip
NEW_TICKET = {
    "servicio": 12,
    "asunto": "No navega desde la mañana",
    "asuntos_default": "Sin Internet",
    "tecnico": 6030718,
    "descripcion": "Llamar al 3001234567",
    "estado": 1,
    "prioridad": 3,
    "fecha_inicio": "01/12/2026 10:00",
    "fecha_final": "02/12/2026 18:30",
    "departamento": "Soporte Técnico",
}


def _body(sandbox: SandboxProcess, path: str) -> dict[str, Any]:
    response = sandbox.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def _today(sandbox: SandboxProcess) -> date:
    return date.fromisoformat(sandbox.clock()["today"])


def _tickets(sandbox: SandboxProcess, query: str = "") -> list[dict[str, Any]]:
    rows, offset = [], 0
    while True:
        body = _body(sandbox, f"/api/tickets/?limit=300&offset={offset}&{query}")
        rows += body["results"]
        offset += 300
        if body["next"] is None:
            return rows


def _window(sandbox: SandboxProcess, days: int) -> str:
    today = _today(sandbox)
    return f"fecha_creacion_0={today - timedelta(days=days)}&fecha_creacion_1={today}"


@pytest.fixture(scope="module")
def clients(sandbox: SandboxProcess) -> dict[int, dict[str, Any]]:
    """Read every client row of the pristine dataset, by id."""
    sandbox.reset()
    rows: list[dict[str, Any]] = []
    for offset in range(0, 1500, 300):
        rows += _body(sandbox, f"/api/clientes/?limit=300&offset={offset}")["results"]
    return {row["id_servicio"]: row for row in rows}


def test_tickets_default_list_hides_tickets_older_than_30_days(sandbox: SandboxProcess) -> None:
    today = _today(sandbox)
    default = _tickets(sandbox)
    assert default
    assert all(
        today - timedelta(days=30) <= date.fromisoformat(row["fecha_creacion"][:10]) <= today
        for row in default
    )
    assert len(_tickets(sandbox, _window(sandbox, 60))) > len(default)


@pytest.mark.parametrize(
    ("code", "text"), [("1", "Nuevo"), ("2", "En Progreso"), ("3", "Resuelto"), ("4", "Cerrado")]
)
def test_tickets_estado_code_filters_and_rows_say_it_in_text(
    sandbox: SandboxProcess, code: str, text: str
) -> None:
    rows = _tickets(sandbox, f"estado={code}&{_window(sandbox, 60)}")
    assert rows and {row["estado"] for row in rows} == {text}


def test_tickets_estado_codes_partition_the_list(sandbox: SandboxProcess) -> None:
    total = _body(sandbox, "/api/tickets/?limit=1")["count"]
    parts = [_body(sandbox, f"/api/tickets/?limit=1&estado={c}")["count"] for c in "1234"]
    assert sum(parts) == total


@pytest.mark.parametrize("value", ["Nuevo", "abierto", "9", "1.0"])
def test_tickets_estado_text_or_unknown_code_gives_no_rows(
    sandbox: SandboxProcess, value: str
) -> None:
    assert _body(sandbox, f"/api/tickets/?estado={value}") == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize(
    "query", ["servicio=7", "cliente=7", "prioridad=1", "tecnico=6030718", "departamento=x"]
)
def test_tickets_unknown_filters_are_ignored(sandbox: SandboxProcess, query: str) -> None:
    total = _body(sandbox, "/api/tickets/?limit=1")["count"]
    assert _body(sandbox, f"/api/tickets/?limit=1&{query}")["count"] == total


def test_tickets_window_of_two_months_passes_and_longer_is_400(sandbox: SandboxProcess) -> None:
    ok = sandbox.get("/api/tickets/?fecha_creacion_0=2026-01-31&fecha_creacion_1=2026-03-31")
    assert ok.status_code == 200
    refused = sandbox.get("/api/tickets/?fecha_creacion_0=2026-01-31&fecha_creacion_1=2026-04-01")
    assert refused.status_code == 400
    assert set(refused.json()) == {"error"}


@pytest.mark.parametrize("value", ["2026-13-01", "ayer", "2026/01/01"])
def test_tickets_bad_window_date_is_400(sandbox: SandboxProcess, value: str) -> None:
    response = sandbox.get(f"/api/tickets/?fecha_creacion_0={value}")
    assert response.status_code == 400
    assert "error" in response.json()


def test_tickets_day_first_window_dates_are_accepted(sandbox: SandboxProcess) -> None:
    iso = _body(sandbox, "/api/tickets/?fecha_creacion_0=2026-11-01&fecha_creacion_1=2026-11-30")
    day_first = _body(
        sandbox, "/api/tickets/?fecha_creacion_0=01/11/2026&fecha_creacion_1=30/11/2026"
    )
    assert day_first["count"] == iso["count"]


def test_tickets_rows_have_wisphub_shape(
    sandbox: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    for row in _tickets(sandbox, _window(sandbox, 60)):
        assert set(row) == TICKET_KEYS
        assert row["prioridad"] in ("Baja", "Normal", "Alta", "Muy Alta")
        assert ISO_OFFSET.fullmatch(row["fecha_creacion"]) and ISO_OFFSET.fullmatch(
            row["vencimiento"]
        )
        assert row["tecnico"] and "@" in row["email_tecnico"]
        listed = clients[row["servicio"]["id_servicio"]]
        for key in ("ip", "zona", "plan_internet", "router"):
            assert row["servicio"][key] == listed[key]


def _open(sandbox: SandboxProcess, query: str) -> list[dict[str, Any]]:
    return _tickets(sandbox, f"estado=1&{query}") + _tickets(sandbox, f"estado=2&{query}")


def test_tickets_one_zone_is_a_known_outage_and_the_others_are_not(
    sandbox: SandboxProcess,
) -> None:
    recent = _open(sandbox, "")
    by_zone = Counter(row["servicio"]["zona"]["id"] for row in recent)
    outages = [zone for zone, count in by_zone.items() if count >= 3]
    assert len(outages) == 1
    wide = _open(sandbox, _window(sandbox, 60))
    wide_by_zone = Counter(row["servicio"]["zona"]["id"] for row in wide)
    assert all(count <= 2 for zone, count in wide_by_zone.items() if zone != outages[0])
    assert len(wide) > len(recent)  # some open tickets are older than the hidden window
    in_outage = [row for row in recent if row["servicio"]["zona"]["id"] == outages[0]]
    assert {row["servicio"]["router"]["falla_general"] for row in in_outage} == {
        False
    }  # the ticket outage is not the router flagged in falla_general


def test_ticket_detail_equals_its_list_row(sandbox: SandboxProcess) -> None:
    row = _tickets(sandbox)[0]
    assert _body(sandbox, f"/api/tickets/{row['id_ticket']}/") == row


def test_ticket_detail_absent_is_404(sandbox: SandboxProcess) -> None:
    response = sandbox.get("/api/tickets/1/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}


def test_ticket_create_json_answers_201_and_shows_everywhere(
    sandbox_clean: SandboxProcess,
) -> None:
    before = _body(sandbox_clean, "/api/tickets/?estado=1&limit=1")["count"]
    response = sandbox_clean.post("/api/tickets/", json=NEW_TICKET)
    assert response.status_code == 201
    ticket = response.json()
    assert (ticket["estado"], ticket["prioridad"], ticket["origen_reporte"]) == (
        "Nuevo",
        "Alta",
        "API",
    )
    assert ticket["servicio"]["id_servicio"] == 12
    assert ticket["fecha_inicio"] == "2026-12-01T10:00:00-05:00"
    assert ticket["fecha_fin"] == "2026-12-02T18:30:00-05:00"
    assert _body(sandbox_clean, f"/api/tickets/{ticket['id_ticket']}/") == ticket
    assert _body(sandbox_clean, "/api/tickets/?estado=1&limit=1")["count"] == before + 1


def test_ticket_create_from_multipart_form_is_201(sandbox_clean: SandboxProcess) -> None:
    form = {key: (None, str(value)) for key, value in NEW_TICKET.items()}
    response = sandbox_clean.post("/api/tickets/", files=form)
    assert response.status_code == 201
    assert response.json()["asunto"] == NEW_TICKET["asunto"]


def test_ticket_create_with_unknown_subject_is_400_listing_the_choices(
    sandbox_clean: SandboxProcess,
) -> None:
    response = sandbox_clean.post("/api/tickets/", json={**NEW_TICKET, "asuntos_default": "Otro"})
    assert response.status_code == 400
    assert response.json()["asuntos_default"] == list(SUBJECTS)
    assert "error" in response.json()


def test_ticket_options_publish_the_subject_choices(sandbox: SandboxProcess) -> None:
    response = requests.options(f"{sandbox.url}/api/tickets/", headers=sandbox.headers, timeout=5)
    assert response.status_code == 200
    field = response.json()["actions"]["POST"]["asuntos_default"]
    assert [choice["value"] for choice in field["choices"]] == list(SUBJECTS)


@pytest.mark.parametrize(
    "change",
    [
        {"servicio": None},
        {"servicio": 999999},
        {"asunto": ""},
        {"tecnico": 1},
        {"prioridad": 5},
        {"estado": 0},
        {"estado": True},
        {"fecha_inicio": "2026-12-01 10:00"},
        {"departamentos_default": "Cocina"},
    ],
)
def test_ticket_create_bad_field_is_400(
    sandbox_clean: SandboxProcess, change: dict[str, Any]
) -> None:
    body = {key: value for key, value in {**NEW_TICKET, **change}.items() if value is not None}
    response = sandbox_clean.post("/api/tickets/", json=body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert sandbox_clean.stats()["by_status"] == {"400": 1}


def test_ticket_create_to_slashless_url_is_301_and_creates_nothing(
    sandbox_clean: SandboxProcess,
) -> None:
    before = _body(sandbox_clean, "/api/tickets/?limit=1")["count"]
    response = sandbox_clean.post("/api/tickets", json=NEW_TICKET, allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (301, "/api/tickets/")
    assert _body(sandbox_clean, "/api/tickets/?limit=1")["count"] == before


def test_ticket_created_is_forgotten_by_reset(sandbox_clean: SandboxProcess) -> None:
    before = _body(sandbox_clean, "/api/tickets/?limit=1")["count"]
    ticket_id = sandbox_clean.post("/api/tickets/", json=NEW_TICKET).json()["id_ticket"]
    sandbox_clean.reset()
    assert sandbox_clean.get(f"/api/tickets/{ticket_id}/").status_code == 404
    assert _body(sandbox_clean, "/api/tickets/?limit=1")["count"] == before


def test_ticket_created_now_is_dated_on_the_sandbox_today(sandbox_clean: SandboxProcess) -> None:
    ticket = sandbox_clean.post("/api/tickets/", json=NEW_TICKET).json()
    created = datetime.fromisoformat(ticket["fecha_creacion"])
    assert created.date() == _today(sandbox_clean)
