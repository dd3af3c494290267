"""Render the saturation runs (wrk against the API and the bare stack, the overload) as Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from benchmarks.markdown import num, table

if TYPE_CHECKING:
    from benchmarks.saturation import CacheRun
    from benchmarks.wrkrun import WrkResult

CACHE_NAMES = {"simple": "SimpleCache", "redis": "Redis"}


def _errors(result: WrkResult) -> str:
    return f"{result.socket_errors} / {result.timeouts} / {result.non_2xx}"


def _others(result: WrkResult) -> str:
    cpu = result.cpu
    return num(cpu.others / cpu.wall if cpu.wall else None, 2)


def wrk_rows(runs: Sequence[CacheRun]) -> list[list[str]]:
    """Return one row per cache and route: the API beside the bare stack."""
    rows = []
    for run in runs:
        for pair in run.pairs:
            api, bare = pair.api, pair.bare
            rows.append(
                [
                    CACHE_NAMES.get(run.cache, run.cache),
                    f"GET {pair.path}",
                    num(api.rps),
                    num(bare.rps),
                    f"{pair.ratio:.2f}",
                    f"{num(api.p50_ms, 1)} / {num(api.p99_ms)} / {num(api.max_ms)}",
                    f"{num(bare.p50_ms, 1)} / {num(bare.p99_ms)} / {num(bare.max_ms)}",
                    _errors(api),
                    _errors(bare),
                    f"{_others(api)} / {_others(bare)}",
                ]
            )
    return rows


def _phase(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(summary.get("phases", {}).get(name, {}))


def overload_rows(runs: Sequence[CacheRun]) -> list[list[str]]:
    """Return one row per cache: the overload and what followed."""
    rows = []
    for run in runs:
        if not run.overload:
            continue
        load, after = _phase(run.overload, "overload"), _phase(run.overload, "after")
        served, refused = load.get("served", {}), load.get("refused_503", {})
        rows.append(
            [
                CACHE_NAMES.get(run.cache, run.cache),
                num(run.sustainable_rate),
                num(run.overload_rate),
                num(load.get("sent")),
                f"{num(served.get('count'))} (p99 {num(served.get('p99_ms'))}, "
                f"max {num(served.get('max_ms'))} ms)",
                f"{num(refused.get('count'))} (max {num(refused.get('max_ms'))} ms)",
                f"{num(load.get('timeouts'))} / {num(load.get('over_1s'))}",
                f"{num(load.get('sent_late_p99_ms'))} ms",
                f"p99 {num(after.get('served', {}).get('p99_ms'))} ms, "
                f"{num(after.get('refused_503', {}).get('count'))} answered 503",
            ]
        )
    return rows


def render_saturation(runs: Sequence[CacheRun]) -> list[str]:
    """Return the saturation section of the bench report."""
    if not runs:
        return []
    workers = runs[0].workers
    lines = [
        "## Saturation: wrk -t2 -c64 against the API and the bare stack",
        "",
        f"`python -m benchmarks.saturation`: each route under `wrk -t2 -c64` for the same time on "
        f"the API and then on the bare stack (`benchmarks/bare_app.py`: a minimal Flask app "
        f"serving the same bytes, same gunicorn.conf.py, worker class and {workers} workers), "
        "sandbox with no latency. Latencies in ms; errors are socket errors / timeouts / "
        "non-2xx answers; *other cores* is the CPU that processes outside the run used "
        "(API run / bare run).",
        "",
        *table(
            [
                "Cache",
                "Route",
                "API RPS",
                "Bare RPS",
                "API / bare",
                "API p50 / p99 / max",
                "Bare p50 / p99 / max",
                "API errors",
                "Bare errors",
                "Other cores",
            ],
            wrk_rows(runs),
        ),
        "",
    ]
    rows = overload_rows(runs)
    if rows:
        lines += [
            "### Overload: twice the sustainable rate, open loop",
            "",
            "`benchmarks/openloop.py` sends `GET /api/v1/internet-plans/` on a fixed schedule "
            "(latency counted from when each request was due). *Sustainable* is the highest "
            "rate served with p99 ≤ 250 ms and nothing refused, the generator sharing the cores; "
            "then twice that, then a quarter of it to see the recovery. *Generator late* is how "
            "long after its due time the generator itself sent a request (waiting for a "
            "connection or for its own event loop on the shared cores).",
            "",
            *table(
                [
                    "Cache",
                    "Sustainable req/s",
                    "Offered req/s",
                    "Sent",
                    "Served",
                    "Answered 503",
                    "Timeouts / over 1 s",
                    "Generator late (p99)",
                    "Afterwards",
                ],
                rows,
            ),
            "",
        ]
    return lines
