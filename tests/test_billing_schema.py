"""Schemathesis over the billing operations of /openapi.json, in process, backed by the sandbox.

The same checks as test_reliability_schema.py, over the seven billing operations (payment
promises enabled, so that the route runs). Three rules of the contract depend on the day and
on WispHub's data, which JSON Schema cannot say: a promise's ``until`` within the next
PAYMENT_PROMISE_MAX_DAYS days, a receipt whose content is a JPEG, PNG or PDF, and a payment
method WispHub has. A generated "positive" case gets values that keep those rules (the rest of
it stays as generated); negative cases are sent as generated.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import Failure, FailureGroup

from tests.conftest import AUTH
from tests.support.billing import all_rows, keep_billing_rules, promise_dates, services_of
from tests.test_reliability_schema import (
    CHECKS,
    IDENTITY,
    NO_BODY_STATUSES,
    WITHOUT_KEY_EVERY,
    FuzzReport,
    _check_name,
    _summary,
)
from wisphub_api import create_app
from wisphub_api.config import config_for_tests

EXAMPLES_PER_MODE = 50
BILLING_OPERATIONS = {
    "GET /api/v1/clients/{service_id}/balance",
    "GET /api/v1/clients/{service_id}/invoices",
    "GET /api/v1/invoices/{invoice_id}/pdf",
    "GET /api/v1/payment-methods/",
    "GET /api/payment-methods/",
    "POST /api/v1/clients/{service_id}/payment-promises",
    "POST /api/v1/invoices/{invoice_id}/payment-reports",
}
MEDIA_TYPES = {"GET /api/v1/invoices/{invoice_id}/pdf": "application/pdf"}


def _existing_invoice(case: Any, invoice_ids: list[int]) -> None:
    """Name an invoice that exists in every other case (a generated id almost never does)."""
    if "{invoice_id}" in case.operation.label and invoice_ids and case.path_parameters:
        if len(invoice_ids) % 2:
            case.path_parameters["invoice_id"] = invoice_ids[-1]
        invoice_ids.pop()


def _judge(report: FuzzReport, case: Any, response: Any, headers: dict[str, str]) -> None:
    status = response.status_code
    for check in CHECKS:
        try:
            case.validate_response(response, checks=[check], headers=headers)
        except (FailureGroup, Failure) as error:
            report.fail(_check_name(check, status), case, status, error)
    content_type = ";".join(response.headers.get("content-type", []))
    expected = MEDIA_TYPES.get(case.operation.label, "application/json")
    if status >= 400:
        expected = "application/json"
    if status not in NO_BODY_STATUSES and not content_type.startswith(expected):
        report.not_json.append(f"{status} {case.operation.label}: {content_type}")


def _fuzz(
    report: FuzzReport,
    operation: Any,
    mode: GenerationMode,
    app: Any,
    sandbox: Any,
    invoice_ids: list[int],
) -> None:
    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        report.cases += 1
        with_key = report.cases % WITHOUT_KEY_EVERY != 0
        report.without_key += not with_key
        if mode is GenerationMode.POSITIVE:
            _existing_invoice(case, invoice_ids)
            keep_billing_rules(case, until=promise_dates(app, sandbox)["valid"])
        headers = {**(AUTH if with_key else {}), **IDENTITY}
        response = case.call(headers=headers)
        report.by_operation[operation.label] += 1
        report.statuses[(operation.label, with_key, response.status_code)] += 1
        _judge(report, case, response, headers)

    with contextlib.suppress(Unsatisfiable):
        run()


@pytest.fixture(scope="module")
def fuzz(sandbox) -> Iterator[FuzzReport]:
    sandbox.reset()
    app = create_app(
        config_for_tests(
            WISPHUB_NET_HOST=sandbox.url,
            WISPHUB_NET_KEY=sandbox.api_key,
            PAYMENT_PROMISES_ENABLED=True,
        )
    )
    client = app.test_client()
    for path in ("/api/v1/clients/", "/api/v1/payment-methods/"):
        assert client.get(path, headers=AUTH).status_code == 200
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    report = FuzzReport()
    pending = all_rows(sandbox, "/api/facturas/", {"estado": 1})  # this month's, by default
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label not in BILLING_OPERATIONS:
            continue
        responses = schema.raw_schema["paths"][operation.path][operation.method.lower()]
        report.documented[operation.label] = {int(s) for s in responses["responses"] if s.isdigit()}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            invoice_ids = [row["id_factura"] for row in pending[: EXAMPLES_PER_MODE * 2]]
            _fuzz(report, operation, mode, app, sandbox, invoice_ids)
    yield report
    services_of(app).close()
    sandbox.reset()  # generated promises and reports changed invoices upstream


def test_fuzz_covers_every_billing_operation(fuzz):
    assert set(fuzz.by_operation) == BILLING_OPERATIONS
    assert fuzz.cases >= 500


def test_fuzz_reaches_the_billing_handlers(fuzz):
    keyed = {(op, status) for (op, with_key, status) in fuzz.statuses if with_key}
    answered = {op for op, status in keyed if status in (200, 201, 202)}
    assert answered == BILLING_OPERATIONS


def test_fuzz_without_a_key_is_refused(fuzz):
    unkeyed = {status for (_, with_key, status) in fuzz.statuses if not with_key}
    assert unkeyed == {401}
    assert fuzz.failures["ignored_auth"] == []


def test_fuzz_never_answers_a_server_error(fuzz):
    assert not [key for key in fuzz.statuses if key[2] >= 500]
    assert fuzz.failures["not_a_server_error"] == []


def test_fuzz_every_status_is_documented(fuzz):
    undocumented = {
        (op, status) for (op, _, status) in fuzz.statuses if status not in fuzz.documented[op]
    }
    assert undocumented == set()
    failures = fuzz.failures["status_code_conformance"]
    assert failures == [], _summary(failures)


def test_fuzz_every_answer_has_its_documented_media_type(fuzz):
    assert fuzz.not_json == []
    assert fuzz.failures["content_type_conformance"] == []
    assert fuzz.failures["response_headers_conformance"] == []


@pytest.mark.parametrize(
    "check",
    [
        "response_schema_conformance:success",
        "response_schema_conformance:error",
        "negative_data_rejection",
        "positive_data_acceptance",
    ],
)
def test_fuzz_answers_and_refusals_are_as_documented(fuzz, check):
    assert fuzz.failures[check] == [], _summary(fuzz.failures[check])
