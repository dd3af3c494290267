"""An open-loop HTTP load generator: requests leave on a schedule, whatever the server does.

    .venv/bin/python -m benchmarks.openloop http://127.0.0.1:8000/api/v1/internet-plans/ \\
        --header 'X-API-Key: k' --rate 3000 --seconds 15 [--then-rate 600 --then-seconds 10]

wrk and Locust are closed loops: a slow answer delays the next request, so they cannot show what
a server does when more arrives than it can serve. Here request ``i`` is due at ``start + i/rate``
and its latency counts from then (no coordinated omission): waiting for a free connection counts.
Connections are kept alive and opened as needed, up to ``--connections``; a request unanswered
after ``--timeout`` counts as a timeout and its connection is dropped. Everything is bounded: the
run ends ``--timeout`` after the last request is due.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.openloop_stats import CONNECTION_ERROR, TIMEOUT, Outcome, summarise

_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
TICK_S = 0.001  # how often due requests are released
SWEEP_S = 0.05  # how often requests past their timeout are given up


class _Client(asyncio.Protocol):
    """One keep-alive connection; it carries one request at a time for the generator."""

    def __init__(self, generator: Generator) -> None:
        self.generator = generator
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.expected = -1  # bytes of the whole answer, once its headers are in
        self.request: tuple[str, float] | None = None  # (phase, due) of the request on the wire
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.generator.connected(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.generator.lost(self)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.expected < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            match = _LENGTH.search(buffer, 0, end + 2)
            self.expected = end + 4 + (int(match.group(1)) if match else 0)
        if len(buffer) >= self.expected:
            status = int(buffer[9:12])  # "HTTP/1.1 200 ..."
            self.generator.finished(self, status)

    def send(self, request: tuple[str, float], payload: bytes) -> None:
        """Write one request on this connection."""
        assert self.transport is not None
        self.buffer.clear()
        self.expected = -1
        self.request, self.sent_at = request, time.monotonic()
        self.transport.write(payload)


@dataclass
class Generator:
    """Send requests to one URL at a fixed rate over a bounded pool of connections."""

    url: str
    headers: dict[str, str]
    max_connections: int = 512
    timeout: float = 5.0
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        self.payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.pending: deque[tuple[str, float]] = deque()  # due, waiting for a connection
        self.idle: list[_Client] = []
        self.busy: set[_Client] = set()
        self.opening = 0
        self.clients = 0

    # -- connections ---------------------------------------------------------------------------
    def connected(self, client: _Client) -> None:
        """Put a new connection to work."""
        self.opening -= 1
        self.clients += 1
        self._give(client)

    def lost(self, client: _Client) -> None:
        """Forget a closed connection; its request, if any, failed."""
        if client in self.busy:
            self.busy.discard(client)
            self._record(client, CONNECTION_ERROR)
        elif client in self.idle:
            self.idle.remove(client)
        self.clients -= 1
        self._dispatch()

    def finished(self, client: _Client, status: int) -> None:
        """Record an answer and give the connection the next request."""
        self.busy.discard(client)
        self._record(client, status)
        self._give(client)

    def _record(self, client: _Client, status: int) -> None:
        assert client.request is not None
        phase, due = client.request
        late = client.sent_at - due
        self.outcomes.append(Outcome(phase, due, time.monotonic() - due, status, late))
        client.request = None

    def _give(self, client: _Client) -> None:
        if self.pending:
            self.busy.add(client)
            client.send(self.pending.popleft(), self.payload)
        else:
            self.idle.append(client)

    def _dispatch(self) -> None:
        while self.pending and self.idle:
            self._give(self.idle.pop())
        loop = asyncio.get_running_loop()
        while (
            len(self.pending) > self.opening and self.clients + self.opening < self.max_connections
        ):
            self.opening += 1
            task = loop.create_task(
                loop.create_connection(lambda: _Client(self), self.host, self.port)
            )
            task.add_done_callback(self._opened)

    def _opened(self, task: asyncio.Task[Any]) -> None:
        if task.exception() is not None:
            self.opening -= 1
            if self.pending:  # the connection failed: so does the oldest waiting request
                phase, due = self.pending.popleft()
                self.outcomes.append(Outcome(phase, due, time.monotonic() - due, CONNECTION_ERROR))

    def _sweep(self, now: float) -> None:
        """Give up requests past the timeout (their connections are dropped)."""
        for client in [c for c in self.busy if now - c.sent_at > self.timeout]:
            self.busy.discard(client)
            self._record(client, TIMEOUT)
            if client.transport is not None:
                client.transport.abort()
        while self.pending and now - self.pending[0][1] > self.timeout:
            phase, due = self.pending.popleft()
            self.outcomes.append(Outcome(phase, due, now - due, TIMEOUT))

    # -- the schedule ------------------------------------------------------------------------
    async def run(self, schedule: list[tuple[str, float, float]]) -> None:
        """Send at each (phase, rate, seconds) of ``schedule`` in turn, then wait for answers."""
        due = [
            (phase, begin + index / rate)
            for phase, rate, seconds, begin in _phases(schedule, time.monotonic() + 0.1)
            for index in range(int(rate * seconds))
        ]
        position, next_sweep = 0, 0.0
        while position < len(due) or self.busy or self.pending:
            now = time.monotonic()
            while position < len(due) and due[position][1] <= now:
                self.pending.append(due[position])
                position += 1
            self._dispatch()
            if now >= next_sweep:
                self._sweep(now)
                next_sweep = now + SWEEP_S
            if position >= len(due) and now - due[-1][1] > self.timeout + 1:
                break
            await asyncio.sleep(TICK_S)
        for client in [*self.idle, *self.busy]:
            if client.transport is not None:
                client.transport.close()


def _phases(
    schedule: list[tuple[str, float, float]], start: float
) -> list[tuple[str, float, float, float]]:
    """Return each phase with the time it begins."""
    phases, begin = [], start
    for phase, rate, seconds in schedule:
        phases.append((phase, rate, seconds, begin))
        begin += seconds
    return phases


def _run_share(args: tuple[str, dict[str, str], list[tuple[str, float, float]], int, float]):
    url, headers, schedule, connections, timeout = args
    generator = Generator(url, headers, connections, timeout)
    asyncio.run(generator.run(schedule))
    return generator.outcomes


def run_processes(
    url: str,
    headers: dict[str, str],
    schedule: list[tuple[str, float, float]],
    *,
    processes: int = 1,
    connections: int = 1024,
    timeout: float = 5.0,
) -> list[Outcome]:
    """Run ``schedule`` split over ``processes`` generators (one Python process tops out near
    2,000 requests a second on this machine's cores); return every outcome."""
    if processes <= 1:
        return _run_share((url, headers, schedule, connections, timeout))
    share = [(phase, rate / processes, seconds) for phase, rate, seconds in schedule]
    jobs = [(url, headers, share, connections // processes, timeout)] * processes
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_default_sigterm) as pool:
        return [outcome for part in pool.map(_run_share, jobs) for outcome in part]


NATIVE_SOURCE = Path(__file__).with_name("openloop.c")
NATIVE_BUILD = Path(__file__).resolve().parent.parent / "results" / "bin" / "openloop"


def native_binary() -> Path | None:
    """Return the C generator, compiled from ``openloop.c`` when missing or older; None
    when there is no C compiler (the Python generator is used then)."""
    if NATIVE_BUILD.exists() and NATIVE_BUILD.stat().st_mtime >= NATIVE_SOURCE.stat().st_mtime:
        return NATIVE_BUILD
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    NATIVE_BUILD.parent.mkdir(parents=True, exist_ok=True)
    temporary = NATIVE_BUILD.with_suffix(f".{os.getpid()}")
    subprocess.run(  # noqa: S603 - our own source, a fixed command line
        [compiler, "-O2", "-Wall", "-o", str(temporary), str(NATIVE_SOURCE)], check=True
    )
    os.replace(temporary, NATIVE_BUILD)
    return NATIVE_BUILD


def run_native(
    binary: Path,
    url: str,
    headers: dict[str, str],
    schedule: list[tuple[str, float, float]],
    *,
    connections: int = 1024,
    timeout: float = 5.0,
) -> list[Outcome]:
    """Run ``schedule`` with the C generator (same semantics as ``Generator``); return every
    outcome. Bounded: the generator ends ``timeout`` + 1 s after the last request is due, and is
    killed if it has not ended some seconds later."""
    payload = Generator(url, headers).payload
    parts = urlsplit(url)
    phases = [f"{rate:g}:{seconds:g}" for _, rate, seconds in schedule]
    bound = sum(seconds for _, _, seconds in schedule) + timeout + 30
    with tempfile.NamedTemporaryFile(prefix="openloop-request-") as request:
        request.write(payload)
        request.flush()
        command = [str(binary), parts.hostname or "127.0.0.1", str(parts.port or 80)]
        command += [f"{timeout:g}", str(connections), request.name, *phases]
        done = subprocess.run(  # noqa: S603 - our own binary
            command, capture_output=True, text=True, timeout=bound, check=True
        )
    names = [phase for phase, _, _ in schedule]
    outcomes = []
    for line in done.stdout.splitlines():
        phase, due, seconds, status, late = line.split()
        outcomes.append(
            Outcome(names[int(phase)], float(due), float(seconds), int(status), float(late))
        )
    return outcomes


def generate(
    url: str,
    headers: dict[str, str],
    schedule: list[tuple[str, float, float]],
    *,
    processes: int = 1,
    connections: int = 1024,
    timeout: float = 5.0,
    native: bool = True,
) -> list[Outcome]:
    """Run ``schedule`` with the C generator when it can be built (``native``), else with
    ``processes`` Python generators; return every outcome."""
    binary = native_binary() if native else None
    if binary is not None:
        return run_native(binary, url, headers, schedule, connections=connections, timeout=timeout)
    return run_processes(
        url, headers, schedule, processes=processes, connections=connections, timeout=timeout
    )


def _default_sigterm() -> None:
    """Let a generator process die of the SIGTERM ``Pool.terminate`` sends it.

    A forked worker inherits its parent's handlers; ``make bench`` turns SIGTERM into
    KeyboardInterrupt, which a worker idle in the pool's queue raised while holding its lock:
    the pool then never finished, and the benchmark hung.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.openloop", description=__doc__)
    add = parser.add_argument
    add("url")
    add("--header", action="append", default=[], help="'Name: value', repeatable")
    add("--rate", type=float, required=True, help="requests per second")
    add("--seconds", type=float, default=15.0)
    add("--then-rate", type=float, default=0.0, help="a second phase's rate (recovery)")
    add("--then-seconds", type=float, default=0.0)
    add("--connections", type=int, default=512, help="most connections open at once")
    add("--timeout", type=float, default=5.0, help="seconds before a request counts as timed out")
    add("--processes", type=int, default=1, help="Python generator processes sharing the rate")
    add("--python", action="store_true", help="the Python generator even when C can be built")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the schedule and print the summary as JSON."""
    args = parse_args(argv)
    headers = dict(h.split(": ", 1) for h in args.header)
    schedule = [("load", args.rate, args.seconds)]
    if args.then_rate and args.then_seconds:
        schedule.append(("after", args.then_rate, args.then_seconds))
    outcomes = generate(
        args.url,
        headers,
        schedule,
        processes=args.processes,
        connections=args.connections,
        timeout=args.timeout,
        native=not args.python,
    )
    print(json.dumps(summarise(outcomes), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
