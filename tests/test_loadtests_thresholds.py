"""Threshold logic of the load tests, on crafted numbers (no Locust in this process)."""

from __future__ import annotations

import pytest

from loadtests.common import config
from loadtests.common.report import render
from loadtests.common.thresholds import (
    EndpointStats,
    Thresholds,
    evaluate,
    exceeds,
    is_cached_route,
)


def row(
    name: str,
    method: str = "GET",
    *,
    requests: int = 100,
    failures: int = 0,
    avg: float = 5.0,
    p95: float | None = 8.0,
) -> EndpointStats:
    return EndpointStats(method, name, requests, failures, avg, p95)


def total(*, requests: int = 100, failures: int = 0, avg: float = 5.0) -> EndpointStats:
    return row("Aggregated", "", requests=requests, failures=failures, avg=avg, p95=9.0)


def test_exceeds_value_over_limit_is_true() -> None:
    assert exceeds(10.5, 10)
    assert not exceeds(10, 10)


def test_exceeds_disabled_limit_is_never_exceeded() -> None:
    assert not exceeds(1e9, None)
    assert not exceeds(None, 10)


@pytest.mark.parametrize(
    "method,name",
    [
        ("GET", "/api/v1/clients/"),
        ("GET", "/api/v1/clients/search?q=Esperanza"),
        ("GET", "/api/v1/clients/search?q=[term]"),
        ("GET", "/api/v1/internet-plans/"),
        ("GET", "/api/clients/"),
        ("get", "/api/internet-plans"),
    ],
)
def test_is_cached_route_list_search_and_plans_are_cached(method: str, name: str) -> None:
    assert is_cached_route(method, name)


@pytest.mark.parametrize(
    "method,name",
    [
        ("POST", "/api/v1/clients/7/verify"),
        ("GET", "/api/v1/clients/by-document/123"),
        ("POST", "/api/v1/clients/"),
        ("", "Aggregated"),
        ("GET", "/health"),
    ],
)
def test_is_cached_route_other_routes_are_not_cached(method: str, name: str) -> None:
    assert not is_cached_route(method, name)


def test_evaluate_fast_clean_run_passes() -> None:
    rows = [row("/api/v1/clients/"), row("/api/v1/clients/7/verify", "POST", p95=40.0)]
    verdict = evaluate(rows, total(), Thresholds())
    assert verdict.passed
    assert all(r.passed for r in verdict.rows) and verdict.total.passed


def test_evaluate_one_failure_fails_with_default_limit() -> None:
    rows = [row("/api/v1/clients/", failures=1), row("/api/v1/internet-plans/")]
    verdict = evaluate(rows, total(failures=1), Thresholds())
    assert not verdict.passed
    assert [r.passed for r in verdict.rows] == [False, True]
    assert "1 failed request(s) of 100 (limit 0)" in verdict.problems


def test_evaluate_failures_within_raised_limit_pass() -> None:
    rows = [row("/api/v1/clients/", failures=3)]
    assert evaluate(rows, total(failures=3), Thresholds(max_failures=3)).passed
    assert not evaluate(rows, total(failures=4), Thresholds(max_failures=3)).passed


def test_evaluate_average_over_limit_fails_on_total_row() -> None:
    verdict = evaluate([row("/api/v1/clients/")], total(avg=50.1), Thresholds())
    assert not verdict.passed
    assert not verdict.total.passed
    assert verdict.problems == ("average response time 50.1 ms over all requests (limit 50 ms)",)


def test_evaluate_slow_cached_p95_fails_only_that_row() -> None:
    rows = [row("/api/v1/clients/", p95=11.0), row("/api/v1/internet-plans/", p95=10.0)]
    verdict = evaluate(rows, total(), Thresholds())
    assert [r.passed for r in verdict.rows] == [False, True]
    assert verdict.problems == ("p95 of GET /api/v1/clients/ is 11 ms (limit 10 ms)",)


def test_evaluate_slow_verify_is_not_gated_by_cached_p95() -> None:
    rows = [row("/api/v1/clients/7/verify", "POST", p95=45.0)]
    assert evaluate(rows, total(), Thresholds()).passed


def test_evaluate_disabled_limits_ignore_slow_numbers() -> None:
    limits = Thresholds(max_failures=0, max_avg_ms=None, max_cached_p95_ms=None)
    verdict = evaluate([row("/api/v1/clients/", p95=900.0)], total(avg=700.0), limits)
    assert verdict.passed


def test_evaluate_no_requests_fails() -> None:
    verdict = evaluate([], total(requests=0, avg=0.0), Thresholds(None, None, None))
    assert not verdict.passed
    assert verdict.problems == ("no requests were made",)


def test_evaluate_exceptions_in_user_code_fail() -> None:
    verdict = evaluate([row("/api/v1/clients/")], total(), Thresholds(), exceptions=2)
    assert verdict.problems == ("2 exception(s) raised in user code",)


@pytest.mark.parametrize("raw", ["off", "OFF", " off ", "", "none"])
def test_parse_limit_off_or_empty_disables(raw: str) -> None:
    assert config.parse_limit(raw, 50) is None


def test_parse_limit_unset_keeps_default_and_number_is_parsed() -> None:
    assert config.parse_limit(None, 50) == 50
    assert config.parse_limit("12.5", 50) == 12.5


@pytest.mark.parametrize("raw", ["-1", "fast", "nan"])
def test_parse_limit_invalid_value_raises(raw: str) -> None:
    with pytest.raises(ValueError, match="threshold"):
        config.parse_limit(raw, 50)


def test_thresholds_environment_overrides_and_disables() -> None:
    env = {"LOADTEST_MAX_FAILURES": "5", "LOADTEST_MAX_AVG_MS": "off"}
    expected = Thresholds(max_failures=5, max_avg_ms=None, max_cached_p95_ms=10)
    assert config.thresholds(env) == expected


def test_thresholds_defaults_match_the_original_check() -> None:
    assert config.thresholds({}) == Thresholds(max_failures=0, max_avg_ms=50, max_cached_p95_ms=10)


def test_thresholds_invalid_variable_names_it() -> None:
    with pytest.raises(ValueError, match="LOADTEST_MAX_CACHED_P95_MS"):
        config.thresholds({"LOADTEST_MAX_CACHED_P95_MS": "quick"})


def test_render_failed_run_lists_rows_limits_and_reasons() -> None:
    rows = [row("/api/v1/clients/", p95=12.0)]
    text = render(evaluate(rows, total(), Thresholds(max_avg_ms=None)), Thresholds(max_avg_ms=None))
    assert "/api/v1/clients/" in text and "Aggregated" in text
    assert "average <= off" in text
    reason = "  - p95 of GET /api/v1/clients/ is 12 ms (limit 10 ms)"
    assert text.splitlines()[-2:] == ["RESULT: FAIL", reason]
