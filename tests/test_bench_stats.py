"""The pure parsers of benchmarks/: Locust's stats CSV, sandbox counters, access log, machine."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

from benchmarks import machine, stats
from benchmarks.stack import processes

# The header Locust 2.47 writes to <prefix>_stats.csv.
HEADER = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time",
    "Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
    "Requests/s", "Failures/s", "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%",
    "99.9%", "99.99%", "100%",
]  # fmt: skip


def csv_text(*rows: list[object]) -> str:
    """Write rows under Locust's header the way Locust does."""
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue()


def row(
    method: str,
    name: str,
    reqs: int,
    fails: int,
    rps: float,
    p50: object,
    p95: object,
    p99: object,
    top: object,
) -> list[object]:
    """Build one stats row; the percentiles not under test repeat p50."""
    return [
        method,
        name,
        reqs,
        fails,
        p50,
        3.25,
        1.0,
        top,
        120.0,
        rps,
        0.0,
        p50,
        p50,
        p50,
        p50,
        p50,
        p95,
        p99,
        p99,
        top,
        top,
        top,
    ]


def request_line(route: str, duration_ms: float, status: int = 200) -> str:
    """Build one of the API's JSON request lines."""
    return json.dumps(
        {
            "ts": "x",
            "level": "INFO",
            "logger": "wisphub_api.request",
            "method": "GET",
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
        }
    )


def test_parse_stats_csv_endpoint_and_total_rows_split() -> None:
    text = csv_text(
        row("GET", "/a", 90, 1, 15.5, 2, 8, 12, 40),
        row("", "Aggregated", 90, 1, 15.5, 2, 8, 12, 40),
    )
    rows, total = stats.parse_stats_csv(text)
    assert [(r.method, r.name, r.requests, r.failures) for r in rows] == [("GET", "/a", 90, 1)]
    assert (total.name, total.rps, total.p50_ms, total.p95_ms, total.p99_ms, total.max_ms) == (
        "Aggregated",
        15.5,
        2.0,
        8.0,
        12.0,
        40.0,
    )


def test_parse_stats_csv_na_percentiles_become_none() -> None:
    text = csv_text(
        row("GET", "/a", 0, 0, 0.0, "N/A", "N/A", "N/A", "N/A"),
        row("", "Aggregated", 0, 0, 0.0, "N/A", "N/A", "N/A", "N/A"),
    )
    _rows, total = stats.parse_stats_csv(text)
    assert (total.p50_ms, total.p95_ms, total.p99_ms, total.max_ms) == (None, None, None, None)


def test_parse_stats_csv_without_aggregated_row_raises() -> None:
    with pytest.raises(stats.StatsError, match="Aggregated"):
        stats.parse_stats_csv(csv_text(row("GET", "/a", 1, 0, 1.0, 2, 2, 2, 2)))


def test_parse_stats_csv_foreign_csv_raises() -> None:
    with pytest.raises(stats.StatsError):
        stats.parse_stats_csv("Type,Name\nGET,/a\n")


def test_read_stats_csv_missing_file_raises(tmp_path) -> None:
    with pytest.raises(stats.StatsError, match="cannot read"):
        stats.read_stats_csv(tmp_path / "absent_stats.csv")


def test_route_of_numeric_segments_and_query_templated() -> None:
    templated = stats.route_of("/api/plan-internet/pppoe/439219/?x=1")
    assert templated == "/api/plan-internet/pppoe/{id}/"
    assert stats.route_of("/api/v1/clients/search?q=7") == "/api/v1/clients/search"


def test_upstream_delta_new_calls_grouped_by_route() -> None:
    before = {"total": 5, "by_path": {"/api/clientes/": 5}}
    after = {
        "total": 9,
        "by_path": {
            "/api/clientes/": 6,
            "/api/plan-internet/pppoe/11/": 2,
            "/api/plan-internet/pppoe/12/": 1,
        },
    }
    delta = stats.upstream_delta(before, after)
    assert delta.total == 4
    assert delta.by_path == {"/api/clientes/": 1, "/api/plan-internet/pppoe/{id}/": 3}


def test_upstream_delta_unchanged_counters_empty() -> None:
    counters = {"total": 3, "by_path": {"/api/clientes/": 3}}
    assert stats.upstream_delta(counters, counters) == stats.UpstreamCalls(0, {})


def test_add_upstream_phases_summed_by_route() -> None:
    total = stats.add_upstream(
        [stats.UpstreamCalls(2, {"/a": 2}), stats.UpstreamCalls(3, {"/a": 1, "/b": 2})]
    )
    assert (total.total, dict(total.by_path)) == (5, {"/a": 3, "/b": 2})


def test_percentile_nearest_rank_picks_ranked_value() -> None:
    values = list(range(1, 101))
    assert (
        stats.percentile(values, 0.5),
        stats.percentile(values, 0.95),
        stats.percentile(values, 1.0),
        stats.percentile([7], 0.99),
    ) == (50, 95, 100, 7)


def test_server_timings_request_lines_summarised_per_route() -> None:
    lines = [request_line("/api/v1/clients/", ms) for ms in range(1, 21)]
    lines += [
        request_line("/api/v1/clients/<service_id>/verify", 3.25),
        "not json",
        '{"logger": "gunicorn.error", "message": "Booting worker"}',
    ]
    timings = stats.server_timings(lines)
    assert set(timings) == {"/api/v1/clients/", "/api/v1/clients/{id}/verify"}
    assert timings["/api/v1/clients/{id}/verify"].max_ms == 3.25
    assert stats.route_of("/api/v1/clients/7/verify") in timings
    clients = timings["/api/v1/clients/"]
    assert (clients.count, clients.p50_ms, clients.p95_ms, clients.p99_ms, clients.max_ms) == (
        20,
        10,
        19,
        20,
        20,
    )


def test_cpu_model_first_model_name_returned() -> None:
    cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: Other\n"
    assert machine.cpu_model(cpuinfo) == "AMD EPYC 7B13"
    assert machine.cpu_model("processor : 0\n") == "unknown"


def test_mem_total_gib_kib_converted() -> None:
    assert machine.mem_total_gib("MemTotal:       24684096 kB\nMemFree: 1 kB\n") == 23.5
    assert machine.mem_total_gib("") == 0.0


def test_busy_seconds_idle_iowait_and_steal_excluded() -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    line = f"cpu  {ticks} 0 {ticks} {50 * ticks} {ticks} 0 0 {ticks} 0 0\ncpu0 1 2 3 4 5 6 7 8\n"
    assert processes.busy_seconds(line) == 2.0
    assert processes.busy_seconds("intr 1 2 3\n") == 0.0


def test_locust_cpu_warned_warning_line_detected() -> None:
    warning = "[2026] vm/WARNING/root: CPU usage above 90%! This may constrain your throughput"
    assert stats.locust_cpu_warned(f"Starting Locust\n{warning}\n")
    assert not stats.locust_cpu_warned("Starting Locust\nShutting down (exit code 0)\n")
