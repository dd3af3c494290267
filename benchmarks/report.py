"""Render a bench run as Markdown (pure: numbers in, text out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.machine import Machine, machine_rows
from benchmarks.markdown import num, table
from benchmarks.phases import ColdWarm, PhaseResult
from benchmarks.saturation_report import render_saturation
from benchmarks.stats import EndpointRow, UpstreamCalls, add_upstream, route_of
from loadtests.common.thresholds import EndpointStats, Thresholds, evaluate

BARE_PATH = "/health"
CLIENT_LABELS = {"FastPathUser": "FastHttpUser", "RequestsPathUser": "HttpUser"}


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Every number of one bench run, and what it ran on."""

    machine: Machine
    command: str
    settings: Mapping[str, str]
    startup_upstream: UpstreamCalls
    load: Sequence[PhaseResult]
    ceiling: Sequence[PhaseResult]
    cold: Sequence[ColdWarm]
    limits: Thresholds = field(default_factory=Thresholds)
    saturation: Sequence[Any] = ()  # benchmarks.saturation.CacheRun, one per cache backend


def cores(seconds: float, wall: float) -> str:
    """Express CPU seconds over a wall time as cores used."""
    return num(seconds / wall if wall else None, 2)


def per_request(seconds: float, requests: int) -> str:
    """Express CPU seconds as milliseconds per request."""
    return num(seconds * 1000 / requests if requests else None, 1)


def verdict(phase: PhaseResult, limits: Thresholds) -> str:
    """Judge a phase with the load tests' thresholds; return PASS or FAIL with reasons."""

    def stats(row: EndpointRow) -> EndpointStats:
        return EndpointStats(
            row.method, row.name, row.requests, row.failures, row.avg_ms, row.p95_ms
        )

    result = evaluate([stats(row) for row in phase.rows], stats(phase.total), limits)
    return "PASS" if result.passed else "FAIL: " + "; ".join(result.problems)


def find_ceiling(result: BenchResult, client: str, path: str) -> PhaseResult | None:
    """Return the ceiling phase of one client class and path."""
    return next(
        (
            p
            for p in result.ceiling
            if p.plan.user_class == client and p.rows and p.rows[0].name == path
        ),
        None,
    )


def best_ceiling(result: BenchResult, path: str) -> PhaseResult | None:
    """Return the ceiling phase with the most requests per second for a path."""
    phases = [p for p in result.ceiling if p.rows and p.rows[0].name == path]
    return max(phases, key=lambda p: p.total.rps, default=None)


def ratio_cell(result: BenchResult, path: str, client: str) -> str:
    """Return a path's RPS as a share of the bare /health RPS, for one client class."""
    bare, cached = find_ceiling(result, client, BARE_PATH), find_ceiling(result, client, path)
    if bare is None or cached is None or not bare.total.rps:
        return "—"
    return f"{cached.total.rps / bare.total.rps:.0%}"


def server_cell(phase: PhaseResult, name: str) -> str:
    """Return the server's own p50 / p95 / p99 for a Locust row, from its request lines."""
    timing = phase.server.get(route_of(name))
    if timing is None:
        return "—"
    return f"{timing.p50_ms} / {timing.p95_ms} / {timing.p99_ms}"


def server_p95(phase: PhaseResult) -> int | None:
    """Return the highest server-side p95 among a phase's endpoints, from its request lines."""
    timings = [phase.server.get(route_of(row.name)) for row in phase.rows]
    return max((t.p95_ms for t in timings if t is not None), default=None)


def endpoint_rows(phase: PhaseResult) -> list[list[str]]:
    """Return the per-endpoint cells of a phase, the total last."""
    cells = []
    for row in (*phase.rows, phase.total):
        label = f"{row.method} {row.name}" if row.method else "**All**"
        server = server_cell(phase, row.name) if row.method else "—"
        cells.append(
            [
                label,
                num(row.requests),
                num(row.failures),
                num(row.rps, 1),
                num(row.avg_ms, 1),
                num(row.p50_ms),
                num(row.p95_ms),
                num(row.p99_ms),
                num(row.max_ms),
                server,
            ]
        )
    return cells


