"""Billing writes seen by every gunicorn worker: a promise's reactivation, a report's review.

gunicorn with two gevent workers over the default embedded store. Reads use fresh connections,
so both workers answer some of them; each worker had cached the data before the write.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.support.billing import PNG, sandbox_today, suspended_debtors
from tests.support.sandbox import SandboxProcess
from tests.support.servers import Answer, GunicornServer, call
from wisphub_api.services.calendar import TenantCalendar, time_zone

pytestmark = pytest.mark.slow

API_KEY = "billing-workers-key"
HEADERS = {"X-API-Key": API_KEY}
READS = 12  # fresh connections per check: both workers answer some
DEADLINE = 10.0  # seconds a write may take to show everywhere (STATE_POLL_SECONDS is 0.2)


@dataclass
class Stack:
    api: GunicornServer
    sandbox: SandboxProcess

    def get(self, path: str) -> Answer:
        return call(self.api.port, "GET", path, headers=HEADERS)

    def post(self, path: str, body: bytes, content_type: str) -> Answer:
        headers = {**HEADERS, "Content-Type": content_type}
        return call(self.api.port, "POST", path, headers=headers, body=body)

    def everywhere(self, path: str, check) -> bool:
        return all(check(self.get(path).json()) for _ in range(READS))


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("billing-workers")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        env = {
            "WEB_CONCURRENCY": "2",
            "APP_ENV": "development",
            "WISPHUB_NET_HOST": sandbox.url,
            "WISPHUB_NET_KEY": sandbox.api_key,
            "WISPHUB_INTERNAL_API_KEY": API_KEY,
            "STATE_DIR": str(logs / "state"),
            "PAYMENT_PROMISES_ENABLED": "true",
        }
        api = GunicornServer(logs, env).start()
        try:
            yield Stack(api, sandbox)
        finally:
            api.stop()


def shown_within(stack: Stack, path: str, check) -> float:
    """Return how long after now every read of ``path`` passed ``check``."""
    started = time.monotonic()
    while not stack.everywhere(path, check):
        assert time.monotonic() - started < DEADLINE, f"{path} never showed the write everywhere"
    return time.monotonic() - started


def test_a_promise_reactivates_the_client_in_every_worker(stack):
    row = suspended_debtors(stack.sandbox)[0]
    service_id = row["id_servicio"]
    lookup = f"/api/v1/clients/by-service-id/{service_id}"
    assert stack.everywhere(lookup, lambda c: c["service_status"] == "Suspendido")
    today = max(TenantCalendar(time_zone("America/Bogota")).today(), sandbox_today(stack.sandbox))
    body = json.dumps({"until": (today + timedelta(days=1)).isoformat()}).encode()
    answer = stack.post(f"/api/v1/clients/{service_id}/payment-promises", body, "application/json")
    assert answer.status == 201 and answer.json()["service_reactivated"] is True
    shown_within(stack, lookup, lambda c: c["service_status"] == "Activo")
    balance = f"/api/v1/clients/{service_id}/balance"
    assert stack.everywhere(balance, lambda b: b["service_status"] == "Activo")


def test_a_payment_report_shows_in_review_in_every_worker(stack):
    row = suspended_debtors(stack.sandbox)[1]
    service_id = row["id_servicio"]
    invoices = f"/api/v1/clients/{service_id}/invoices"
    listed = stack.get(invoices).json()
    assert stack.everywhere(invoices, lambda i: i == listed)  # cached by both workers
    invoice_id = listed[-1]["invoice_id"]
    boundary, body = encode_multipart(
        {
            "receipt": FileStorage(io.BytesIO(PNG), filename="r.png"),
            "payment_method_id": "8",
            "paid_at": TenantCalendar(time_zone("America/Bogota")).today().isoformat(),
        }
    )
    answer = stack.post(
        f"/api/v1/invoices/{invoice_id}/payment-reports",
        body,
        f"multipart/form-data; boundary={boundary}",
    )
    assert answer.status == 202, answer.body

    def in_review(found: list[dict]) -> bool:
        return {i["invoice_id"]: i["status"] for i in found}[invoice_id] == "in_review"

    shown_within(stack, invoices, in_review)
