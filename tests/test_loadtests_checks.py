"""Status and body-shape checks that decide whether a load-test request failed."""

from __future__ import annotations

import json

import pytest

from loadtests.common import checks

CLIENT = {"service_id": 7, "name": "Esperanza Benitez", "address": "VDA BELLAVISTA"}
PLAN = {"plan_id": 1, "name": "10 Mbps", "type": "PPPoE"}
VERIFIED = {"is_valid": True, "matched_fields": ["address"], "message": "Identity verified"}


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_client_list_non_empty_list_of_clients_passes() -> None:
    assert checks.client_list([CLIENT, {**CLIENT, "service_id": 8}]) is None


@pytest.mark.parametrize(
    "value,problem",
    [
        ({"clients": []}, "client list is not a JSON list"),
        ([], "client list is empty"),
        ([CLIENT, "x"], "client 1 is not an object"),
        ([{"name": "A"}], "client 0 lacks service_id"),
    ],
)
def test_client_list_wrong_shape_is_described(value: object, problem: str) -> None:
    assert checks.client_list(value) == problem


def test_client_list_problem_never_echoes_values() -> None:
    problem = checks.client_list([{"document": "123456789", "name": "Secret Name"}])
    assert problem is not None
    assert "123456789" not in problem and "Secret" not in problem


def test_search_results_empty_list_is_a_correct_answer() -> None:
    assert checks.search_results([]) is None
    assert checks.search_results([CLIENT]) is None


def test_search_results_not_a_list_fails() -> None:
    assert checks.search_results({"results": [CLIENT]}) == "search answer is not a JSON list"


def test_verification_passed_valid_answer_passes() -> None:
    assert checks.verification_passed(VERIFIED) is None


@pytest.mark.parametrize(
    "value",
    [
        {**VERIFIED, "is_valid": False},
        {**VERIFIED, "is_valid": "true"},
        {"is_valid": True},
        [VERIFIED],
    ],
)
def test_verification_passed_anything_but_a_valid_answer_fails(value: object) -> None:
    assert checks.verification_passed(value) is not None


def test_plan_list_requires_plan_fields() -> None:
    assert checks.plan_list([PLAN]) is None
    assert checks.plan_list([]) == "plan list is empty"
    assert checks.plan_list([{"plan_id": 1, "name": "x"}]) == "plan 0 lacks type"


def test_response_problem_wrong_status_is_reported_before_shape() -> None:
    assert checks.response_problem(500, body([CLIENT]), 200, checks.client_list) == (
        "status 500, expected 200"
    )


def test_response_problem_non_json_body_fails() -> None:
    problem = checks.response_problem(200, b"<html>", 200, checks.client_list)
    assert problem == "body is not JSON"


def test_response_problem_refuses_what_strict_json_refuses() -> None:
    # The decoder is stricter than the standard library's: NaN, bad UTF-8 and an empty body fail.
    for raw in (b"[NaN]", b'["\xff"]', b"", None):
        assert checks.response_problem(200, raw, 200, checks.plan_list) == "body is not JSON"


def test_response_problem_right_status_and_shape_passes() -> None:
    assert checks.response_problem(200, body([PLAN]), 200, checks.plan_list) is None
