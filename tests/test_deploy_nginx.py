"""The production stack on this machine: nginx (deploy/) -> gunicorn (gunicorn.conf.py) -> sandbox.

Requests come from 127.0.0.2 so that the address nginx sees differs from the one gunicorn sees
(nginx connects from 127.0.0.1): the app must log the former.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.support.billing import PNG, suspended_debtors
from tests.support.sandbox import SandboxProcess
from tests.support.servers import ROOT, GunicornServer, NginxServer, call, free_port

pytestmark = pytest.mark.slow

API_KEY = "nginx-test-key-1"
AUTH = {"X-API-Key": API_KEY}
CALLER = "127.0.0.2"
INSTALL_TIMEOUT_SECONDS = 300
VERIFY_BODY = b'{"address": "BELLAVISTA", "internet_plan_price": 40000.0}'
JSON = {**AUTH, "Content-Type": "application/json"}
MB = 1024 * 1024


def _nginx_binary() -> str:
    """Return nginx's path, installing it when we are root; skip the module otherwise."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip(
            "nginx is not installed and installing it needs root "
            "(run deploy/install-nginx.sh as root)"
        )
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "install-nginx.sh")],
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        capture_output=True,
    )
    if result.returncode != 0:
        pytest.fail(f"deploy/install-nginx.sh failed:\n{result.stdout}{result.stderr}")
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        pytest.fail("deploy/install-nginx.sh ran but no nginx binary was found")
    return found


