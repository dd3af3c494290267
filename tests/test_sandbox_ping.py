"""The sandbox's remote ping and task polling over real HTTP: scenarios, progression, errors."""

from __future__ import annotations

import ipaddress
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.sandbox import SandboxProcess
from wisphub_api.sandbox.ping import INTERFACE_ERROR

pytest_plugins = ["tests.support.sandbox"]

MAC = re.compile(r"([0-9A-F]{2}:){5}[0-9A-F]{2}")
RTT = re.compile(r"(\d+ms)?(\d+us)?")
POLL_SECONDS = 0.05
TERMINAL = ("SUCCESS", "FAILURE")


@pytest.fixture(scope="module")
def instant() -> Iterator[SandboxProcess]:
    """Run a sandbox whose tasks finish at once (--task-seconds 0)."""
    with SandboxProcess(clients=40, latency_ms="0", per_row_ms=0, task_seconds=0) as process:
        yield process


def _row(sandbox: SandboxProcess, service_id: int) -> dict[str, Any]:
    return sandbox.get(f"/api/clientes/?id_servicio={service_id}").json()["results"][0]


def _start(sandbox: SandboxProcess, service_id: int, **body: Any) -> str:
    response = sandbox.post(f"/api/clientes/{service_id}/ping/", json={"pings": 4, **body})
    assert response.status_code == 202
    assert response.json()["status"] == "PROCESS"
    return str(uuid.UUID(response.json()["task_id"]))


def _task(sandbox: SandboxProcess, task_id: str) -> dict[str, Any]:
    response = sandbox.get(f"/api/tasks/{task_id}/")
    assert response.status_code == 200
    assert list(response.json()) == ["task"]
    return response.json()["task"]


def _result(sandbox: SandboxProcess, service_id: int, **body: Any) -> list[dict[str, Any]]:
    task = _task(sandbox, _start(sandbox, service_id, **body))
    assert task["status"] == "SUCCESS"
    result = task["result"]
    assert all(len(item) == 1 for item in result)
    assert [next(iter(item)) for item in result] == [
        *(f"ping-{n}" for n in range(1, len(result))),
        "ping-exitoso",
    ]
    return result


def _lines(result: list[dict[str, Any]]) -> list[Any]:
    return [next(iter(item.values())) for item in result[:-1]]


def _is_private(host: str) -> bool:
    return ipaddress.ip_address(host).is_private


def test_ping_and_task_calls_are_counted(instant: SandboxProcess) -> None:
    instant.reset_stats()
    task_id = _start(instant, 11)
    _task(instant, task_id)
    stats = instant.stats()
    assert stats["by_path"] == {"/api/clientes/11/ping/": 1, f"/api/tasks/{task_id}/": 1}
    assert stats["by_status"] == {"202": 1, "200": 1}


def test_ping_lines_are_dicts_of_strings(instant: SandboxProcess) -> None:
    for service_id in (11, 14, 15, 16, 17, 18):
        for line in _lines(_result(instant, service_id)):
            assert isinstance(line, dict) and all(isinstance(v, str) for v in line.values())
            assert {"host", "sent", "received", "packet-loss", "seq"} <= set(line)
            if "time" in line:
                assert RTT.fullmatch(line["time"])


def test_ping_scenario_equipment_private_ip_answers(instant: SandboxProcess) -> None:
    result = _result(instant, 11)
    lines = _lines(result)
    assert {line["host"] for line in lines} == {_row(instant, 11)["ip"]}
    assert all("status" not in line and line["ttl"] and line["avg-rtt"] for line in lines)
    assert result[-1] == {"ping-exitoso": "4 de 4"}


def test_ping_scenario_first_packet_lost_then_replies(instant: SandboxProcess) -> None:
    result = _result(instant, 14)
    lines = _lines(result)
    assert lines[0]["status"] == "timeout"
    assert lines[-1]["packet-loss"] == "25"
    assert result[-1] == {"ping-exitoso": "3 de 4"}


def test_ping_scenario_equipment_mac_answers(instant: SandboxProcess) -> None:
    result = _result(instant, 15)
    hosts = {line["host"] for line in _lines(result)}
    assert len(hosts) == 1 and MAC.fullmatch(hosts.pop())
    assert result[-1] == {"ping-exitoso": "4 de 4"}


