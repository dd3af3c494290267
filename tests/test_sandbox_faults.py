"""The sandbox's faults on demand (`/__fault`) over real HTTP."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]

GENERIC_403 = {"detail": "Las credenciales de autenticación no se proveyeron."}


def test_fault_error_answers_html_500(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("error")
    response = sandbox_clean.get("/api/clientes/")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_fault_stall_gives_no_answer_before_timeout(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("stall")
    with pytest.raises(requests.ReadTimeout):
        sandbox_clean.get("/api/clientes/", timeout=0.5)


def test_fault_stall_is_released_by_switch_to_ok(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("stall")
    answers: list[requests.Response] = []
    caller = threading.Thread(
        target=lambda: answers.append(sandbox_clean.get("/api/clientes/?limit=1", timeout=10))
    )
    started = time.monotonic()
    caller.start()
    time.sleep(0.3)
    sandbox_clean.fault("ok")
    caller.join(timeout=5)
    assert answers and answers[0].status_code == 200
    assert time.monotonic() - started < 1.5


def test_fault_down_closes_connection_without_answer(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("down")
    with pytest.raises(requests.ConnectionError):
        sandbox_clean.get("/api/clientes/")
    assert sandbox_clean.stats()["by_status"] == {"dropped": 1}


def test_fault_slow_answers_correctly_after_delay(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("slow", delay=0.4)
    started = time.monotonic()
    response = sandbox_clean.get("/api/clientes/?limit=2")
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_fault_invalid_json_truncates_200_body(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("invalid_json")
    response = sandbox_clean.get("/api/plan-internet/")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_fault_missing_fields_drops_keys_from_every_tenth_row(
    sandbox_clean: SandboxProcess,
) -> None:
    sandbox_clean.fault("missing_fields")
    rows = sandbox_clean.get("/api/clientes/?limit=50").json()["results"]
    lacking = [index for index, row in enumerate(rows) if "id_servicio" not in row]
    assert lacking == [9, 19, 29, 39, 49]
    assert all("nombre" not in rows[index] for index in lacking)
    assert all("cedula" in row for row in rows)


def test_fault_short_count_announces_rows_paging_never_yields(
    sandbox_clean: SandboxProcess,
) -> None:
    sandbox_clean.fault("short_count")
    url: str | None = f"{sandbox_clean.url}/api/clientes/?limit=300"
    counts, seen = set(), 0
    while url:
        body = requests.get(url, headers=sandbox_clean.headers, timeout=5).json()
        counts.add(body["count"])
        seen += len(body["results"])
        url = body["next"]
    assert counts == {1525}
    assert seen == 1500


def test_fault_forbidden_rejects_valid_key(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("forbidden")
    response = sandbox_clean.get("/api/clientes/")
    assert response.status_code == 403
    assert response.json() == GENERIC_403


def test_fault_path_prefix_limits_the_fault(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("error", path="/api/plan-internet/")
    assert sandbox_clean.get("/api/plan-internet/").status_code == 500
    assert sandbox_clean.get("/api/clientes/?limit=1").status_code == 200


def test_fault_count_reverts_to_ok(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("error", count=2)
    statuses = [sandbox_clean.get("/api/clientes/?limit=1").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert sandbox_clean.stats()["by_status"] == {"500": 2, "200": 1}


def test_fault_state_is_readable(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("slow", delay=1, count=3, path="/api/clientes/")
    state = requests.get(f"{sandbox_clean.url}/__fault", timeout=5).json()
    assert state == {"mode": "slow", "path": "/api/clientes/", "count": 3, "delay": 1.0}


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "explode"},
        {"mode": "error", "count": 0},
        {"mode": "slow", "delay": "x"},
        {"mode": "ok", "colour": 1},
    ],
)
def test_fault_bad_body_is_400(sandbox_clean: SandboxProcess, body: dict[str, object]) -> None:
    response = requests.post(f"{sandbox_clean.url}/__fault", json=body, timeout=5)
    assert response.status_code == 400
    assert "error" in response.json()


def test_fault_reset_clears_fault(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("error")
    sandbox_clean.reset()
    assert sandbox_clean.get("/api/clientes/?limit=1").status_code == 200