def phase_section(phase: PhaseResult, limits: Thresholds, judged: bool) -> list[str]:
    """Return the Markdown of one load phase."""
    plan, cpu = phase.plan, phase.cpu
    lines = [
        f"### {plan.title}",
        "",
        f"`{plan.locustfile}` ({plan.user_class}), {plan.users} users, {plan.duration_s} s "
        f"(spawn rate {plan.spawn_rate:g}/s). CPU used (cores): Locust "
        f"{cores(cpu.locust, cpu.wall)}, API {cores(cpu.api, cpu.wall)}, sandbox "
        f"{cores(cpu.sandbox, cpu.wall)}, other processes {cores(cpu.others, cpu.wall)}. "
        f"CPU per request: Locust {per_request(cpu.locust, phase.total.requests)} ms, API "
        f"{per_request(cpu.api, phase.total.requests)} ms. "
        f"Upstream calls: {phase.upstream.total}.",
        "",
    ]
    headers = [
        "Endpoint",
        "Requests",
        "Fails",
        "RPS",
        "Avg ms",
        "p50",
        "p95",
        "p99",
        "Max",
        "Server p50/p95/p99",
    ]
    lines += table(headers, endpoint_rows(phase))
    if phase.locust_saturated:
        lines += [
            "",
            "Locust warned that its CPU use was above 90%: its own process limited "
            "this run, so its response times include time spent waiting for Locust.",
        ]
    if judged:
        lines += ["", f"Thresholds ({limits_text(limits)}): **{verdict(phase, limits)}**"]
    return [*lines, ""]


def limits_text(limits: Thresholds) -> str:
    """Describe the thresholds in one phrase."""

    def show(value: float | None, unit: str = "") -> str:
        return "off" if value is None else f"{value:g}{unit}"

    return (
        f"failures ≤ {show(limits.max_failures)}, average ≤ {show(limits.max_avg_ms, ' ms')},"
        f" cached p95 ≤ {show(limits.max_cached_p95_ms, ' ms')}"
    )


def ceiling_section(result: BenchResult) -> list[str]:
    """Return the bare-ceiling table: each path and client, RPS and share of /health."""
    rows = []
    for phase in result.ceiling:
        row, cpu, client = phase.total, phase.cpu, phase.plan.user_class
        path = phase.rows[0].name if phase.rows else "—"
        mark = " (Locust CPU > 90%)" if phase.locust_saturated else ""
        rows.append(
            [
                f"GET {path}",
                CLIENT_LABELS.get(client, client) + mark,
                num(row.rps),
                ratio_cell(result, path, client),
                num(row.p50_ms),
                num(row.p95_ms),
                num(row.p99_ms),
                num(row.failures),
                cores(cpu.locust, cpu.wall),
                cores(cpu.api, cpu.wall),
                cores(cpu.others, cpu.wall),
                per_request(cpu.api, row.requests),
            ]
        )
    headers = [
        "Path",
        "Locust client",
        "RPS",
        "Share of /health",
        "p50",
        "p95",
        "p99",
        "Fails",
        "Locust cores",
        "API cores",
        "Other cores",
        "API CPU ms per request",
    ]
    return [
        "## Bare ceiling: cached routes against GET /health",
        "",
        "Each path alone, with no wait and no body parsing, by the users named in "
        "`benchmarks/locust_ceiling.py`; only the status is checked. Locust, the API and any "
        "other process share the cores, so the RPS is the ceiling of this machine; the API's "
        "CPU per request (gunicorn master and workers, request log included) depends much "
        "less on who else runs.",
        "",
        *table(headers, rows),
        "",
    ]


def cold_section(result: BenchResult) -> list[str]:
    """Return the cold-versus-warm table."""
    rows = [
        [
            f"GET {c.path}",
            f"{num(c.cold_ms)} ms",
            c.cold_cache,
            num(c.upstream_calls),
            f"{num(c.warm_ms, 1)} ms ({c.warm_count} HITs)",
            f"{num(c.ratio)} times",
        ]
        for c in result.cold
    ]
    headers = [
        "Request",
        "Cold (first request)",
        "X-Cache",
        "Upstream calls",
        "Warm median",
        "Cold / warm",
    ]
    return [
        "## Cold cache against warm",
        "",
        "A fresh gunicorn with `WARMUP_ON_START=false` for each path, so the first request "
        "waits on the sandbox's realistic latency; then the same request on the same "
        "connection until it is answered from the cache.",
        "",
        *table(headers, rows),
        "",
    ]


def upstream_section(result: BenchResult) -> list[str]:
    """Return the table of API requests against the calls that reached the sandbox."""
    rows = [
        [
            "Start-up warm-up",
            "—",
            num(result.startup_upstream.total),
            routes_text(result.startup_upstream),
        ]
    ]
    for phase in (*result.load, *result.ceiling):
        rows.append(
            [
                phase.plan.title,
                num(phase.total.requests),
                num(phase.upstream.total),
                routes_text(phase.upstream),
            ]
        )
    requests, calls = load_totals(result)
    rows.append(
        [
            "**All load phases**",
            f"**{num(requests)}**",
            f"**{num(calls.total)}**",
            routes_text(calls),
        ]
    )
    return [
        "## Upstream calls (counted by the sandbox's `/__stats`)",
        "",
        *table(["Phase", "API requests", "Upstream calls", "By route"], rows),
        "",
    ]


def routes_text(calls: UpstreamCalls) -> str:
    """List the routes of some upstream calls with their counts."""
    return ", ".join(f"`{path}` {count}" for path, count in calls.by_path.items()) or "none"


