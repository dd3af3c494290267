"""The Markdown report of benchmarks/bench.py, rendered from crafted numbers, and its plans."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks import bench, report
from benchmarks.machine import Machine
from benchmarks.phases import ColdWarm, CpuUse, LocustPlan, PhaseResult
from benchmarks.stats import EndpointRow, ServerTiming, UpstreamCalls
from loadtests.common.thresholds import Thresholds

MACHINE = Machine(
    "Test CPU 9000",
    2,
    23.5,
    "Linux 6",
    "3.11.7",
    "27.0.1",
    "26.9.0",
    "2.47.0",
    "0.10 / 0.20 / 0.30",
    "2026-01-02 03:04 UTC",
)
IDLE = CpuUse(locust=30.0, api=20.0, sandbox=0.5, machine=51.0, wall=60.0)


def endpoint(
    name: str,
    requests: int,
    rps: float,
    p95: float,
    method: str = "GET",
    failures: int = 0,
    avg: float = 2.0,
) -> EndpointRow:
    """Build a stats row whose other percentiles derive from p95."""
    return EndpointRow(method, name, requests, failures, rps, avg, p95 / 2, p95, p95 * 2, p95 * 3)


def phase(
    key: str,
    rows: list[EndpointRow],
    upstream: int = 0,
    cpu: CpuUse = IDLE,
    user_class: str = "WispHubAPIUser",
    path: str = "",
) -> PhaseResult:
    """Build a phase result with a total that adds up its rows."""
    total = EndpointRow(
        "",
        "Aggregated",
        sum(r.requests for r in rows),
        sum(r.failures for r in rows),
        sum(r.rps for r in rows),
        max(r.avg_ms for r in rows),
        1.0,
        max(r.p95_ms or 0 for r in rows),
        9.0,
        12.0,
    )
    plan = LocustPlan(
        key, key.title(), "x.py", 50, 60, user_class, {"BENCH_PATH": path} if path else {}
    )
    server = {"/api/v1/clients/": ServerTiming(len(rows), 0, 1, 2, 5)}
    by_path = {"/api/clientes/": upstream} if upstream else {}
    return PhaseResult(plan, tuple(rows), total, UpstreamCalls(upstream, by_path), server, cpu, 0)


def ceiling(client: str, path: str, rps: float) -> PhaseResult:
    """Build a no-wait phase of one path."""
    return phase(
        f"ceiling-{path}", [endpoint(path, int(rps * 20), rps, 5.0)], user_class=client, path=path
    )


def result(**overrides) -> report.BenchResult:
    """Build a whole bench result: two load phases, a ceiling of two paths, one cold path."""
    fields = dict(
        machine=MACHINE,
        command="python -m benchmarks.bench",
        settings={"Workers": "2"},
        startup_upstream=UpstreamCalls(34, {"/api/clientes/": 10}),
        load=[
            phase(
                "original-low",
                [
                    endpoint("/api/v1/clients/", 1000, 10.0, 4.0),
                    endpoint("/api/v1/clients/7/verify", 300, 3.0, 30.0, method="POST"),
                ],
                upstream=2,
            )
        ],
        ceiling=[
            ceiling("FastPathUser", "/health", 1000.0),
            ceiling("FastPathUser", "/api/v1/internet-plans/", 800.0),
        ],
        cold=[ColdWarm("/api/v1/clients/", 4200.0, "MISS", 6.0, 20, 5)],
        limits=Thresholds(),
    )
    fields.update(overrides)
    return report.BenchResult(**fields)


def test_render_summary_totals_and_upstream_calls_listed() -> None:
    text = report.render(result())
    summary = "13 req/s, 0 failures, p95 30 ms, p99 9 ms (server p95 ≤ 1 ms)"
    assert f"| Original-Low | {summary} |" in text
    # Upstream calls are set against every Locust phase's requests, the ceiling's included.
    assert f"2 for {1300 + 20000 + 16000:,} API requests" in text
    assert "| CPU | Test CPU 9000 |" in text


def test_render_cold_request_ratio_shown() -> None:
    text = report.render(result())
    assert "4,200 ms against 6.0 ms (700 times)" in text
    assert "| GET /api/v1/clients/ | 4,200 ms | MISS | 5 | 6.0 ms (20 HITs) | 700 times |" in text


def test_ratio_cell_cached_rps_over_bare_rps() -> None:
    bench_result = result()
    assert report.ratio_cell(bench_result, "/api/v1/internet-plans/", "FastPathUser") == "80%"
    assert report.ratio_cell(bench_result, "/api/v1/internet-plans/", "RequestsPathUser") == "—"


def test_verdict_slow_cached_route_fails_and_fast_passes() -> None:
    fast = phase("original-low", [endpoint("/api/v1/clients/", 100, 5.0, 4.0)])
    slow = phase("original-low", [endpoint("/api/v1/clients/", 100, 5.0, 40.0)])
    assert report.verdict(fast, Thresholds()) == "PASS"
    assert "p95 of GET /api/v1/clients/ is 40 ms" in report.verdict(slow, Thresholds())


def test_phase_section_server_timing_beside_locust_numbers() -> None:
    lines = report.phase_section(result().load[0], Thresholds(), judged=True)
    clients = next(line for line in lines if line.startswith("| GET /api/v1/clients/ |"))
    assert clients.endswith("| 0 / 1 / 2 |")
    verify = next(line for line in lines if line.startswith("| POST /api/v1/clients/7/verify"))
    assert verify.endswith("| — |")
    assert any(line.startswith("Thresholds (") and line.endswith("**PASS**") for line in lines)


def test_render_busy_machine_note_added() -> None:
    busy = CpuUse(locust=30.0, api=20.0, sandbox=0.0, machine=110.0, wall=60.0)
    noisy = result(load=[phase("original-low", [endpoint("/a", 10, 1.0, 1.0)], cpu=busy)])
    assert "other processes used the CPU during 1 of the 3 phases" in report.render(noisy)
    assert "other processes used the CPU" not in report.render(result())


def test_cpu_use_others_never_negative() -> None:
    assert CpuUse(locust=2.0, api=2.0, sandbox=0.0, machine=3.0, wall=1.0).others == 0.0


def test_locust_plan_command_class_csv_and_spawn_rate() -> None:
    plan = LocustPlan("k", "t", "f.py", 500, 60, "WispHubAPIUser")
    command = plan.command("http://127.0.0.1:1", bench.ROOT / "results" / "k")
    assert command[3:6] == ["-f", "f.py", "WispHubAPIUser"]
    assert command[command.index("-r") + 1] == "100"
    assert str(bench.ROOT / "results" / "k") in command
    assert LocustPlan("k", "t", "f.py", 5, 60).spawn_rate == 10.0


def test_ceiling_plans_one_run_per_client_and_path() -> None:
    args = bench.parse_args(["--duration", "30", "--clients", "fast"])
    plans = bench.ceiling_plans(args)
    assert [p.env["BENCH_PATH"] for p in plans] == list(bench.CEILING_PATHS)
    assert {(p.user_class, p.duration_s) for p in plans} == {("FastPathUser", 10)}


@pytest.mark.parametrize("argv", [["--duration", "5"], ["--clients", "curl"]])
def test_parse_args_bad_values_rejected(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(argv)


def test_phase_section_locust_saturation_explained() -> None:
    busy = phase("original-high", [endpoint("/api/v1/clients/", 100, 5.0, 4.0)])
    saturated = dataclasses.replace(busy, locust_saturated=True)
    assert any(
        "Locust warned" in line
        for line in report.phase_section(saturated, Thresholds(), judged=False)
    )
    assert not any(
        "Locust warned" in line for line in report.phase_section(busy, Thresholds(), judged=False)
    )


def test_phase_section_cpu_per_request_computed() -> None:
    text = "\n".join(report.phase_section(result().load[0], Thresholds(), judged=False))
    # IDLE: Locust 30 s and API 20 s of CPU for 1,300 requests.
    assert "CPU per request: Locust 23.1 ms, API 15.4 ms." in text


def test_summary_rows_api_cost_per_request_of_each_ceiling_path() -> None:
    rows = dict(map(tuple, report.summary_rows(result())))
    # IDLE: 20 s of API CPU over 20,000 (/health) and 16,000 (plans) requests.
    assert rows["API CPU per request at the ceiling"] == "health 1.0 ms, internet-plans 1.2 ms"
    assert rows["Cached routes, share of the bare ceiling"] == "internet-plans 80%"


def test_parse_args_phases_chosen_and_unknown_refused() -> None:
    args = bench.parse_args(["--phases", "saturation,saturation-redis"])
    assert args.phases == ["saturation", "saturation-redis"]
    assert bench.parse_args([]).phases == list(bench.PHASES)
    assert "wrk" not in bench.parse_args(["--no-saturation"]).phases
    with pytest.raises(SystemExit):
        bench.parse_args(["--phases", "saturation,everything"])


def test_redis_plans_are_the_chosen_plans_once_more() -> None:
    args = bench.parse_args([])
    simple = {p.key: p for p in bench.load_plans(args)}
    redis = {p.key: p for p in bench.redis_plans(args)}
    pairs = {"original-cores-redis": "original-cores", "saturation-redis": "saturation"}
    assert set(redis) == set(pairs)
    for key, base in pairs.items():
        plan, source = redis[key], simple[base]
        read = (plan.locustfile, plan.users, plan.processes)
        assert read == (source.locustfile, source.users, source.processes)
        assert plan.title.startswith(source.title) and "Redis" in plan.title
    only = bench.parse_args(["--phases", "saturation-redis"])
    assert [p.key for p in bench.redis_plans(only)] == ["saturation-redis"]
    assert bench.redis_plans(bench.parse_args(["--phases", "original-low"])) == []


def test_locust_runs_on_every_core_only_when_asked() -> None:
    plans = {p.key: p for p in bench.load_plans(bench.parse_args([]))}
    command = plans["original-cores"].command("http://api", Path("out"))
    assert command[command.index("--processes") + 1] == "-1"
    assert "--processes" not in plans["original-low"].command("http://api", Path("out"))


def test_render_phases_not_run_leave_no_empty_section() -> None:
    text = report.render(result(ceiling=[], cold=[]))
    assert "## Bare ceiling" not in text and "## Cold cache against warm" not in text
    assert "## Upstream calls" in text
