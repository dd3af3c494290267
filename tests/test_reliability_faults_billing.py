"""The fault matrix of the billing routes: reads stale when warm, clean 5xx when cold; safe writes.

Warm: balance, invoices and payment methods are loaded, WispHub Net breaks, their TTLs pass,
and each keeps answering 200 with the same data, marked STALE. Cold: each answers a JSON
502/503/504 within the upstream budget (the invoice PDF, never cached, too). Writes under a
fault fail cleanly: WispHub records nothing, and nothing is sent twice.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import AUTH
from tests.support.billing import PNG, billing_app, promise_dates, suspended_debtors
from tests.test_reliability_faults import COLD_STATUS, FAST, TTL_PASSED, break_upstream, budget

BILLING_FAST = {**FAST, "INVOICES_CACHE_TTL": 1, "PAYMENT_METHODS_CACHE_TTL": 1}
COLD = {**COLD_STATUS, "rate_limited": 503}
FAULTS = list(COLD)
# Faults that leave a read's own upstream answer intact (the sandbox changes list rows only):
# its refresh succeeds, so it may answer HIT or MISS, with the same data.
SPARED = {
    ("payment-methods", "missing_fields"),
    ("payment-methods-alias", "missing_fields"),
}
# The PDF is the one route where WispHub's 403 is ours to answer: the key lacks a permission.
# It is no list, so faults of list rows and counts leave it whole.
PDF_COLD = {**COLD, "forbidden": 403, "missing_fields": 200, "short_count": 200}


@dataclass(frozen=True)
class Read:
    """One billing read route."""

    name: str
    path: str


@pytest.fixture(scope="module")
def target(sandbox):
    """Return a suspended client who owes (service id ending in 0: missing_fields strips it)."""
    sandbox.reset()
    rows = [r for r in suspended_debtors(sandbox) if r["id_servicio"] % 10 == 0]
    row = rows[0]
    invoice = sandbox.get(f"/api/clientes/{row['id_servicio']}/saldo").json()["facturas"][0]
    return row, invoice


@pytest.fixture(scope="module")
def reads(target):
    service_id = target[0]["id_servicio"]
    return [
        Read("balance", f"/api/v1/clients/{service_id}/balance"),
        Read("invoices", f"/api/v1/clients/{service_id}/invoices?status=all"),
        Read("payment-methods", "/api/v1/payment-methods/"),
        Read("payment-methods-alias", "/api/payment-methods/"),
    ]


def fault_app(make_app, sandbox, **overrides):
    return billing_app(make_app, sandbox, **{**BILLING_FAST, **overrides})


def assert_upstream_error(answer, status):
    assert answer.status_code == status
    assert answer.is_json and set(answer.json) == {"detail", "code"}
    assert answer.json["code"].startswith("upstream")


@pytest.mark.parametrize("mode", FAULTS)
def test_warm_billing_reads_serve_stale_when_upstream_fails(make_app, sandbox_clean, reads, mode):
    app = fault_app(make_app, sandbox_clean)
    client = app.test_client()
    good = {read.name: client.get(read.path, headers=AUTH) for read in reads}
    assert all(answer.status_code == 200 for answer in good.values())
    break_upstream(app, sandbox_clean, mode)
    time.sleep(TTL_PASSED)
    for read in reads:
        answer = client.get(read.path, headers=AUTH)
        assert answer.status_code == 200, read.name
        assert answer.get_data() == good[read.name].get_data(), read.name
        spared = (read.name, mode) in SPARED
        assert answer.headers["X-Cache"] in ({"HIT", "MISS"} if spared else {"STALE"}), read.name


@pytest.mark.parametrize("mode", FAULTS)
def test_cold_billing_reads_answer_json_5xx_within_budget(
    make_app, sandbox_clean, reads, target, mode
):
    app = fault_app(make_app, sandbox_clean, CIRCUIT_FAILURE_THRESHOLD=1000)
    client = app.test_client()
    break_upstream(app, sandbox_clean, mode)
    limit = budget()
    pdf = Read("pdf", f"/api/v1/invoices/{target[1]['id_factura']}/pdf")
    for read in [*reads, pdf]:
        started = time.monotonic()
        answer = client.get(read.path, headers=AUTH)
        elapsed = time.monotonic() - started
        assert elapsed < limit, f"{read.name} took {elapsed:.2f} s, budget {limit} s"
        if (read.name, mode) in SPARED:
            assert answer.status_code == 200
        elif read.name == "pdf":
            assert answer.status_code == PDF_COLD[mode], mode
            assert answer.is_json == (answer.status_code != 200)
        else:
            assert_upstream_error(answer, COLD[mode])
        if mode == "rate_limited" and answer.status_code == 503:
            assert int(answer.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("mode", ["error", "stall", "down"])
def test_cold_billing_reads_heal_once_upstream_returns(make_app, sandbox_clean, reads, mode):
    app = fault_app(make_app, sandbox_clean)
    client = app.test_client()
    sandbox_clean.fault(mode)
    assert client.get(reads[0].path, headers=AUTH).status_code in (502, 503, 504)
    sandbox_clean.fault("ok")
    time.sleep(FAST["CIRCUIT_RESET_SECONDS"])  # the directory's circuit lets one probe through
    for read in reads:
        assert client.get(read.path, headers=AUTH).status_code == 200, read.name


# -- writes ----------------------------------------------------------------------------------
WRITE_FAULTS = ["error", "down", "forbidden", "rate_limited", "stall"]
WRITE_STATUS = {"error": 503, "down": 503, "forbidden": 502, "rate_limited": 503, "stall": 504}


def _report(app, invoice_id, key):
    boundary, data = encode_multipart(
        {
            "receipt": FileStorage(io.BytesIO(PNG), filename="r.png"),
            "payment_method_id": "9",
            "paid_at": app.extensions["wisphub_api.services"].billing.calendar.today().isoformat(),
        }
    )
    return app.test_client().post(
        f"/api/v1/invoices/{invoice_id}/payment-reports",
        data=data,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={**AUTH, "Idempotency-Key": key},
    )


def _promise(app, sandbox, service_id, key):
    until = promise_dates(app, sandbox)["valid"].isoformat()
    return app.test_client().post(
        f"/api/v1/clients/{service_id}/payment-promises",
        json={"until": until},
        headers={**AUTH, "Idempotency-Key": key},
    )


def _warm_app(make_app, sandbox, service_id):
    """Return an app with the client, its balance and the payment methods loaded."""
    app = fault_app(make_app, sandbox)
    client = app.test_client()
    assert client.get(f"/api/v1/clients/{service_id}/balance", headers=AUTH).status_code == 200
    assert client.get("/api/v1/payment-methods/", headers=AUTH).status_code == 200
    return app


@pytest.mark.parametrize("mode", WRITE_FAULTS)
def test_billing_writes_under_a_fault_fail_cleanly_and_are_sent_once(
    make_app, sandbox_clean, target, mode
):
    row, invoice = target
    service_id = row["id_servicio"]
    # One app per write: a 429 pauses every later call of the app that met it.
    promising, reporting = (_warm_app(make_app, sandbox_clean, service_id) for _ in range(2))
    write_paths = ("/api/promesa-pago/", "/api/facturas/reportar-pago/")
    sandbox_clean.reset_stats()
    sandbox_clean.fault(mode, path=write_paths[0])
    promised = _promise(promising, sandbox_clean, service_id, f"promise-{mode}")
    sandbox_clean.fault(mode, path=write_paths[1])
    reported = _report(reporting, invoice["id_factura"], f"report-{mode}")
    sandbox_clean.fault("ok")  # a stalled write goes on now: it was sent, and may land
    for answer in (promised, reported):
        assert_upstream_error(answer, WRITE_STATUS[mode])
    calls = sandbox_clean.stats()["by_path"]
    assert sum(n for path, n in calls.items() if path.startswith(write_paths)) == 2  # no retry
    if mode != "stall":  # answered before the view: WispHub applied nothing
        assert sandbox_clean.billing()["promises"] == sandbox_clean.billing()["reports"] == []
        shown = promising.test_client().get(
            f"/api/v1/clients/by-service-id/{service_id}", headers=AUTH
        )
        assert shown.json["service_status"] == "Suspendido"