def load_totals(result: BenchResult) -> tuple[int, UpstreamCalls]:
    """Return the API requests of every Locust phase and the upstream calls they caused."""
    phases = (*result.load, *result.ceiling)
    return sum(p.total.requests for p in phases), add_upstream(p.upstream for p in phases)


def machine_section(machine: Machine, settings: Mapping[str, str]) -> list[str]:
    """Return the machine and settings the numbers come from."""
    rows = machine_rows(machine)
    rows += [[name, value] for name, value in settings.items()]
    return ["## Machine and settings", "", *table(["", ""], rows), ""]


def summary_rows(result: BenchResult) -> list[list[str]]:
    """Return the short summary table (the README's performance section)."""
    rows = []
    for phase in result.load:
        total = phase.total
        rows.append(
            [
                phase.plan.title,
                f"{num(total.rps)} req/s, {num(total.failures)} failures, "
                f"p95 {num(total.p95_ms)} ms, p99 {num(total.p99_ms)} ms "
                f"(server p95 ≤ {num(server_p95(phase))} ms)",
            ]
        )
    bare = best_ceiling(result, BARE_PATH)
    if bare is not None:
        client = CLIENT_LABELS.get(bare.plan.user_class, bare.plan.user_class)
        rows.append([f"Bare ceiling, `GET {BARE_PATH}` ({client})", f"{num(bare.total.rps)} req/s"])
        shares = [
            f"{short_name(path)} {ratio_cell(result, path, bare.plan.user_class)}"
            for path in cached_paths(result)
        ]
        rows.append(["Cached routes, share of the bare ceiling", ", ".join(shares)])
        costs = [
            f"{short_name(p.rows[0].name)} {per_request(p.cpu.api, p.total.requests)} ms"
            for p in result.ceiling
            if p.plan.user_class == bare.plan.user_class and p.rows
        ]
        rows.append(["API CPU per request at the ceiling", ", ".join(costs)])
    for cold in result.cold[:1]:
        rows.append(
            [
                f"Cold `GET {cold.path}` against warm",
                f"{num(cold.cold_ms)} ms against "
                f"{num(cold.warm_ms, 1)} ms ({num(cold.ratio)} times)",
            ]
        )
    requests, calls = load_totals(result)
    rows.append(
        [
            "Upstream calls during the load phases",
            f"{num(calls.total)} for {num(requests)} API requests",
        ]
    )
    return rows


def short_name(path: str) -> str:
    """Return the last segment of a path: "/api/v1/clients/search?q=x" -> "search"."""
    return path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def cached_paths(result: BenchResult) -> list[str]:
    """Return the paths of the ceiling phases other than the bare one, in run order."""
    paths = [p.rows[0].name for p in result.ceiling if p.rows and p.rows[0].name != BARE_PATH]
    return list(dict.fromkeys(paths))


def contention_note(result: BenchResult, limit: float = 0.25) -> list[str]:
    """Warn when processes outside the bench used more than `limit` cores during a phase."""
    busy = [
        p
        for p in (*result.load, *result.ceiling)
        if p.cpu.wall and p.cpu.others / p.cpu.wall > limit
    ]
    if not busy:
        return []
    worst = max(busy, key=lambda p: p.cpu.others / p.cpu.wall)
    return [
        f"**Note:** other processes used the CPU during {len(busy)} of the "
        f"{len(result.load) + len(result.ceiling)} phases (up to "
        f'{cores(worst.cpu.others, worst.cpu.wall)} cores, in "{worst.plan.title}"): '
        "those numbers are lower than this machine can do.",
        "",
    ]


def render(result: BenchResult) -> str:
    """Render the whole report."""
    machine = result.machine
    lines = [
        f"# WispHub API benchmark, {machine.date}",
        "",
        f"One run of `{result.command}` on the machine below (Locust, the API and the sandbox "
        "share it). Compare runs on the same machine only.",
        "",
        "## Summary",
        "",
        *table(["Measure", "Result"], summary_rows(result)),
        "",
        *contention_note(result),
        *machine_section(machine, result.settings),
        "## Load phases",
        "",
        "Locust's numbers are what the simulated bots saw (milliseconds, RPS over the whole "
        "run including the spawn); *Server* is the API's own `duration_ms` from its request "
        "lines (from the request's arrival in the app to its answer, before the bytes are "
        "sent).",
        "",
    ]
    for phase in result.load:
        lines += phase_section(phase, result.limits, judged=phase.plan.key.startswith("original"))
    lines += render_saturation(result.saturation)
    lines += ceiling_section(result) if result.ceiling else []  # --phases may skip some
    lines += cold_section(result) if result.cold else []
    lines += upstream_section(result)
    return "\n".join(lines).rstrip() + "\n"
