"""Schemathesis over /openapi.json: generated requests to every route, in process, no server.

One fuzz run (positive and negative cases for every operation, over 1,000 in all, one in five
without the bot key) feeds every test below; each test judges one promise of the OpenAPI
document against what the app really answered. The app is backed by the sandbox (no latency).
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    Failure,
    FailureGroup,
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import AUTH
from tests.support.billing import keep_billing_rules
from wisphub_api import create_app
from wisphub_api.config import config_for_tests

# Per operation and generation mode; 12 operations x 2 modes, less what cannot vary (GET /health
# has no parameter to negate), is well over 1,000 cases.
EXAMPLES_PER_MODE = 60
MIN_CASES = 1000
WITHOUT_KEY_EVERY = 5  # one case in five is sent without the bot key
CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    ignored_auth,
]
NO_BODY_STATUSES = {204, 304}
# Schemathesis' WSGI transport offers gzip but does not decode it: ask for plain bodies.
IDENTITY = {"Accept-Encoding": "identity"}


@dataclass
class FuzzReport:
    """What the generated requests got: counts, statuses and failures by check."""

    cases: int = 0
    without_key: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, bool, int]] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    not_json: list[str] = field(default_factory=list)
    documented: dict[str, set[int]] = field(default_factory=dict)

    def fail(self, name: str, case: Any, status: int, error: BaseException) -> None:
        """Record one failed check with a short, reproducible description."""
        inner = error.exceptions[0] if isinstance(error, FailureGroup) else error
        message = str(getattr(inner, "message", inner)).strip().replace("\n", " ")
        self.failures[name].append(
            f"{status} {case.operation.label}: "
            f"{getattr(inner, 'title', '')}: {message[:200]}\n"
            f"  {case.as_curl_command()}"
        )


def _check_name(check: Callable[..., Any], status: int) -> str:
    if check is response_schema_conformance:
        return f"{check.__name__}:{'error' if status >= 400 else 'success'}"
    return check.__name__


def _judge(report: FuzzReport, case: Any, response: Any, headers: dict[str, str]) -> None:
    """Run every check on one answer, one at a time so that each failure is attributed."""
    status = response.status_code
    for check in CHECKS:
        try:
            case.validate_response(response, checks=[check], headers=headers)
        except (FailureGroup, Failure) as error:
            report.fail(_check_name(check, status), case, status, error)
    content_type = ";".join(response.headers.get("content-type", []))
    if status not in NO_BODY_STATUSES and not content_type.startswith("application/json"):
        report.not_json.append(f"{status} {case.operation.label}")


def _fuzz_operation(report: FuzzReport, operation: Any, mode: GenerationMode) -> None:
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
        headers = {**(AUTH if with_key else {}), **IDENTITY}
        if mode is GenerationMode.POSITIVE:
            keep_billing_rules(case)  # what only the day and WispHub's data make valid
        response = case.call(headers=headers)
        report.by_operation[operation.label] += 1
        report.statuses[(operation.label, with_key, response.status_code)] += 1
        _judge(report, case, response, headers)

    with contextlib.suppress(Unsatisfiable):  # nothing to negate (no parameter, no body)
        run()


@pytest.fixture(scope="module")
def fuzz(sandbox) -> Iterator[FuzzReport]:
    """Fuzz every operation of a warm app backed by the sandbox; restore the sandbox after."""
    sandbox.reset()
    app = create_app(
        config_for_tests(WISPHUB_NET_HOST=sandbox.url, WISPHUB_NET_KEY=sandbox.api_key)
    )
    client = app.test_client()
    for path in ("/api/v1/clients/", "/api/v1/internet-plans/"):  # warm: /health/ready is 200
        assert client.get(path, headers=AUTH).status_code == 200
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    report = FuzzReport()
    for result in schema.get_all_operations():
        operation = result.ok()
        responses = schema.raw_schema["paths"][operation.path][operation.method.lower()]
        report.documented[operation.label] = {int(s) for s in responses["responses"] if s.isdigit()}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(report, operation, mode)
    yield report
    app.extensions["wisphub_api.services"].close()
    sandbox.reset()  # generated PUTs changed clients upstream


def _summary(failures: list[str], limit: int = 5) -> str:
    return f"{len(failures)} failures, e.g.:\n" + "\n".join(failures[:limit])


def test_fuzz_generates_over_1000_cases_over_every_operation(fuzz):
    assert fuzz.cases >= MIN_CASES
    assert len(fuzz.by_operation) == len(fuzz.documented) >= 12  # every documented operation
    assert 0.15 <= fuzz.without_key / fuzz.cases <= 0.25


def test_fuzz_keyed_cases_reach_the_handlers(fuzz):
    keyed = {(op, status): n for (op, with_key, status), n in fuzz.statuses.items() if with_key}
    handled = sum(n for (_, status), n in keyed.items() if status != 401)
    assert handled >= 0.6 * sum(keyed.values())
    answered_200 = {op for (op, status) in keyed if status == 200}
    assert {
        "GET /api/v1/clients/search",
        "POST /api/v1/clients/{service_id}/verify",
        "PUT /api/v1/clients/{service_id}",
    } <= answered_200


def test_fuzz_cases_without_a_key_are_refused(fuzz):
    unkeyed = {(op, status) for (op, with_key, status) in fuzz.statuses if not with_key}
    assert {
        status for op, status in unkeyed if op.startswith(("GET /api", "POST /api", "PUT /api"))
    } == {401}
    assert fuzz.failures["ignored_auth"] == [], _summary(fuzz.failures["ignored_auth"])


def test_fuzz_never_answers_a_server_error(fuzz):
    assert not [key for key in fuzz.statuses if key[2] >= 500]
    assert fuzz.failures["not_a_server_error"] == []


def test_fuzz_every_status_is_documented(fuzz):
    # Explicitly, not only through the catch-all "default" response.
    undocumented = {
        (op, status) for (op, _, status) in fuzz.statuses if status not in fuzz.documented[op]
    }
    assert undocumented == set()
    assert fuzz.failures["status_code_conformance"] == [], _summary(
        fuzz.failures["status_code_conformance"]
    )


def test_fuzz_every_answer_is_json_as_documented(fuzz):
    assert fuzz.not_json == []
    assert fuzz.failures["content_type_conformance"] == []
    assert fuzz.failures["response_headers_conformance"] == []


def test_fuzz_success_bodies_match_the_documented_schema(fuzz):
    failures = fuzz.failures["response_schema_conformance:success"]
    assert failures == [], _summary(failures)


def test_fuzz_invalid_requests_are_refused(fuzz):
    failures = fuzz.failures["negative_data_rejection"]
    assert failures == [], _summary(failures)


def test_fuzz_error_bodies_match_the_documented_schema(fuzz):
    failures = fuzz.failures["response_schema_conformance:error"]
    assert failures == [], _summary(failures)


def test_fuzz_valid_requests_are_accepted(fuzz):
    failures = fuzz.failures["positive_data_acceptance"]
    assert failures == [], _summary(failures)
