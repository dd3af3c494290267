"""Per-request cost: the API against the bare stack, in one process, side by side.

    .venv/bin/python -m benchmarks.per_request                 # 15 rounds of 400 calls per route
    .venv/bin/python -m benchmarks.per_request --profile plans  # where one route's time goes
    .venv/bin/python -m benchmarks.per_request --markdown --write docs/benchmarks/latest.md

It starts a sandbox (no latency), builds the real app over it with the test settings (JSON log
lines, metrics in prometheus_client's multiprocess mode as under gunicorn.conf.py) and warms
every route once, then builds the bare stack (benchmarks/bare_app.py) serving the bytes the API
answered. Both are called through their WSGI callable with the same environ (built once per
route by werkzeug, copied per call), so neither pays a test client or a socket. Rounds are
interleaved (each round times a batch of every route on both apps, the order alternating), and
the median of the rounds is printed, which a noisy neighbour on a shared core moves little.
Log lines go to /dev/null while timed: the app still formats and writes each one.

This prints numbers; it asserts nothing. Under gunicorn both apps pay the same server cost on
top (HTTP parsing, the gevent loop, the socket write), so the RPS ratio under wrk is closer to
1 than the in-process one: ``python -m benchmarks.saturation`` measures that.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUTES = {
    "internet-plans": "/api/v1/internet-plans/",
    "search": "/api/v1/clients/search?q=Esperanza",
    "by-service-id": "/api/v1/clients/by-service-id/7",
}
API_KEY = "bench-key"
# Bracketed by these, the section is replaced in place by --write (added at the end otherwise).
SECTION_START = "<!-- per-request:start (python -m benchmarks.per_request --markdown) -->"
SECTION_END = "<!-- per-request:end -->"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class RouteResult:
    """The median cost of one route on each app over the rounds."""

    name: str
    path: str
    api_us: float
    bare_us: float
    ratio: float  # median over rounds of API / bare, each round measured back to back

    @property
    def rps_share(self) -> float:
        """Return the API's requests per second as a share of the bare app's, in process."""
        return 1.0 / self.ratio if self.ratio else 0.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.per_request",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--rounds", type=int, default=15, help="interleaved rounds (15)")
    add("--calls", type=int, default=400, help="calls per route and app in each round (400)")
    add(
        "--profile",
        metavar="ROUTE",
        choices=sorted(ROUTES),
        help="profile ROUTE on the API (cProfile) instead of timing",
    )
    add("--profile-calls", type=int, default=5000, help="calls of the profiled route (5000)")
    add("--markdown", action="store_true", help="print the figures as a Markdown section")
    add("--write", type=Path, metavar="FILE", help="put the Markdown section into FILE")
    return parser.parse_args(argv)


def build_apps(sandbox_url: str, sandbox_key: str) -> tuple[WsgiApp, WsgiApp, dict[str, bytes]]:
    """Return the API, the bare stack serving the API's answers, and those answers."""
    from benchmarks.bare_app import serve_bodies
    from wisphub_api import create_app
    from wisphub_api.config import config_for_tests

    app = create_app(
        config_for_tests(
            TESTING=False,  # errors handled as in production
            WISPHUB_NET_HOST=sandbox_url,
            WISPHUB_NET_KEY=sandbox_key,
            WISPHUB_INTERNAL_API_KEY=[API_KEY],
            UPSTREAM_READ_TIMEOUT=30.0,
        )
    )
    bodies: dict[str, bytes] = {}
    for path in ROUTES.values():
        for _ in range(2):  # the first loads the snapshot, the second is served from it
            status, headers, body = call(app, environ_for(path))
        if not status.startswith("200") or dict(headers).get("X-Cache") != "HIT":
            raise SystemExit(f"{path}: {status} {dict(headers).get('X-Cache')}, not a cached 200")
        bodies[path.split("?")[0]] = body
    return app, serve_bodies(bodies), bodies


def environ_for(path: str) -> dict[str, Any]:
    """Return the WSGI environ of a bot's GET of ``path`` (a key, no compression asked)."""
    from werkzeug.test import EnvironBuilder

    headers = [("X-API-Key", API_KEY), ("User-Agent", "per-request-bench"), ("Accept", "*/*")]
    builder = EnvironBuilder(path=path, method="GET", headers=headers)
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    return environ


def call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call ``app`` once as a WSGI server would; return the status, headers and body."""
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen[:] = [status, headers]
        return None

    result = app(dict(environ), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return seen[0], seen[1], body


def timed_batch(app: WsgiApp, environ: dict[str, Any], calls: int) -> float:
    """Return the microseconds per call of ``calls`` calls of ``app``."""

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    copy = environ.copy
    started = time.perf_counter()
    for _ in range(calls):
        result = app(copy(), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return (time.perf_counter() - started) * 1e6 / calls


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send what is written to stderr (the request log lines) to /dev/null meanwhile."""
    saved = sys.stderr
    with open(os.devnull, "w") as sink:
        sys.stderr = sink
        try:
            yield
        finally:
            sys.stderr = saved


