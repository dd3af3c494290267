"""The billing user of the locust suite: its tasks, weights, grouped names and checks.

Inspected in a subprocess, as test_loadtests_classes.py does (importing locust here would patch
pytest's interpreter).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.test_loadtests_classes import INSPECT, LOCUSTFILES, ROOT

BILLING = LOCUSTFILES / "billing.py"
INVOICE = {
    "invoice_id": 1,
    "issued_on": "2026-04-01",
    "due_on": "2026-04-11",
    "total": 1.0,
    "balance": 1.0,
    "status": "pending",
    "period": None,
}
BALANCE = {
    "service_id": 7,
    "outstanding_balance": 40000.0,
    "payment_status": "Pagadas",
    "service_status": "Activo",
    "cut_off_date": None,
    "pending_invoices": [INVOICE],
}
SAMPLES = {
    "balance_answer": [
        BALANCE,
        {**BALANCE, "pending_invoices": [{"invoice_id": 1}]},
        {**BALANCE, "outstanding_balance": "40000"},
        [],
        {"service_id": 7},
    ],
    "invoice_list": [[INVOICE], [], {"invoices": []}, [{"invoice_id": 1}]],
    "payment_method_list": [[{"payment_method_id": 7, "name": "Efectivo"}], [], [{"id": 7}]],
    "no_usernames": [{"code": "invoices_unavailable", "detail": "x"}, {"code": "nothing_owed"}],
}
CHECK = r"""
import json, sys
import locust
from locust.util.load_locustfile import load_locustfile
import importlib.util
spec = importlib.util.spec_from_file_location("billing_locustfile", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
samples = json.loads(sys.argv[2])
print(json.dumps({name: [getattr(module, name)(body) for body in bodies]
                  for name, bodies in samples.items()}))
"""


def _run(script: str, *args: str) -> Any:
    env = {"WISPHUB_API_KEY": "probe-key", "LOADTEST_HOST": "http://api.test:9", "PATH": ""}
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def user() -> dict[str, Any]:
    return _run(INSPECT, str(BILLING))["billing.py"]["users"]["BillingUser"]


def test_billing_user_mix_and_wait(user):
    assert {name: t["weight"] for name, t in user["tasks"].items()} == {
        "balance": 4,
        "pending_invoices": 3,
        "invoice_history": 1,
        "payment_methods": 2,
    }
    assert user["wait"] == {"kind": "between", "min_wait": 1, "max_wait": 3}
    assert (user["key"], user["host"]) == ("probe-key", "http://api.test:9")


def test_billing_user_reads_only_and_groups_its_urls(user):
    calls = {name: t["calls"] for name, t in user["tasks"].items()}
    assert all(c["method"] == "GET" for cs in calls.values() for c in cs)
    assert {c["name"] for c in calls["balance"]} == {"/api/v1/clients/[id]/balance"}
    assert {c["check"] for c in calls["balance"]} == {"balance_answer"}
    assert {c["name"] for c in calls["pending_invoices"]} == {"/api/v1/clients/[id]/invoices"}
    history = calls["invoice_history"]
    assert {c["name"] for c in history} == {"/api/v1/clients/[id]/invoices?status=all&months=12"}
    assert calls["payment_methods"] == [
        {
            "method": "GET",
            "path": "/api/v1/payment-methods/",
            "name": "/api/v1/payment-methods/",
            "check": "payment_method_list",
        }
    ]
    ids = {int(c["path"].split("/")[4]) for c in calls["balance"] + calls["pending_invoices"]}
    assert len(ids) > 10 and ids <= set(range(1, 201))


def test_billing_checks_pass_good_bodies_and_name_what_is_wrong():
    results = _run(CHECK, str(BILLING), json.dumps(SAMPLES))
    assert results["balance_answer"] == [
        None,
        "pending invoice 0 lacks issued_on, due_on, total, balance, status, period",
        "outstanding_balance is not a number",
        "balance answer is not a JSON object",
        "balance lacks outstanding_balance, payment_status, service_status, cut_off_date, "
        "pending_invoices",
    ]
    assert results["invoice_list"] == [
        None,
        None,
        "invoice list is not a JSON list",
        "invoice 0 lacks issued_on, due_on, total, balance, status, period",
    ]
    assert results["no_usernames"] == [None, "a 409 other than invoices_unavailable"]
    assert results["payment_method_list"] == [
        None,
        "payment method list is empty",
        "payment method 0 lacks payment_method_id, name",
    ]