def test_ping_scenario_only_a_public_ip_answers(instant: SandboxProcess) -> None:
    result = _result(instant, 16)
    assert all(not _is_private(line["host"]) for line in _lines(result))
    assert result[-1] == {"ping-exitoso": "4 de 4"}


def test_ping_scenario_nothing_answers_timeout(instant: SandboxProcess) -> None:
    result = _result(instant, 17)
    assert {line["status"] for line in _lines(result)} == {"timeout"}
    assert result[-1] == {"ping-exitoso": "0 de 4"}


def test_ping_scenario_nothing_answers_host_unreachable(instant: SandboxProcess) -> None:
    result = _result(instant, 18)
    lines = _lines(result)
    assert {line["status"] for line in lines} == {"host unreachable"}
    routers = {router["ip"] for router in instant.get("/api/router/").json()["results"]}
    assert {line["host"] for line in lines} <= routers  # the router answers, not the client
    assert result[-1] == {"ping-exitoso": "0 de 4"}


def test_ping_scenario_stale_interface_gives_mikrotik_error_strings(
    instant: SandboxProcess,
) -> None:
    result = _result(instant, 19, pings=2)
    assert _lines(result) == [INTERFACE_ERROR, INTERFACE_ERROR]
    assert result[-1] == {"ping-exitoso": "0 de 2"}


def test_ping_unknown_interface_gives_mikrotik_error_for_any_client(
    instant: SandboxProcess,
) -> None:
    assert _lines(_result(instant, 11, interfaz="ether9", pings=1)) == [INTERFACE_ERROR]
    assert "status" not in _lines(_result(instant, 11, interfaz="ether1", pings=1))[0]


def test_ping_scenario_task_failure(instant: SandboxProcess) -> None:
    task = _task(instant, _start(instant, 20))
    assert task["status"] == "FAILURE"
    assert isinstance(task["result"], str) and task["result"]


def test_ping_results_are_the_same_for_the_same_client(instant: SandboxProcess) -> None:
    assert _result(instant, 12) == _result(instant, 12)


@pytest.mark.parametrize("body", [{}, {"pings": 0}, {"pings": 11}, {"pings": "x"}, {"pings": True}])
def test_ping_bad_count_is_400(instant: SandboxProcess, body: dict[str, Any]) -> None:
    response = instant.post("/api/clientes/11/ping/", json=body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_ping_of_unknown_client_is_404(instant: SandboxProcess) -> None:
    assert instant.post("/api/clientes/999/ping/", json={"pings": 1}).status_code == 404


def test_ping_slashless_post_is_301(instant: SandboxProcess) -> None:
    response = instant.post("/api/clientes/11/ping", json={"pings": 1}, allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (301, "/api/clientes/11/ping/")


def test_task_unknown_id_stays_pending_and_malformed_id_is_404(instant: SandboxProcess) -> None:
    assert _task(instant, str(uuid.uuid4())) == {"status": "PENDING", "result": None}
    assert instant.get("/api/tasks/not-a-task/").status_code == 404


def test_task_waits_with_null_result_until_it_ends(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.latency(task_seconds=60)
    task = _task(sandbox_clean, _start(sandbox_clean, 11))
    assert task == {"status": "PENDING", "result": None}


def test_task_moves_pending_then_process_then_success(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.latency(task_seconds=3)  # a second PENDING, two PROCESS: ample for polling
    task_id, seen = _start(sandbox_clean, 11), []
    while not seen or seen[-1] not in TERMINAL:
        task = _task(sandbox_clean, task_id)
        assert (task["result"] is None) == (task["status"] not in TERMINAL)
        if not seen or seen[-1] != task["status"]:
            seen.append(task["status"])
        time.sleep(POLL_SECONDS)
    assert seen == ["PENDING", "PROCESS", "SUCCESS"]


def test_task_time_knob_is_readable(sandbox_clean: SandboxProcess) -> None:
    assert sandbox_clean.latency(task_seconds=0.2)["task_seconds"] == 0.2
    sandbox_clean.reset()
    assert sandbox_clean.latency()["task_seconds"] == 3.0


def test_reset_forgets_tasks(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.latency(task_seconds=0)
    task_id = _start(sandbox_clean, 11)
    assert _task(sandbox_clean, task_id)["status"] == "SUCCESS"
    sandbox_clean.reset()
    assert _task(sandbox_clean, task_id) == {"status": "PENDING", "result": None}
