"""gunicorn with 2 workers: no connection waits for a booting worker, none is refused meanwhile.

Real gunicorn (gunicorn.conf.py, loopback) over ``tests.support.slow_boot_app``, whose creation
is slow in every worker but the first (or in all of them). The bounds are generous, far below
the slow boot: they tell a connection served by a ready worker from one that waited for a boot.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tests.support.servers import GunicornServer, call

SLOW_APP = "tests.support.slow_boot_app:create_app()"
SLOW_BOOT_S = 8.0
FAST_ANSWER_S = 1.0  # a ready worker answers in milliseconds; a booting one after seconds
START_TIMEOUT_S = 20.0
CALL_TIMEOUT_S = 20.0


@pytest.fixture
def start(tmp_path):
    """Return a starter of gunicorn with 2 workers over the slow-boot app; stop it after."""
    servers: list[GunicornServer] = []

    def start_server(fast_boot_s: float, slow_boot_s: float) -> GunicornServer:
        env = {
            "WEB_CONCURRENCY": "2",
            "BOOT_MARKER": str(tmp_path / "first-worker"),
            "FAST_BOOT_SECONDS": str(fast_boot_s),
            "SLOW_BOOT_SECONDS": str(slow_boot_s),
        }
        server = GunicornServer(tmp_path, env, app=SLOW_APP, ready_path="/")
        server.env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{server.port}"  # loopback only
        servers.append(server)
        return server.start(wait=False)

    yield start_server
    for server in servers:
        server.stop()


def wait_logged(server: GunicornServer, text: str, timeout: float = START_TIMEOUT_S) -> None:
    """Wait until gunicorn's log contains ``text``."""
    deadline = time.monotonic() + timeout
    while text not in server.logs():
        assert time.monotonic() < deadline, f"no {text!r} in:\n{server.logs()[-2000:]}"
        time.sleep(0.01)


def timed_get(
    server: GunicornServer, timeout: float = CALL_TIMEOUT_S, path: str = "/"
) -> tuple[float, str]:
    """GET ``path`` on a fresh connection; return the seconds it took and the answer (or error)."""
    started = time.monotonic()
    try:
        answer = call(server.port, "GET", path, timeout=timeout)
        outcome = f"{answer.status} {answer.body.decode()}"
    except OSError as exc:
        outcome = type(exc).__name__
    return time.monotonic() - started, outcome


def concurrent_gets(
    server: GunicornServer, seconds: float, every: float
) -> list[tuple[float, str]]:
    """Open a connection every ``every`` s for ``seconds``, each in a thread; return the answers."""
    results: list[tuple[float, str]] = []
    threads = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        thread = threading.Thread(target=lambda: results.append(timed_get(server)), daemon=True)
        thread.start()
        threads.append(thread)
        time.sleep(every)
    for thread in threads:
        thread.join(CALL_TIMEOUT_S + 5)
    return results


def pids_answering(server: GunicornServer, count: int, timeout: float) -> set[str]:
    """GET / until ``count`` workers answered, within ``timeout``; return their pids."""
    pids: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(pids) < count and time.monotonic() < deadline:
        _, outcome = timed_get(server, timeout=2.0)
        if outcome.startswith("200 "):
            pids.add(outcome.split()[1])
        time.sleep(0.02)
    return pids


def test_boot_requests_while_one_worker_boots_are_all_answered_fast(start):
    server = start(fast_boot_s=0.0, slow_boot_s=SLOW_BOOT_S)
    started = time.monotonic()
    while timed_get(server, timeout=FAST_ANSWER_S)[1][:3] != "200":  # the fast worker is up
        assert time.monotonic() - started < START_TIMEOUT_S, server.logs()[-2000:]
    window_end = started + SLOW_BOOT_S / 2  # well before the slow worker can answer
    answers = []
    while time.monotonic() < window_end:
        answers.append(timed_get(server, timeout=2 * FAST_ANSWER_S))
    slow = [(round(s, 2), outcome) for s, outcome in answers if s >= FAST_ANSWER_S]
    assert slow == [], f"{len(slow)} of {len(answers)} waited for the booting worker"
    assert len(answers) >= 10
    assert len(pids_answering(server, 2, timeout=SLOW_BOOT_S * 2)) == 2  # it serves once up


def test_boot_connections_while_every_worker_boots_wait_and_are_answered(start):
    server = start(fast_boot_s=3.0, slow_boot_s=3.0)
    wait_logged(server, "Booting worker")
    answers = concurrent_gets(server, seconds=2.0, every=0.1)
    assert answers and all(outcome.startswith("200 ") for _, outcome in answers), answers
    assert max(s for s, _ in answers) >= 1.0  # they were made while no worker could answer


def test_boot_reload_keeps_every_connection_answered(start):
    server = start(fast_boot_s=0.0, slow_boot_s=3.0)
    old = pids_answering(server, 2, timeout=START_TIMEOUT_S)
    assert len(old) == 2
    os.kill(server.process.pid, signal.SIGHUP)  # new workers boot (3 s each), the old ones stop
    answers = concurrent_gets(server, seconds=2.5, every=0.05)
    assert answers and all(outcome.startswith("200 ") for _, outcome in answers), answers
    new = pids_answering(server, 2, timeout=START_TIMEOUT_S)
    assert len(new) == 2 and not new & old


def test_boot_sigterm_lets_a_request_in_flight_finish(start):
    server = start(fast_boot_s=0.0, slow_boot_s=0.0)
    assert len(pids_answering(server, 2, timeout=START_TIMEOUT_S)) == 2
    results: list[tuple[float, str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(timed_get(server, path="/slow")))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # every request is inside a worker, for 1 s
    server.process.terminate()  # SIGTERM to the master: a graceful stop
    for thread in threads:
        thread.join(CALL_TIMEOUT_S + 5)
    assert [outcome[:3] for _, outcome in results] == ["200"] * 4, results
    assert server.process.wait(timeout=START_TIMEOUT_S) == 0
