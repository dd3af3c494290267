"""`python -m loadtests.check_results` on crafted CSVs in Locust 2.47's stats format."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from loadtests import check_results

# The header Locust 2.47 writes to <prefix>_stats.csv (test_loadtests_run checks a real one).
LOCUST_STATS_HEADER = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time",
    "Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
    "Requests/s", "Failures/s", "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%",
    "99.9%", "99.99%", "100%",
]  # fmt: skip
THRESHOLD_VARS = ("LOADTEST_MAX_FAILURES", "LOADTEST_MAX_AVG_MS", "LOADTEST_MAX_CACHED_P95_MS")


def stats_row(method: str, name: str, reqs: int, fails: int, avg: float, p95: int) -> list[str]:
    """Build a row the way Locust writes it: numbers unquoted, percentiles as integers."""
    percentiles = [max(p95 // 2, 1)] * 5 + [p95] * 6
    numbers = [reqs, fails, max(p95 // 2, 1), avg, 1, p95 * 2, 2541.0, 3.4, 0.0]
    return [method, name, *map(str, numbers), *map(str, percentiles)]


def write_stats(directory: Path, rows: list[list[str]], total: list[str]) -> Path:
    path = directory / "run_stats.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerows([LOCUST_STATS_HEADER, *rows, total])
    return path


@pytest.fixture(autouse=True)
def default_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in THRESHOLD_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fast_csv(tmp_path: Path) -> Path:
    rows = [
        stats_row("GET", "/api/v1/clients/", 300, 0, 4.2, 8),
        stats_row("POST", "/api/v1/clients/7/verify", 100, 0, 30.5, 45),
        stats_row("GET", "/api/v1/clients/search?q=Esperanza", 200, 0, 3.1, 6),
        stats_row("GET", "/api/v1/internet-plans/", 100, 0, 2.0, 4),
    ]
    return write_stats(tmp_path, rows, stats_row("", "Aggregated", 700, 0, 8, 30))


def test_main_fast_clean_run_exits_zero(fast_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_results.main([str(fast_csv)]) == 0
    out = capsys.readouterr().out
    assert "RESULT: PASS" in out
    assert "/api/v1/clients/7/verify" in out


def test_main_failed_requests_exit_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [stats_row("GET", "/api/v1/clients/", 50, 2, 4.0, 8)]
    path = write_stats(tmp_path, rows, stats_row("", "Aggregated", 50, 2, 4.0, 8))
    assert check_results.main([str(path)]) == 1
    assert "2 failed request(s) of 50 (limit 0)" in capsys.readouterr().out


def test_main_slow_cached_exits_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [stats_row("GET", "/api/v1/internet-plans/", 50, 0, 6.0, 12)]
    path = write_stats(tmp_path, rows, stats_row("", "Aggregated", 50, 0, 6.0, 12))
    assert check_results.main([str(path)]) == 1
    assert "p95 of GET /api/v1/internet-plans/ is 12 ms (limit 10 ms)" in capsys.readouterr().out


def test_main_slow_average_exits_one(tmp_path: Path) -> None:
    rows = [stats_row("POST", "/api/v1/clients/7/verify", 50, 0, 51.0, 90)]
    path = write_stats(tmp_path, rows, stats_row("", "Aggregated", 50, 0, 51.0, 90))
    assert check_results.main([str(path)]) == 1


def test_main_off_disables_latency_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOADTEST_MAX_AVG_MS", "off")
    monkeypatch.setenv("LOADTEST_MAX_CACHED_P95_MS", "")
    rows = [stats_row("GET", "/api/v1/clients/", 50, 0, 400.0, 900)]
    path = write_stats(tmp_path, rows, stats_row("", "Aggregated", 50, 0, 400.0, 900))
    assert check_results.main([str(path)]) == 0


def test_main_zero_request_row_with_na_percentiles_is_read(tmp_path: Path) -> None:
    idle = ["GET", "/api/v1/internet-plans/", "0", "0", "0", "0.0", "0", "0", "0.0", "0.0", "0.0"]
    rows = [stats_row("GET", "/api/v1/clients/", 10, 0, 4.0, 8), idle + ["N/A"] * 11]
    path = write_stats(tmp_path, rows, stats_row("", "Aggregated", 10, 0, 4.0, 8))
    assert check_results.main([str(path)]) == 0


def test_main_exceptions_csv_beside_stats_fails(fast_csv: Path) -> None:
    exceptions = fast_csv.with_name("run_exceptions.csv")
    exceptions.write_text('Count,Message,Traceback,Nodes\n3,"boom","Traceback ...",local\n')
    assert check_results.main([str(fast_csv)]) == 1


def test_main_missing_file_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_results.main([str(tmp_path / "absent_stats.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_main_not_a_locust_csv_exits_two(tmp_path: Path) -> None:
    path = tmp_path / "other_stats.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert check_results.main([str(path)]) == 2


def test_main_invalid_threshold_exits_two(fast_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOADTEST_MAX_AVG_MS", "fast")
    assert check_results.main([str(fast_csv)]) == 2


def test_read_stats_separates_aggregated_row(fast_csv: Path) -> None:
    rows, total = check_results.read_stats(fast_csv)
    assert rows[0].name == "/api/v1/clients/" and len(rows) == 4
    assert (total.name, total.requests, total.p95_ms) == ("Aggregated", 700, 30)