@dataclass
class Stack:
    """The running servers of this module."""

    nginx_binary: str
    sandbox: SandboxProcess
    gunicorn: GunicornServer
    nginx: NginxServer

    def get(self, path: str, **headers: str):
        """GET ``path`` through nginx from the caller address."""
        return call(self.nginx.port, "GET", path, headers={**AUTH, **headers}, source=CALLER)

    def app_request_lines(self) -> list[dict]:
        """Return the app's per-request log lines."""
        return [e for e in self.gunicorn.log_entries() if e.get("logger") == "wisphub_api.request"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """Run sandbox, gunicorn (2 workers) and nginx for this module; stop them all afterwards."""
    binary = _nginx_binary()
    logs = tmp_path_factory.mktemp("nginx-stack")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        gunicorn = GunicornServer(
            logs,
            {
                "WEB_CONCURRENCY": "2",
                "WISPHUB_NET_HOST": sandbox.url,
                "WISPHUB_NET_KEY": sandbox.api_key,
                "WISPHUB_INTERNAL_API_KEY": API_KEY,
                "APP_ENV": "development",
                "TRUSTED_PROXY_COUNT": "1",
                "CACHE_TYPE": "SimpleCache",
                "PROMETHEUS_MULTIPROC_DIR": str(logs / "metrics"),
                "LOG_LEVEL": "INFO",
            },
        )
        nginx = NginxServer(logs / "nginx", f"127.0.0.1:{gunicorn.port}")
        try:
            gunicorn.start()
            nginx.start(binary)
            yield Stack(binary, sandbox, gunicorn, nginx)
        finally:
            nginx.stop()  # first, so its idle upstream connections do not delay gunicorn
            gunicorn.stop()


def test_nginx_original_scenario_calls_answer_200(stack):
    answers = [
        stack.get("/api/v1/clients/"),
        stack.get("/api/v1/clients/search?q=Esperanza"),
        call(
            stack.nginx.port,
            "POST",
            "/api/v1/clients/7/verify",
            headers=JSON,
            body=VERIFY_BODY,
            source=CALLER,
        ),
        stack.get("/api/v1/internet-plans/"),
    ]
    assert [a.status for a in answers] == [200, 200, 200, 200]
    assert answers[0].json() and answers[3].json()
    assert set(answers[2].json()) == {"is_valid", "matched_fields", "message"}


def test_nginx_request_id_sent_comes_back_and_is_logged(stack):
    answer = stack.get("/api/v1/internet-plans/", **{"X-Request-ID": "bot-7.conv_42"})
    assert answer.status == 200
    assert answer.headers["X-Request-ID"] == "bot-7.conv_42"
    logged = [e for e in stack.app_request_lines() if e["request_id"] == "bot-7.conv_42"]
    assert [e["route"] for e in logged] == ["/api/v1/internet-plans/"]


def test_nginx_invalid_request_id_is_replaced_by_a_valid_one(stack):
    answer = stack.get("/api/v1/internet-plans/", **{"X-Request-ID": 'bad id" {with} spaces'})
    assert answer.status == 200
    given = answer.headers["X-Request-ID"]
    assert given and "bad" not in given
    assert all(c.isalnum() or c in "._-" for c in given)


def test_nginx_compresses_json_only_when_asked(stack):
    zipped = stack.get("/api/v1/clients/", **{"Accept-Encoding": "gzip"})
    plain = stack.get("/api/v1/clients/", **{"Accept-Encoding": "identity"})
    assert (zipped.status, plain.status) == (200, 200)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert plain.headers.get("Content-Encoding") is None
    assert gzip.decompress(zipped.body) == plain.body


def test_nginx_app_logs_the_callers_address_not_a_spoofed_one(stack):
    answer = stack.get(
        "/api/v1/internet-plans/",
        **{"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6", "X-Request-ID": "spoof-check"},
    )
    assert answer.status == 200
    logged = [e for e in stack.app_request_lines() if e["request_id"] == "spoof-check"]
    assert [e["remote_addr"] for e in logged] == [CALLER]


def test_nginx_refuses_a_body_over_64_kb_with_json_413(stack):
    body = b'{"address": "' + b"x" * 70_000 + b'"}'
    answer = call(
        stack.nginx.port,
        "POST",
        "/api/v1/clients/7/verify",
        headers={**JSON, "X-Request-ID": "too-big"},
        body=body,
        source=CALLER,
    )
    assert answer.status == 413
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["code"] == "payload_too_large"
    assert answer.headers["X-Request-ID"] == "too-big"
    # nginx answered alone: the app never saw the request.
    assert not [e for e in stack.app_request_lines() if e["request_id"] == "too-big"]


def _report(stack: Stack, invoice_id: int, receipt_bytes: int, request_id: str):
    """POST a payment report whose PNG receipt has ``receipt_bytes`` bytes, through nginx."""
    receipt = (PNG * (receipt_bytes // len(PNG) + 1))[:receipt_bytes]
    form = {
        "payment_method_id": "9",
        "paid_at": (date.today() - timedelta(days=2)).isoformat(),  # past in any time zone
        "receipt": FileStorage(io.BytesIO(receipt), filename="receipt.png"),
    }
    boundary, body = encode_multipart(form)
    headers = {
        **AUTH,
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Request-ID": request_id,
    }
    path = f"/api/v1/invoices/{invoice_id}/payment-reports"
    return call(stack.nginx.port, "POST", path, headers=headers, body=body, source=CALLER)


def _seen_by_the_app(stack: Stack, request_id: str) -> bool:
    return any(e["request_id"] == request_id for e in stack.app_request_lines())


@pytest.fixture(scope="module")
def pending_invoice(stack) -> int:
    """Return the id of a pending invoice of a client who owes, as the sandbox lists it."""
    row = suspended_debtors(stack.sandbox)[0]
    saldo = stack.sandbox.get(f"/api/clientes/{row['id_servicio']}/saldo").json()
    return int(saldo["facturas"][0]["id_factura"])


def test_nginx_passes_a_3_mb_receipt_to_the_api(stack, pending_invoice):
    answer = _report(stack, pending_invoice, 3 * MB, "receipt-3mb")
    assert answer.status == 202, answer.body[:300]
    assert answer.json() == {"invoice_id": pending_invoice, "status": "pending_review"}
    assert _seen_by_the_app(stack, "receipt-3mb")
    [sent] = [r for r in stack.sandbox.billing()["reports"] if r["id_factura"] == pending_invoice]
    assert sent["archivo"]["bytes"] == 3 * MB


def test_nginx_lets_the_api_refuse_a_receipt_over_its_own_limit(stack, pending_invoice):
    answer = _report(stack, pending_invoice, 5 * MB + 512 * 1024, "receipt-5.5mb")
    assert answer.status == 413
    assert answer.json()["code"] == "receipt_too_large"  # the API's answer, not nginx's
    assert _seen_by_the_app(stack, "receipt-5.5mb")


def test_nginx_refuses_an_oversized_receipt_with_its_json_413(stack, pending_invoice):
    answer = _report(stack, pending_invoice, 7 * MB, "receipt-7mb")
    assert answer.status == 413
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["code"] == "payload_too_large"
    assert answer.headers["X-Request-ID"] == "receipt-7mb"
    assert not _seen_by_the_app(stack, "receipt-7mb")


def test_nginx_keeps_the_small_limit_beside_the_receipt_route(stack):
    body = b'{"until": "' + b"x" * 100_000 + b'"}'
    path = "/api/v1/clients/7/payment-promises"  # a payment write, but not the receipt route
    headers = {**JSON, "X-Request-ID": "big-json"}
    answer = call(stack.nginx.port, "POST", path, headers=headers, body=body, source=CALLER)
    assert (answer.status, answer.json()["code"]) == (413, "payload_too_large")
    assert not _seen_by_the_app(stack, "big-json")


def test_nginx_serves_metrics_to_loopback_only(stack):
    local = call(stack.nginx.port, "GET", "/metrics")  # from 127.0.0.1: allowed
    other = call(stack.nginx.port, "GET", "/metrics", source=CALLER)  # not in the allow list
    assert local.status == 200
    assert b"wisphub_api_http_requests_total" in local.body
    assert other.status == 403
    assert other.json()["code"] == "forbidden"


def test_nginx_unreachable_api_answers_json_502(stack, tmp_path):
    dead = NginxServer(tmp_path / "dead", f"127.0.0.1:{free_port()}")
    try:
        dead.start(stack.nginx_binary)
        answer = call(dead.port, "GET", "/api/v1/clients/", headers=AUTH)
    finally:
        dead.stop()
    assert answer.status == 502
    assert answer.json()["code"] == "bad_gateway"
    assert answer.headers["X-Request-ID"]


def test_nginx_unreachable_api_answers_a_receipt_with_json_502(stack, tmp_path):
    dead = NginxServer(tmp_path / "dead", f"127.0.0.1:{free_port()}")
    try:
        dead.start(stack.nginx_binary)
        answer = _report(Stack(stack.nginx_binary, stack.sandbox, stack.gunicorn, dead), 1, MB, "r")
    finally:
        dead.stop()
    # Its error page is not refused for the receipt's length (an HTML 413 there).
    assert (answer.status, answer.json()["code"]) == (502, "bad_gateway")


def test_nginx_logs_hold_no_document_phone_or_key(stack):
    clients = stack.get("/api/v1/clients/").json()
    person = next(c for c in clients if c["document"] and c["phone"])
    phone = "".join(ch for ch in person["phone"].split(",")[0] if ch.isdigit())[-10:]
    assert stack.get(f"/api/v1/clients/by-document/{quote(person['document'])}").status == 200
    assert stack.get(f"/api/v1/clients/by-phone/{phone}").status == 200
    assert stack.get(f"/api/v1/clients/search?q={phone}").status == 200
    stack.get("/api/v1/clients/by-phone/3001234567", **{"X-API-Key": "wrong-key-123456789"})
    logs = "".join(
        [
            stack.gunicorn.logs(),
            stack.nginx.stdout_path.read_text(),
            stack.nginx.stderr_path.read_text(),
        ]
    )
    assert "by-document" in logs  # the lines are there, without their values
    secrets = [
        person["document"],
        phone,
        "3001234567",
        API_KEY,
        "wrong-key-123456789",
        *(c["document"] for c in clients[:50] if c["document"]),
    ]
    assert [s for s in secrets if s in logs] == []
