"""Gate a run on the thresholds: import this module from a locustfile to register the listener."""

from __future__ import annotations

from typing import Any

import gevent
from locust import events, stats
from locust.env import Environment
from locust.runners import WorkerRunner
from locust.stats import StatsEntry, sort_stats

from loadtests.common import config
from loadtests.common.report import render
from loadtests.common.thresholds import EndpointStats, evaluate


def endpoint_stats(entry: StatsEntry) -> EndpointStats:
    """Convert a Locust stats entry into the numbers the thresholds look at (as in the CSV)."""
    p95 = entry.get_response_time_percentile(0.95) if entry.num_requests else None
    return EndpointStats(
        method=entry.method or "",
        name=entry.name,
        requests=entry.num_requests,
        failures=entry.num_failures,
        avg_ms=entry.avg_response_time,
        p95_ms=p95,
    )


@events.quitting.add_listener
def gate(environment: Environment, **_kwargs: Any) -> None:
    """Print the verdict and set the exit code from it; workers leave it to the master."""
    runner = environment.runner
    if runner is None or isinstance(runner, WorkerRunner):
        return
    if getattr(environment.parsed_options, "csv_prefix", None):
        # Locust rewrites <prefix>_stats.csv every CSV_STATS_INTERVAL_SEC but not at exit
        # (locustio/locust#1806, #2299): let it write the final numbers check_results reads.
        gevent.sleep(stats.CSV_STATS_INTERVAL_SEC + 0.2)
    limits = config.thresholds()
    rows = [endpoint_stats(entry) for entry in sort_stats(environment.stats.entries)]
    exceptions = sum(row["count"] for row in runner.exceptions.values())
    verdict = evaluate(rows, endpoint_stats(environment.stats.total), limits, exceptions)
    print(render(verdict, limits), flush=True)
    # Set 0 too: the thresholds, not Locust's "any error" default, decide the exit code.
    environment.process_exit_code = 0 if verdict.passed else 1
