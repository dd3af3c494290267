"""The `rate_limited` fault, the token bucket, and every fault mode on the new endpoints."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess
from wisphub_api.sandbox.options import parse_options

pytest_plugins = ["tests.support.sandbox"]

GENERIC_403 = {"detail": "Las credenciales de autenticación no se proveyeron."}
NEW_READS = [
    "/api/zonas/",
    "/api/router/",
    "/api/staff/",
    "/api/formas-de-pago/",
    "/api/tickets/",
    "/api/tickets/{ticket}/",
    "/api/facturas/",
    "/api/facturas/{invoice}/pdf/",
    "/api/clientes/7/saldo",
    "/api/tasks/{task}/",
]
NEW_LISTS = [path for path in NEW_READS[:7] if "{" not in path]
TICKET = {"servicio": 12, "asunto": "Sin servicio", "asuntos_default": "Sin Internet"}


def _path(sandbox: SandboxProcess, template: str) -> str:
    if "{ticket}" in template:
        ticket = sandbox.get("/api/tickets/?limit=1").json()["results"][0]["id_ticket"]
        return template.format(ticket=ticket)
    if "{invoice}" in template:
        invoice = sandbox.get("/api/clientes/7/saldo").json()["facturas"][0]["id_factura"]
        return template.format(invoice=invoice)
    if "{task}" in template:
        task = sandbox.post("/api/clientes/11/ping/", json={"pings": 1}).json()["task_id"]
        return template.format(task=task)
    return template


def _writes(sandbox: SandboxProcess) -> list[tuple[str, dict[str, Any]]]:
    invoice = sandbox.get("/api/clientes/7/saldo").json()["facturas"][0]["id_factura"]
    promise = {"id_factura": invoice, "fecha_limite": "2099-01-01", "accion": 1}
    return [
        ("/api/tickets/", TICKET),
        ("/api/clientes/11/ping/", {"pings": 1}),
        ("/api/promesa-pago/", promise),
    ]


def test_rate_limited_answers_429_with_retry_after(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("rate_limited")
    response = sandbox_clean.get("/api/clientes/?limit=1")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"
    assert "5 segundos" in response.json()["detail"]


def test_rate_limited_retry_after_and_count_are_settable(sandbox_clean: SandboxProcess) -> None:
    state = sandbox_clean.fault("rate_limited", retry_after=30, count=2)
    assert (state["mode"], state["count"], state["retry_after"]) == ("rate_limited", 2, 30)
    answers = [sandbox_clean.get("/api/facturas/") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "30"
    assert sandbox_clean.stats()["by_status"] == {"429": 2, "200": 1}


@pytest.mark.parametrize("retry_after", [-1, "5", 1.5, True])
def test_rate_limited_bad_retry_after_is_400(
    sandbox_clean: SandboxProcess, retry_after: object
) -> None:
    body = {"mode": "rate_limited", "retry_after": retry_after}
    response = requests.post(f"{sandbox_clean.url}/__fault", json=body, timeout=5)
    assert response.status_code == 400


@pytest.mark.parametrize("template", NEW_READS)
def test_rate_limited_covers_every_new_read(sandbox_clean: SandboxProcess, template: str) -> None:
    path = _path(sandbox_clean, template)
    sandbox_clean.fault("rate_limited", retry_after=7)
    response = sandbox_clean.get(path)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")


def test_rate_limited_covers_the_writes_and_applies_nothing(
    sandbox_clean: SandboxProcess,
) -> None:
    writes = _writes(sandbox_clean)
    tickets = sandbox_clean.get("/api/tickets/?limit=1").json()["count"]
    sandbox_clean.fault("rate_limited")
    assert [sandbox_clean.post(p, json=b).status_code for p, b in writes] == [429, 429, 429]
    sandbox_clean.fault("ok")
    assert sandbox_clean.get("/api/tickets/?limit=1").json()["count"] == tickets
    assert sandbox_clean.billing()["promises"] == []


@pytest.mark.parametrize("template", NEW_READS)
def test_error_forbidden_and_down_cover_every_new_read(
    sandbox_clean: SandboxProcess, template: str
) -> None:
    path = _path(sandbox_clean, template)
    sandbox_clean.fault("error", count=1)
    error = sandbox_clean.get(path)
    assert (error.status_code, error.headers["Content-Type"][:9]) == (500, "text/html")
    sandbox_clean.fault("forbidden", count=1)
    assert sandbox_clean.get(path).json() == GENERIC_403
    sandbox_clean.fault("down", count=1)
    with pytest.raises(requests.ConnectionError):
        sandbox_clean.get(path)


@pytest.mark.parametrize("template", NEW_READS)
def test_invalid_json_truncates_every_new_read(
    sandbox_clean: SandboxProcess, template: str
) -> None:
    path = _path(sandbox_clean, template)
    whole = sandbox_clean.get(path).content
    sandbox_clean.fault("invalid_json", count=1)
    cut = sandbox_clean.get(path)
    assert cut.status_code == 200
    assert whole.startswith(cut.content) and len(cut.content) < len(whole)


def test_invalid_json_truncates_a_created_answer(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("invalid_json", count=1)
    response = sandbox_clean.post("/api/tickets/", json=TICKET)
    assert response.status_code == 201
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.parametrize("path", NEW_LISTS)
def test_short_count_announces_25_more_on_every_new_list(
    sandbox_clean: SandboxProcess, path: str
) -> None:
    count = sandbox_clean.get(path).json()["count"]
    sandbox_clean.fault("short_count", count=1)
    assert sandbox_clean.get(path).json()["count"] == count + 25


@pytest.mark.parametrize(
    ("path", "key", "lost"),
    [
        ("/api/tickets/?limit=300", "id_ticket", {"id_ticket", "servicio"}),
        ("/api/facturas/?limit=300&desde={start}", "id_factura", {"id_factura", "cliente"}),
    ],
)
def test_missing_fields_drop_keys_from_every_tenth_row(
    sandbox_clean: SandboxProcess, path: str, key: str, lost: set[str]
) -> None:
    start = date.fromisoformat(sandbox_clean.clock()["today"]) - timedelta(days=60)
    path = path.format(start=start)
    ids = [row[key] for row in sandbox_clean.get(path).json()["results"]]
    sandbox_clean.fault("missing_fields")
    rows = sandbox_clean.get(path).json()["results"]
    lacking = [index for index, row in enumerate(rows) if not lost & set(row)]
    assert lacking == [index for index, value in enumerate(ids) if value % 10 == 0]
    assert lacking


def test_stall_and_slow_cover_a_new_path(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("stall", count=1)
    with pytest.raises(requests.ReadTimeout):
        sandbox_clean.get("/api/tickets/", timeout=0.5)
    sandbox_clean.fault("slow", delay=0.2, count=1)
    assert sandbox_clean.get("/api/facturas/").status_code == 200


def test_new_calls_are_counted_by_path_page_and_status(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.get("/api/tickets/?limit=300")
    sandbox_clean.get("/api/facturas/?estado=1")
    sandbox_clean.post("/api/tickets/", json=TICKET)
    sandbox_clean.fault("rate_limited", count=1)
    sandbox_clean.get("/api/staff/")
    stats = sandbox_clean.stats()
    assert stats["by_path"] == {"/api/tickets/": 2, "/api/facturas/": 1, "/api/staff/": 1}
    assert stats["by_page"] == {
        "/api/tickets/?limit=300&offset=0": 1,
        "/api/facturas/?limit=50&offset=0&estado=1": 1,
        "/api/staff/?limit=50&offset=0": 1,
    }
    assert stats["by_status"] == {"200": 2, "201": 1, "429": 1}


def test_token_bucket_allows_a_burst_then_answers_429(sandbox_clean: SandboxProcess) -> None:
    knobs = sandbox_clean.latency(rate_limit=0.001, rate_limit_burst=3)  # no refill in a test
    assert (knobs["rate_limit"], knobs["rate_limit_burst"]) == (0.001, 3)
    statuses = [sandbox_clean.get("/api/zonas/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = sandbox_clean.get("/api/zonas/")
    assert int(refused.headers["Retry-After"]) >= 1
    assert requests.get(f"{sandbox_clean.url}/api/zonas/", timeout=5).status_code == 403


def test_token_bucket_is_off_after_reset(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.latency(rate_limit=0.001, rate_limit_burst=1)
    sandbox_clean.get("/api/zonas/")
    sandbox_clean.reset()
    assert [sandbox_clean.get("/api/zonas/").status_code for _ in range(3)] == [200] * 3


def test_token_bucket_from_the_command_line() -> None:
    with SandboxProcess(clients=20, latency_ms="0", rate_limit=0.001, rate_limit_burst=2) as sbx:
        assert [sbx.get("/api/zonas/").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize(
    "argv",
    [
        ["--today", "2026-02-30"],
        ["--task-seconds", "-1"],
        ["--rate-limit", "x"],
        ["--rate-limit-burst", "0"],
        ["--restricted-key", "short.key"],
    ],
)
def test_cli_rejects_bad_new_options(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options(argv)


def test_cli_new_options_parse() -> None:
    options = parse_options(["--today", "2026-04-20", "--task-seconds", "0.2", "--rate-limit", "5"])
    assert (str(options.today), options.task_seconds, options.rate_limit) == ("2026-04-20", 0.2, 5)
