"""Support endpoints of WispHubClient: tickets, catalogues, ping, tasks (faked by responses)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import requests
from responses import matchers

from tests.support.upstream_mocks import BASE, HEADERS, KEY, fixture
from wisphub_api.upstream import (
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
    WispHubClient,
)
from wisphub_api.upstream.tickets import TicketDraft

TICKETS_URL = f"{BASE}/api/tickets/"
BOGOTA = timezone(timedelta(hours=-5))


def envelope(rows, count=None):
    return {"count": len(rows) if count is None else count, "next": None, "previous": None,
            "results": rows}  # fmt: skip


def test_list_tickets_sends_numeric_estado_and_an_explicit_window(mock, upstream):
    query = {"estado": "1", "fecha_creacion_0": "2026-10-03", "fecha_creacion_1": "2026-12-01",
             "limit": "300", "offset": "0"}  # fmt: skip
    mock.get(
        TICKETS_URL,
        json=envelope([fixture("ticket_row.json")]),
        match=[matchers.query_param_matcher(query), matchers.header_matcher(HEADERS)],
    )
    [ticket] = upstream.list_tickets(1, date(2026, 10, 3), date(2026, 12, 1))
    assert ticket.ticket_id == 31126
    assert (ticket.service_id, ticket.zone_id) == (1042, 63850)


def test_ticket_row_maps_to_english_words_iso_dates_and_the_last_answer(mock, upstream):
    mock.get(f"{TICKETS_URL}31126/", json=fixture("ticket_row.json"))
    ticket = upstream.get_ticket(31126)
    assert ticket.to_public() == {
        "ticket_id": 31126,
        "service_id": 1042,
        "subject": "Sin Internet",
        "status": "in_progress",
        "priority": "very_high",
        "created_at": "2026-11-28T09:12:00-05:00",
        "expected_end": "2026-11-29T09:12:00-05:00",
        "technician": "Paola Ruiz",
        "last_answer": {"text": "Se reinicia el equipo remotamente.",
                        "at": "2026-11-28T14:12:00-05:00"},
    }  # fmt: skip
    assert ticket.created_at == datetime(2026, 11, 28, 9, 12, tzinfo=BOGOTA)


def test_ticket_keeps_no_description_nor_personal_data(mock, upstream):
    row = fixture("ticket_row.json")
    mock.get(f"{TICKETS_URL}31126/", json=row)
    kept = repr(upstream.get_ticket(31126))
    for private in ("3029961145", "3001234567", "MARIA", "172.16.12.25", "maria.gomez"):
        assert private not in kept


@pytest.mark.parametrize(
    ("estado", "prioridad", "status", "priority"),
    [("Nuevo", "Baja", "new", "low"), ("Resuelto", "Normal", "resolved", "normal"),
     ("Cerrado", "Alta", "closed", "high"), ("Pausado", "Urgente", "unknown", "unknown")],
)  # fmt: skip
def test_ticket_states_and_priorities_become_stable_words(
    mock, upstream, estado, prioridad, status, priority
):
    row = {**fixture("ticket_row.json"), "estado": estado, "prioridad": prioridad}
    mock.get(f"{TICKETS_URL}31126/", json=row)
    ticket = upstream.get_ticket(31126)
    assert (ticket.status, ticket.priority) == (status, priority)


@pytest.mark.parametrize("missing", ["id_ticket", "servicio"])
def test_ticket_row_without_its_ids_is_a_bad_response(mock, upstream, missing):
    row = {k: v for k, v in fixture("ticket_row.json").items() if k != missing}
    mock.get(f"{TICKETS_URL}31126/", json=row)
    with pytest.raises(UpstreamBadResponse):
        upstream.get_ticket(31126)


def test_missing_ticket_is_not_found(mock, upstream):
    mock.get(f"{TICKETS_URL}9/", status=404, json={"detail": "No encontrado."})
    with pytest.raises(UpstreamNotFound):
        upstream.get_ticket(9)


def test_create_ticket_posts_the_subject_as_asuntos_default_and_numeric_codes(mock, upstream):
    draft = TicketDraft(1042, "Sin Internet", "No navega", "high", technician_id=6030718)
    body = {"servicio": 1042, "asunto": "Sin Internet", "asuntos_default": "Sin Internet",
            "descripcion": "No navega", "estado": 1, "prioridad": 3,
            "tecnico": 6030718}  # fmt: skip
    mock.post(
        TICKETS_URL,
        status=201,
        json=fixture("ticket_row.json"),
        match=[matchers.json_params_matcher(body)],
    )
    assert upstream.create_ticket(draft).ticket_id == 31126


def test_ticket_draft_never_shows_its_description():
    draft = TicketDraft(1042, "Sin Internet", "Llamar al 3001234567", "high")
    assert "3001234567" not in repr(draft) and "3001234567" not in str(draft)


def test_create_ticket_that_times_out_is_sent_once(mock):
    mock.post(TICKETS_URL, body=requests.exceptions.ReadTimeout())
    draft = TicketDraft(1042, "Sin Internet", "No navega", "high")
    client = WispHubClient(BASE, KEY, retries=3)
    with client, pytest.raises(UpstreamTimeout) as caught:
        client.create_ticket(draft)
    assert caught.value.sent is True
    assert len(mock.calls) == 1


def test_create_ticket_refused_by_a_gateway_is_not_retried(mock):
    mock.post(TICKETS_URL, status=503)
    draft = TicketDraft(1042, "Sin Internet", "No navega", "high")
    client = WispHubClient(BASE, KEY, retries=3)
    with client, pytest.raises(UpstreamUnavailable):
        client.create_ticket(draft)
    assert len(mock.calls) == 1


def test_catalogues_read_every_page(mock):
    rows = [{"id": 63679 + i, "nombre": f"RB-{i}", "ip": "10.10.1.1", "falla_general": i == 2,
             "falla_general_descripcion": "Corte en la calle 5" if i == 2 else ""}
            for i in range(3)]  # fmt: skip
    for offset in (0, 2):
        page = envelope(rows[offset : offset + 2], count=3)
        query = {"limit": "2", "offset": str(offset)}
        mock.get(f"{BASE}/api/router/", json=page, match=[matchers.query_param_matcher(query)])
    with WispHubClient(BASE, KEY, page_size=2) as client:
        routers = client.list_routers()
    assert [(r.router_id, r.general_failure) for r in routers] == [
        (63679, False), (63680, False), (63681, True)
    ]  # fmt: skip
    assert "Corte" not in repr(routers) and "10.10" not in repr(routers)


def test_router_with_a_flag_that_is_not_boolean_is_a_bad_response(mock, upstream):
    row = {"id": 1, "nombre": "RB", "falla_general": "si"}
    mock.get(f"{BASE}/api/router/", json=envelope([row]))
    with pytest.raises(UpstreamBadResponse):
        upstream.list_routers()


def test_zones_of_router_keeps_only_that_routers_clients(mock, upstream):
    rows = [
        {"id_servicio": 1, "router": {"id": 7}, "zona": {"id": 10}},
        {"id_servicio": 2, "router": {"id": 7}, "zona": {"id": 11}},
        {"id_servicio": 3, "router": {"id": 8}, "zona": {"id": 12}},  # filter ignored upstream
    ]
    query = {"router": "7", "limit": "300", "offset": "0"}
    mock.get(f"{BASE}/api/clientes/", json=envelope(rows),
             match=[matchers.query_param_matcher(query)])  # fmt: skip
    assert upstream.zones_of_router(7) == {10, 11}


def test_start_ping_posts_pings_and_returns_the_task_id(mock, upstream):
    mock.post(
        f"{BASE}/api/clientes/1042/ping/",
        status=202,
        json={"task_id": "b9882793-ef3e-4fea-9706-b3feb70704bb", "status": "PROCESS"},
        match=[matchers.json_params_matcher({"pings": 3})],
    )
    assert upstream.start_ping(1042, 3) == "b9882793-ef3e-4fea-9706-b3feb70704bb"


@pytest.mark.parametrize("body", [{}, {"task_id": ""}, {"task_id": "../../clientes"}, []])
def test_start_ping_without_a_usable_task_id_is_a_bad_response(mock, upstream, body):
    mock.post(f"{BASE}/api/clientes/1042/ping/", status=202, json=body)
    with pytest.raises(UpstreamBadResponse):
        upstream.start_ping(1042, 3)


@pytest.mark.parametrize("pings", [0, 11, True])
def test_start_ping_refuses_a_count_wisphub_refuses(upstream, pings):
    with pytest.raises(ValueError):
        upstream.start_ping(1042, pings)


def test_task_result_keeps_host_kinds_and_times_not_addresses(mock, upstream):
    task_id = "b9882793-ef3e-4fea-9706-b3feb70704bb"
    mock.get(f"{BASE}/api/tasks/{task_id}/", json=fixture("ping_task_success.json"))
    task = upstream.get_task(task_id)
    assert task.status == "success"
    assert [(line.host_kind, line.replied, line.rtt_ms) for line in task.lines] == [
        ("private", False, None), ("private", True, 1.287), ("private", True, 0.713)
    ]  # fmt: skip
    assert "172.16" not in repr(task)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("PENDING", "pending"), ("PROCESS", "pending"), ("FAILURE", "failure")],
)
def test_task_waiting_or_failed_has_no_lines(mock, upstream, status, expected):
    task_id = "b9882793-ef3e-4fea-9706-b3feb70704bb"
    body = {"task": {"status": status, "result": "No se pudo conectar con 10.10.1.1"}}
    mock.get(f"{BASE}/api/tasks/{task_id}/", json=body)
    task = upstream.get_task(task_id)
    assert (task.status, task.lines) == (expected, ())
    assert "10.10" not in repr(task)


@pytest.mark.parametrize("body", [{}, {"task": {"status": "DANCING"}}, {"task": {}}])
def test_task_in_an_unknown_shape_is_a_bad_response(mock, upstream, body):
    task_id = "b9882793-ef3e-4fea-9706-b3feb70704bb"
    mock.get(f"{BASE}/api/tasks/{task_id}/", json=body)
    with pytest.raises(UpstreamBadResponse):
        upstream.get_task(task_id)
