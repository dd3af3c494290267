"""The support user class, run step by step in a subprocess against a scripted fake API.

Importing locust here would patch pytest with gevent, so a subprocess loads the locustfile the
way `locust -f` does, gives the user a fake HTTP client that answers from a script and records
what was sent and how each answer was judged, and runs one conversation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "loadtests" / "locustfiles" / "support.py"

RUN = r"""
import json, random, sys
import locust
from locust.env import Environment
from locust.exception import InterruptTaskSet
from locust.util.load_locustfile import load_locustfile

script = json.loads(sys.argv[2])
users, _ = load_locustfile(sys.argv[1])
module = sys.modules[users["SupportUser"].__module__]
module.time.sleep = lambda seconds: None
sent = []

class Answer:
    def __init__(self, status, body):
        self.status_code, self.content, self.judged = status, json.dumps(body).encode(), None
    def success(self): self.judged = "success"
    def failure(self, why): self.judged = "failure: " + why
    def __enter__(self): return self
    def __exit__(self, *exc): sent[-1]["judged"] = self.judged

class FakeClient:
    headers = {}
    def request(self, method, path, name=None, json=None, headers=None, **_):
        kind = ("lookup" if "by-service-id" in path else "start" if path.endswith("/diagnostics")
                else "read" if "/diagnostics/" in path else "ticket")
        status, body = script[kind].pop(0) if len(script[kind]) > 1 else script[kind][0]
        sent.append({"kind": kind, "method": method, "path": path, "name": name, "json": json,
                     "headers": headers or {}})
        return Answer(status, body)

random.seed(1)
user = users["SupportUser"](Environment())
user.on_start()
user.client = FakeClient()
conversation = user.tasks[0](user)
try:
    for step in conversation.tasks:
        step(conversation)
except InterruptTaskSet:
    sent.append({"kind": "end"})
print(json.dumps(sent))
"""

CLIENT = (200, {"service_id": 42, "zone_id": 7, "name": "X"})
STARTED = (202, {"diagnostic_id": "d" * 32, "status": "pending"})
PENDING = (200, {"diagnostic_id": "d" * 32, "status": "pending", "verdict": "pending",
                 "known_outage": False})  # fmt: skip
TICKET = (201, {"ticket_id": 9, "service_id": 42, "status": "new", "priority": "high"})


def done(verdict: str, known_outage: bool | None = False) -> tuple[int, dict[str, Any]]:
    return 200, {"diagnostic_id": "d" * 32, "status": "done", "verdict": verdict,
                 "known_outage": known_outage}  # fmt: skip


def converse(**script: list[Any]) -> list[dict[str, Any]]:
    """Run one conversation against ``script`` (answers by kind); return what was sent."""
    answers = {"lookup": [CLIENT], "start": [STARTED], "read": [done("no_internet")],
               "ticket": [TICKET], **script}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOADTEST_", "LOCUST_"))}
    env |= {"WISPHUB_API_KEY": "probe-key", "LOADTEST_HOST": "http://api.test:9"}
    proc = subprocess.run(
        [sys.executable, "-c", RUN, str(LOCUSTFILE), json.dumps(answers)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def kinds(sent: list[dict[str, Any]]) -> list[str]:
    return [request["kind"] for request in sent]


def test_a_line_that_is_down_gets_a_ticket_with_an_idempotency_key():
    sent = converse()
    assert kinds(sent) == ["lookup", "start", "read", "ticket", "end"]
    lookup, start, read, ticket = sent[:4]
    service_id = int(lookup["path"].rsplit("/", 1)[1])
    assert (lookup["method"], lookup["name"]) == ("GET", "/api/v1/clients/by-service-id/[id]")
    assert (start["method"], start["path"]) == ("POST", f"/api/v1/clients/{service_id}/diagnostics")
    assert start["json"] == {"pings": 4} and start["name"] == "/api/v1/clients/[id]/diagnostics"
    assert (read["path"], read["name"]) == (
        f"/api/v1/diagnostics/{'d' * 32}",
        "/api/v1/diagnostics/[id]",
    )
    assert ticket["method"] == "POST" and ticket["path"] == "/api/v1/tickets"
    assert (
        ticket["json"]["service_id"] == service_id and ticket["json"]["subject"] == "Sin Internet"
    )
    assert ticket["headers"]["Idempotency-Key"].startswith("loadtest-")
    assert {request["judged"] for request in sent[:4]} == {"success"}


@pytest.mark.parametrize("result", [done("stable"), done("no_internet", known_outage=True)])
def test_no_ticket_when_the_equipment_answers_or_an_outage_is_known(result):
    assert kinds(converse(read=[result])) == ["lookup", "start", "read", "end"]


def test_a_pending_diagnostic_is_read_until_it_ends():
    sent = converse(read=[PENDING, PENDING, done("antenna_only")])
    assert kinds(sent) == ["lookup", "start", "read", "read", "read", "ticket", "end"]


def test_a_known_outage_refusal_is_a_correct_answer():
    refusal = (409, {"detail": "A known outage affects this service.", "code": "known_outage"})
    assert converse(ticket=[refusal])[3]["judged"] == "success"


@pytest.mark.parametrize(
    ("kind", "answer", "why"),
    [("lookup", (500, {"detail": "x", "code": "internal_error"}), "status 500"),
     ("start", (200, {"status": "pending"}), "lacks diagnostic_id"),
     ("read", (200, {"diagnostic_id": "d", "status": "done", "verdict": "maybe",
                     "known_outage": False}), "unknown verdict"),
     ("ticket", (409, {"detail": "x", "code": "idempotency_in_progress"}), "lacks ticket_id")],
)  # fmt: skip
def test_wrong_answers_are_failures_that_name_no_values(kind, answer, why):
    judged = next(r["judged"] for r in converse(**{kind: [answer]}) if r["kind"] == kind)
    assert judged.startswith("failure") and why in judged
