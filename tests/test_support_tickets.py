"""Tickets over the real sandbox: subjects, open (once, never for an outage), read, list."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import AUTH
from tests.support.tickets import MAX_OPEN, Examples, raw_tickets
from tests.test_reliability_faults import wait_until
from wisphub_api.services.subjects import DEFAULT_SUBJECTS

TICKETS = "/api/tickets/"


@pytest.fixture(scope="module")
def examples(sandbox) -> Examples:
    """Pick the clients of each situation from the pristine sandbox."""
    sandbox.reset()
    return Examples(sandbox)


def open_ticket(api, service_id: int, subject: str = "Sin Internet", **extra):
    headers = {**AUTH, **extra.pop("headers", {})}
    body = {"service_id": service_id, "subject": subject, "description": "No navega", **extra}
    return api.post("/api/v1/tickets", json=body, headers=headers)


def created(sandbox) -> int:
    """Return how many tickets WispHub created (its 201 answers)."""
    return sandbox.stats()["by_status"].get("201", 0)


# -- subjects -----------------------------------------------------------------------------------
def test_subjects_by_priority_and_all_in_order(api):
    answer = api.get("/api/v1/tickets/subjects", headers=AUTH)
    assert answer.status_code == 200
    assert answer.json["by_priority"] == DEFAULT_SUBJECTS
    flat = [s for p in ("low", "normal", "high", "very_high") for s in DEFAULT_SUBJECTS[p]]
    assert answer.json["all"] == flat


def test_default_subjects_are_the_tenants_choices(api, sandbox):
    options = requests.options(sandbox.url + TICKETS, headers=sandbox.headers, timeout=5).json()
    choices = options["actions"]["POST"]["asuntos_default"]["choices"]
    subjects = api.get("/api/v1/tickets/subjects", headers=AUTH).json["all"]
    assert sorted(subjects) == sorted(choice["value"] for choice in choices)


# -- open ---------------------------------------------------------------------------------------
def test_open_ticket_answers_201_with_the_ticket_and_its_location(api, sandbox_clean, examples):
    client = examples.calm()
    answer = open_ticket(api, client["id_servicio"], subject="  sin   INTERNET ")
    assert answer.status_code == 201, answer.json
    ticket = answer.json
    assert (ticket["service_id"], ticket["subject"]) == (client["id_servicio"], "Sin Internet")
    assert (ticket["status"], ticket["priority"]) == ("new", "high")
    assert ticket["technician"]  # the service's technician, by name
    assert "description" not in ticket
    assert answer.headers["Location"] == f"/api/v1/tickets/{ticket['ticket_id']}"
    upstream = sandbox_clean.get(f"{TICKETS}{ticket['ticket_id']}/").json()
    assert upstream["servicio"]["id_servicio"] == client["id_servicio"]
    assert upstream["prioridad"] == "Alta" and upstream["descripcion"] == "No navega"


def test_open_ticket_priority_follows_the_subjects_group(api, sandbox_clean, examples):
    answer = open_ticket(api, examples.calm()["id_servicio"], subject="Cambio de Plan")
    assert answer.status_code == 201
    assert answer.json["priority"] == "low"
    assert sandbox_clean.get(f"{TICKETS}{answer.json['ticket_id']}/").json()["prioridad"] == "Baja"


def test_open_ticket_with_an_unknown_subject_is_422_and_sends_nothing(api, sandbox_clean, examples):
    answer = open_ticket(api, examples.calm()["id_servicio"], subject="Quiero pizza")
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"subject"}
    assert sandbox_clean.stats()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [{"service_id": 7, "subject": "Sin Internet"}, {"subject": "Sin Internet", "description": "x"}],
)
def test_open_ticket_without_required_fields_is_400(api, body):
    answer = api.post("/api/v1/tickets", json=body, headers=AUTH)
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "changes",
    [{"service_id": "7"}, {"service_id": True}, {"description": "   "}, {"technician_id": 0},
     {"description": "x" * 2001}, {"priority": "high"}],
)  # fmt: skip
def test_open_ticket_with_a_wrong_field_is_422(api, changes):
    body = {"service_id": 7, "subject": "Sin Internet", "description": "No navega", **changes}
    answer = api.post("/api/v1/tickets", json=body, headers=AUTH)
    assert answer.status_code == 422


def test_open_ticket_for_an_unknown_client_is_404(api, examples):
    unknown = max(row["id_servicio"] for row in examples.rows) + 1
    answer = open_ticket(api, unknown)
    assert (answer.status_code, answer.json["code"]) == (404, "client_not_found")


def test_open_ticket_with_an_unknown_technician_is_404(api, sandbox_clean, examples):
    staff = {
        m["id"] for m in sandbox_clean.get("/api/staff/", params={"limit": 300}).json()["results"]
    }
    answer = open_ticket(api, examples.calm()["id_servicio"], technician_id=max(staff) + 1)
    assert (answer.status_code, answer.json["code"]) == (404, "technician_not_found")
    assert created(sandbox_clean) == 0


def test_open_ticket_with_a_named_technician_assigns_them(api, sandbox_clean, examples):
    staff = sandbox_clean.get("/api/staff/", params={"limit": 300}).json()["results"]
    member = staff[-1]
    answer = open_ticket(api, examples.calm()["id_servicio"], technician_id=member["id"])
    assert answer.status_code == 201
    assert answer.json["technician"] == member["nombre"]


# -- no duplicates ------------------------------------------------------------------------------
def test_same_client_and_subject_while_open_answers_that_ticket_200(api, sandbox_clean, examples):
    service_id = examples.calm()["id_servicio"]
    first = open_ticket(api, service_id)
    again = open_ticket(api, service_id, subject="SIN INTERNET")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert created(sandbox_clean) == 1


def test_same_client_another_subject_opens_another_ticket(api, sandbox_clean, examples):
    service_id = examples.calm()["id_servicio"]
    first = open_ticket(api, service_id)
    other = open_ticket(api, service_id, subject="Internet Lento")
    assert (first.status_code, other.status_code) == (201, 201)
    assert other.json["ticket_id"] != first.json["ticket_id"]


def test_open_ticket_that_wisphub_already_has_is_answered_not_repeated(
    api, sandbox_clean, examples
):
    client = examples.calm()
    body = {"servicio": client["id_servicio"], "asunto": "Internet Lento",
            "asuntos_default": "Internet Lento"}  # fmt: skip
    existing = sandbox_clean.post(TICKETS, json=body).json()  # opened by staff, not through us
    answer = open_ticket(api, client["id_servicio"], subject="internet lento")
    assert (answer.status_code, answer.json["ticket_id"]) == (200, existing["id_ticket"])
    assert created(sandbox_clean) == 1


def test_idempotency_key_replays_the_first_answer_and_creates_once(api, sandbox_clean, examples):
    service_id = examples.calm()["id_servicio"]
    key = {"Idempotency-Key": "whatsapp-msg-1"}
    first = open_ticket(api, service_id, headers=key)
    again = open_ticket(api, service_id, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert created(sandbox_clean) == 1


def test_idempotency_key_reused_for_another_ticket_is_422(api, sandbox_clean, examples):
    service_id = examples.calm()["id_servicio"]
    key = {"Idempotency-Key": "whatsapp-msg-2"}
    assert open_ticket(api, service_id, headers=key).status_code == 201
    reused = open_ticket(api, service_id, subject="Internet Lento", headers=key)
    assert (reused.status_code, reused.json["code"]) == (422, "idempotency_key_reused")


# -- known outage -------------------------------------------------------------------------------
def test_zone_with_enough_open_tickets_refuses_a_ticket_409(api, sandbox_clean, examples):
    client = examples.outage_by_tickets()
    answer = open_ticket(api, client["id_servicio"])
    assert (answer.status_code, answer.json["code"]) == (409, "known_outage")
    assert f"{examples.open[client['zona']['id']]} open tickets" in answer.json["detail"]
    assert created(sandbox_clean) == 0


def test_router_in_general_failure_refuses_a_ticket_409(api, sandbox_clean, examples):
    answer = open_ticket(api, examples.outage_by_router()["id_servicio"])
    assert (answer.status_code, answer.json["code"]) == (409, "known_outage")
    assert "router" in answer.json["detail"]
    assert "Corte" not in answer.json["detail"]  # WispHub's free text is never echoed


def test_a_zone_reaching_the_limit_refuses_the_next_ticket(api, sandbox_clean, examples):
    zone = examples.calm()["zona"]["id"]
    missing = MAX_OPEN - examples.open[zone]
    statuses = [open_ticket(api, examples.calm(skip=i)["id_servicio"]).status_code
                for i in range(missing + 1)]  # fmt: skip
    assert statuses == [201] * missing + [409]


def test_a_refused_ticket_keeps_its_idempotency_key_free(api, sandbox_clean, examples):
    key = {"Idempotency-Key": "refused-1"}
    client = examples.outage_by_router()
    assert open_ticket(api, client["id_servicio"], headers=key).status_code == 409
    assert open_ticket(api, client["id_servicio"], headers=key).status_code == 409


# -- read ---------------------------------------------------------------------------------------
def test_get_ticket_answers_what_wisphub_holds(api, sandbox_clean):
    row = raw_tickets(sandbox_clean, (4,))[0]
    answer = api.get(f"/api/v1/tickets/{row['id_ticket']}", headers=AUTH)
    assert answer.status_code == 200
    ticket = answer.json
    assert (ticket["ticket_id"], ticket["service_id"]) == (
        row["id_ticket"],
        row["servicio"]["id_servicio"],
    )
    assert (ticket["subject"], ticket["status"], ticket["created_at"]) == (
        row["asunto"], "closed", row["fecha_creacion"]
    )  # fmt: skip
    assert ticket["expected_end"] == row["fecha_fin"]
    answers = [a["respuesta"] for a in row["respuestas"]]
    assert (ticket["last_answer"] or {}).get("text") == (answers[-1] if answers else None)
    assert answer.headers["X-Cache"] == "MISS"
    assert api.get(f"/api/v1/tickets/{row['id_ticket']}", headers=AUTH).headers["X-Cache"] == "HIT"


def test_get_unknown_ticket_is_404(api, sandbox_clean):
    answer = api.get("/api/v1/tickets/999999", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (404, "ticket_not_found")


@pytest.mark.parametrize("bad", ["abc", "0", "99999999999"])
def test_get_ticket_with_a_malformed_id_is_422(api, bad):
    answer = api.get(f"/api/v1/tickets/{bad}", headers=AUTH)
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"ticket_id"}


def test_created_ticket_is_read_without_asking_wisphub(api, sandbox_clean, examples):
    ticket = open_ticket(api, examples.calm()["id_servicio"]).json
    before = sandbox_clean.stats()["by_path"].get(f"{TICKETS}{ticket['ticket_id']}/", 0)
    assert api.get(f"/api/v1/tickets/{ticket['ticket_id']}", headers=AUTH).json == ticket
    assert sandbox_clean.stats()["by_path"].get(f"{TICKETS}{ticket['ticket_id']}/", 0) == before


# -- a client's tickets -------------------------------------------------------------------------
def client_tickets(api, service_id: int, status: str | None = None):
    query = f"?status={status}" if status else ""
    return api.get(f"/api/v1/clients/{service_id}/tickets{query}", headers=AUTH)


@pytest.mark.parametrize(("status", "estados"), [("open", (1, 2)), ("closed", (3, 4)),
                                                 ("all", (1, 2, 3, 4))])  # fmt: skip
def test_client_tickets_by_status_newest_first(api, sandbox_clean, status, estados):
    rows = raw_tickets(sandbox_clean, estados)
    owner = max({r["servicio"]["id_servicio"] for r in rows},
                key=lambda sid: sum(r["servicio"]["id_servicio"] == sid for r in rows))  # fmt: skip
    expected = sorted(
        (r for r in rows if r["servicio"]["id_servicio"] == owner),
        key=lambda r: (r["fecha_creacion"], r["id_ticket"]),
        reverse=True,
    )
    answer = client_tickets(api, owner, status)
    assert answer.status_code == 200
    assert [t["ticket_id"] for t in answer.json] == [r["id_ticket"] for r in expected]


def test_client_tickets_default_to_open(api, sandbox_clean):
    owner = raw_tickets(sandbox_clean, (1, 2))[0]["servicio"]["id_servicio"]
    assert client_tickets(api, owner).json == client_tickets(api, owner, "open").json
    assert all(t["status"] in ("new", "in_progress") for t in client_tickets(api, owner).json)


def test_client_tickets_of_a_client_without_any_is_an_empty_list(api, sandbox_clean, examples):
    answer = client_tickets(api, examples.calm()["id_servicio"])
    assert (answer.status_code, answer.json) == (200, [])


def test_client_tickets_of_an_unknown_client_is_404(api, examples):
    unknown = max(row["id_servicio"] for row in examples.rows) + 1
    assert client_tickets(api, unknown).status_code == 404


@pytest.mark.parametrize(
    "query", ["?status=pending", "?status=open&x=1", "?status=open&status=all"]
)
def test_client_tickets_with_a_bad_query_is_422(api, query):
    assert api.get(f"/api/v1/clients/7/tickets{query}", headers=AUTH).status_code == 422


def test_created_ticket_shows_in_the_clients_tickets_at_once(api, sandbox_clean, examples):
    service_id = examples.calm()["id_servicio"]
    assert client_tickets(api, service_id).json == []  # the listing is now cached
    ticket = open_ticket(api, service_id).json
    assert client_tickets(api, service_id).json == [ticket]


# -- cost: one bounded listing, cached ----------------------------------------------------------
def ticket_pages(sandbox) -> dict[str, int]:
    return {p: n for p, n in sandbox.stats()["by_page"].items() if p.startswith(TICKETS + "?")}


def test_open_tickets_are_one_listing_per_ttl_whatever_is_asked(api, sandbox_clean, examples):
    for row in examples.rows[:30]:
        client_tickets(api, row["id_servicio"])
    for zone in {row["zona"]["id"] for row in examples.rows}:
        api.get(f"/api/v1/zones/{zone}/outage", headers=AUTH)
    pages = ticket_pages(sandbox_clean)
    assert sorted(int(p.split("estado=")[1].split("&")[0]) for p in pages) == [1, 2]
    assert set(pages.values()) == {1}


def test_the_listing_asks_for_an_explicit_window_within_two_months(api, sandbox_clean):
    client_tickets(api, 7)
    for page in ticket_pages(sandbox_clean):
        assert "fecha_creacion_0=" in page and "fecha_creacion_1=" in page


def test_open_tickets_older_than_the_hidden_window_are_counted(api, sandbox_clean):
    shown = {  # WispHub's default window: the last 30 days
        t["id_ticket"]
        for estado in (1, 2)
        for t in sandbox_clean.get(TICKETS, params={"estado": estado, "limit": 300}).json()[
            "results"
        ]
    }
    old = [t for t in raw_tickets(sandbox_clean, (1, 2)) if t["id_ticket"] not in shown]
    assert old, "the sandbox seeds open tickets outside its default window"
    owner = old[0]["servicio"]["id_servicio"]
    assert old[0]["id_ticket"] in [t["ticket_id"] for t in client_tickets(api, owner).json]


def test_the_listing_is_read_again_once_the_ttl_passed(make_app, sandbox_clean):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url, WISPHUB_NET_KEY=sandbox_clean.api_key,
        TICKETS_CACHE_TTL=1,
    )  # fmt: skip
    api = app.test_client()
    assert client_tickets(api, 7).headers["X-Cache"] == "MISS"
    assert client_tickets(api, 7).headers["X-Cache"] == "HIT"
    time.sleep(1.15)  # the 1 s TTL has passed
    assert client_tickets(api, 7).headers["X-Cache"] == "MISS"
    assert set(ticket_pages(sandbox_clean).values()) == {2}


def test_a_create_that_timed_out_answers_504_and_a_later_read_tells(
    make_app, sandbox_clean, examples
):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url, WISPHUB_NET_KEY=sandbox_clean.api_key,
        UPSTREAM_READ_TIMEOUT=0.5,
    )  # fmt: skip
    api = app.test_client()
    service_id = examples.calm()["id_servicio"]
    assert client_tickets(api, service_id).json == []  # cached: no ticket yet
    sandbox_clean.fault("stall", path=TICKETS, count=1)
    answer = open_ticket(api, service_id)
    assert (answer.status_code, answer.json["code"]) == (504, "upstream_timeout")
    sandbox_clean.fault("ok")  # releases the stalled create: WispHub applies it now
    wait_until(lambda: created(sandbox_clean) == 1)
    listed = client_tickets(api, service_id).json  # read from WispHub again, not the cache
    assert [t["subject"] for t in listed] == ["Sin Internet"]
    again = open_ticket(api, service_id)  # the retry finds it instead of opening another
    assert (again.status_code, again.json["ticket_id"]) == (200, listed[0]["ticket_id"])
    assert created(sandbox_clean) == 1