def measure(api: WsgiApp, bare: WsgiApp, rounds: int, calls: int) -> list[RouteResult]:
    """Time every route on both apps, interleaved, and return the medians."""
    environs = {name: environ_for(path) for name, path in ROUTES.items()}
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in ROUTES}
    with quiet_stderr():
        for environ in environs.values():  # warm both, untimed
            timed_batch(api, environ, 50)
            timed_batch(bare, environ, 50)
        for number in range(rounds):
            for name, environ in environs.items():
                api_us, bare_us = samples[name]
                gc.collect()
                if number % 2:
                    bare_us.append(timed_batch(bare, environ, calls))
                    api_us.append(timed_batch(api, environ, calls))
                else:
                    api_us.append(timed_batch(api, environ, calls))
                    bare_us.append(timed_batch(bare, environ, calls))
    results = []
    for name, (api_us, bare_us) in samples.items():
        ratios = [a / b for a, b in zip(api_us, bare_us, strict=True)]
        results.append(
            RouteResult(
                name=name,
                path=ROUTES[name],
                api_us=statistics.median(api_us),
                bare_us=statistics.median(bare_us),
                ratio=statistics.median(ratios),
            )
        )
    return results


def profile(api: WsgiApp, name: str, calls: int) -> str:
    """Return cProfile's view of ``calls`` calls of one route on the API."""
    environ = environ_for(ROUTES[name])
    profiler = cProfile.Profile()
    with quiet_stderr():
        timed_batch(api, environ, 50)
        profiler.enable()
        timed_batch(api, environ, calls)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def text_report(results: list[RouteResult], rounds: int, calls: int) -> str:
    """Return the figures as plain text."""
    lines = [
        f"per request, median of {rounds} interleaved rounds of {calls} calls "
        f"(load {load_average()})",
        f"{'route':<40} {'API µs':>8} {'bare µs':>8} {'API/bare':>9} {'RPS share':>10}",
    ]
    for r in results:
        lines.append(
            f"{'GET ' + r.path:<40} {r.api_us:8.1f} {r.bare_us:8.1f} {r.ratio:9.2f} "
            f"{r.rps_share:10.2f}"
        )
    return "\n".join(lines)


def markdown_report(results: list[RouteResult], rounds: int, calls: int) -> str:
    """Return the figures as the Markdown section of docs/benchmarks/latest.md."""
    from benchmarks.markdown import num, table

    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = [
        [
            f"GET {r.path}",
            num(r.api_us, 1),
            num(r.bare_us, 1),
            num(r.ratio, 2),
            num(r.rps_share, 2),
        ]
        for r in results
    ]
    lines = [
        SECTION_START,
        "## Per request, in process: the API against the bare stack",
        "",
        f"`python -m benchmarks.per_request` ({stamp}, load average {load_average()} at the "
        f"end): the real app over a sandbox with no latency and the bare stack "
        "(`benchmarks/bare_app.py`) serving the same bytes, each called through its WSGI "
        f"callable with the same environ, {rounds} interleaved rounds of {calls} calls per "
        "route; medians of the rounds. The API's work includes its JSON log line (written to "
        "/dev/null) and its metrics in prometheus_client's multiprocess mode, as under "
        "gunicorn. No server, socket or gevent loop: under wrk both stacks pay those on top, "
        "so the RPS ratio there is closer to 1 (see the saturation section).",
        "",
        *table(
            ["Route", "API µs", "Bare µs", "API / bare", "Bare µs / API µs"],
            rows,
        ),
        SECTION_END,
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace the per-request section of ``path`` with ``section``, or add it at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(SECTION_START) + r".*?" + re.escape(SECTION_END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def carry_section(text: str, path: Path) -> str:
    """Return ``text`` with the per-request section of ``path`` added, when it has one.

    ``python -m benchmarks.bench`` rewrites docs/benchmarks/latest.md whole; the section this
    script wrote there stays until this script replaces it.
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = old.find(SECTION_START), old.find(SECTION_END)
    if start < 0 or end < start or SECTION_START in text:
        return text
    return text.rstrip("\n") + "\n\n" + old[start : end + len(SECTION_END)] + "\n"


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, or "?" where unknown."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    """Build both apps over a fresh sandbox, then time or profile them."""
    args = parse_args(argv)
    # prometheus_client picks multiprocess mode once, at import, as under gunicorn.conf.py:
    # choose it before the app loads it.
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ and "prometheus_client" not in sys.modules:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="per-request-metrics-")
    from benchmarks.stack import Sandbox

    with Sandbox(latency_ms="0", per_row_ms=0) as sandbox:
        with quiet_stderr():
            api, bare, _ = build_apps(sandbox.url, sandbox.api_key)
        if args.profile:
            print(profile(api, args.profile, args.profile_calls))
            return 0
        results = measure(api, bare, args.rounds, args.calls)
    print(text_report(results, args.rounds, args.calls))
    if args.markdown or args.write:
        section = markdown_report(results, args.rounds, args.calls)
        if args.markdown:
            print()
            print(section)
        if args.write:
            write_section(args.write, section)
            print(f"wrote the per-request section of {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
