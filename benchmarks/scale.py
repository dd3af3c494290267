"""The scale table of issue 13: 1,500 / 10,000 / 50,000 clients, figures beside the targets.

    .venv/bin/python -m benchmarks.scale                    # the full run, ~12 min on 2 cores
    .venv/bin/python -m benchmarks.scale --sizes 1500 --window 20 --refreshes 5 --no-write
    .venv/bin/python -m benchmarks.scale --sizes 50000 --modes simple --phases memory \
        --memory-budget 420 --no-write          # 20 refreshes at 50k: a build takes 12-14 s

Loopback only. For each size it starts one sandbox (``--clients N``, 300 ms a call, pages of
300, no per-row cost: the issue's emulator) and, for each shared-state mode (SimpleCache with no
Redis, then a private redis-server on a free port), the API under gunicorn with 2 gevent workers
(``benchmarks.stack``). Then, in order:

1. truly cold (a fresh STATE_DIR, a fresh Redis key prefix): as soon as the port answers, the
   first lookup by id and the first search, and the filtered upstream calls the lookups made;
2. list paging: ``?limit=100&offset=...`` against the whole list, plain and gzip, and the sizes;
3. refresh stall: with the snapshot TTL at ``--ttl`` (20 s), a search and a lookup by id every
   100 ms each for the window (60 s at 50,000, shorter below: at least 2 refreshes), p50 / p99 /
   max and the share answered STALE, and the listings WispHub served in the window;
4. warm restart: gunicorn stopped and started again on the same STATE_DIR (and Redis), the first
   lookup and search timed as soon as the port answers, with their X-Cache and age;
5. memory: that restarted server runs with a short TTL (``--refresh-ttl``, 2 s) until
   ``--refreshes`` (20) new snapshots were written; each worker's VmRSS at the first and the last,
   and the largest builder process seen (a worker's child).

Every process is stopped by its PID / process group (SIGTERM, bounded wait, SIGKILL). The table
goes to stdout and to docs/benchmarks/scale.md with the machine and the load average at the start
and the end. Nothing here asserts: the figures are reported as measured.
"""

from __future__ import annotations

import argparse
import random
import shlex
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from benchmarks.machine import describe, load_average
from benchmarks.scale_report import (
    First,
    HostsRow,
    Sample,
    ScaleRow,
    filtered_calls,
    growth_pct,
    kept_tail,
    listings,
    page_delta,
    render_hosts,
    render_report,
    render_table,
    summarise,
)
from benchmarks.stack import ROOT, Gunicorn, Sandbox, StackError, call, child_pids
from benchmarks.stack.redis import RedisServer

KEY = "scale-" + uuid.uuid4().hex[:12]
AUTH = {"X-API-Key": KEY}
SEARCHES = ("esperanza", "maria gomez", "bellavista", "rodriguez", "gloria", "luz dary")
MIB = 1024 * 1024
LIVE_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 30.0
RSS_EVERY_S = 0.5
POINTER_EVERY_S = 0.1
WARM_FOLLOWERS = 20  # requests after the first two of a restart, for its worst answer
PAGES = 10
FULL_REPEATS = 5


def progress(message: str) -> None:
    """Print one progress line."""
    print(f"[scale {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--sizes", default="1500,10000,50000", help="client counts (default 1500,10000,50000)")
    add("--modes", default="simple,redis", help="shared state: simple, redis (default both)")
    add("--ttl", type=int, default=20, help="CLIENTS_CACHE_TTL of the stall phase (default 20)")
    add("--window", type=float, default=0.0, help="stall window in s (default 60 at 50k, else 35)")
    add("--tick", type=float, default=0.1, help="seconds between samples of each probe")
    add("--refreshes", type=int, default=20, help="refreshes of the memory phase (default 20)")
    add("--refresh-ttl", type=int, default=2, help="CLIENTS_CACHE_TTL of the memory phase")
    add(
        "--memory-budget",
        type=float,
        default=140.0,
        help="longest memory phase per size x mode in s; fewer refreshes past it (default 140)",
    )
    add(
        "--two-hosts-max",
        type=int,
        default=1500,
        help="sizes up to this also run two hosts sharing one sandbox (default 1500; 0: never)",
    )
    add("--latency-ms", default="300", help="sandbox latency per call (default 300)")
    add("--per-row-ms", type=float, default=0.0, help="sandbox cost per row (default 0)")
    add("--page-size", type=int, default=300, help="sandbox's largest page (default 300)")
    add("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    add(
        "--budget-s",
        type=float,
        default=1200.0,
        help="start no size past this many seconds; bounds the memory phases (default 1200)",
    )
    add(
        "--phases",
        default="all",
        help="all (default), or memory: only the memory phase, on a server started cold with "
        "the memory phase's TTL (its first snapshot is the trail's start); print with --no-write",
    )
    add("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "scale.md", help="report")
    add("--logs", type=Path, default=ROOT / "results" / "scale", help="logs directory")
    add("--no-write", action="store_true", help="print the table, write no report")
    add("--label", default="", help="what was measured (a commit, a branch), said in the report")
    return parser.parse_args(argv)


def window_for(clients: int, args: argparse.Namespace) -> float:
    """Return the stall window: --window, else 60 s at 50k and 35 s (2 refreshes) below."""
    if args.window > 0:
        return args.window
    return 60.0 if clients >= 50_000 else 35.0


# --- requests ----------------------------------------------------------------------------


def timed(api: Gunicorn, path: str, headers: dict[str, str] | None = None) -> tuple[First, int]:
    """GET ``path`` on a fresh connection; return the first-answer record and the body size."""
    started = time.perf_counter()
    try:
        answer = call(
            api.port, "GET", path, headers={**AUTH, **(headers or {})}, timeout=REQUEST_TIMEOUT_S
        )
    except OSError:
        return First((time.perf_counter() - started) * 1000, None), 0
    ms = (time.perf_counter() - started) * 1000
    get = answer.headers.get
    first = First(
        ms, answer.status, get("X-Cache", ""), get("X-Cache-Age", ""), get("Retry-After", "")
    )
    return first, len(answer.body)


def lookup_path(clients: int, rng: random.Random) -> str:
    """Return a lookup by a random service id."""
    return f"/api/v1/clients/by-service-id/{rng.randint(1, clients)}"


def search_path(rng: random.Random) -> str:
    """Return a search for one of a few common terms."""
    return f"/api/v1/clients/search?q={quote(rng.choice(SEARCHES))}"


def wait_live(api: Gunicorn, timeout: float = LIVE_TIMEOUT_S) -> float:
    """Wait until the port answers ``GET /health``; return the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = api.probe("/health")
        if answer is not None and answer.status == 200:
            return time.monotonic()
        time.sleep(0.01)
    raise StackError(f"gunicorn did not answer /health within {timeout:g} s")


@dataclass
class Sampler:
    """A probe on a fixed schedule (every ``tick``) in a thread of its own."""

    api: Gunicorn
    probe: str
    path: Callable[[], str]
    tick: float
    samples: list[Sample] = field(default_factory=list)

    def run(self, until: float) -> None:
        """Sample until ``until`` (monotonic); a late answer delays, never skips, the next."""
        due = time.monotonic()
        while due < until:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            first, _ = timed(self.api, self.path())
            self.samples.append(Sample(self.probe, first.ms, first.status, first.cache))
            due = max(due + self.tick, time.monotonic() - self.tick)


def sample_both(api: Gunicorn, clients: int, seconds: float, tick: float) -> list[Sampler]:
    """Run the search and the lookup samplers together for ``seconds``."""
    rng_search, rng_lookup = random.Random(1), random.Random(2)
    samplers = [
        Sampler(api, "search", lambda: search_path(rng_search), tick),
        Sampler(api, "lookup", lambda: lookup_path(clients, rng_lookup), tick),
    ]
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=s.run, args=(until,), daemon=True) for s in samplers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT_S + 5)
    return samplers


# --- memory and refreshes ------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    """Return a process's VmRSS in MiB from /proc (0.0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Watcher:
    """A thread that counts new snapshots (the pointer on disk) and samples RSS."""

    def __init__(self, api: Gunicorn, pointer: Path) -> None:
        self.api, self.pointer = api, pointer
        self.versions = 0
        self.workers: dict[int, float] = {}
        self.builder_max = 0.0
        self.worker_max = 0.0  # the largest worker's RSS at any sample (an adoption's peak)
        self.trail: list[float] = []  # the largest worker's RSS as each new snapshot appears
        self._last = self._read()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _read(self) -> bytes:
        try:
            return self.pointer.read_bytes()
        except OSError:
            return b""

    def _run(self) -> None:
        next_rss = 0.0
        while not self._stop.is_set():
            current = self._read()
            if current and current != self._last:
                largest = max(self.sample().values(), default=0.0)
                with self._lock:
                    self.versions += 1
                    self.trail.append(largest)
                self._last = current
            if time.monotonic() >= next_rss:
                self.sample()
                next_rss = time.monotonic() + RSS_EVERY_S
            self._stop.wait(POINTER_EVERY_S)

    def sample(self) -> dict[int, float]:
        """Read every worker's RSS now, and any builder's (a worker's child)."""
        workers = {pid: rss_mib(pid) for pid in self.api.worker_pids()}
        builders = [rss_mib(child) for pid in workers for child in child_pids(pid)]
        with self._lock:
            self.workers = {pid: rss for pid, rss in workers.items() if rss > 0}
            self.builder_max = max([self.builder_max, *builders])
            self.worker_max = max([self.worker_max, *workers.values()])
            return dict(self.workers)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def wait_versions(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` new snapshots were seen; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.versions >= count:
                return True
            time.sleep(0.05)
        return False


# --- one size and mode -------------------------------------------------------------------------


@dataclass
class Run:
    """What one size and mode needs: the sandbox, Redis, where its files go, the options."""

    args: argparse.Namespace
    sandbox: Sandbox
    redis: RedisServer | None
    clients: int
    logs: Path
    deadline: float
    prefix: str = field(default_factory=lambda: f"scale-{uuid.uuid4().hex[:8]}:")

    @property
    def mode(self) -> str:
        return "Redis" if self.redis else "SimpleCache"

    @property
    def state_dir(self) -> Path:
        return self.logs / "state"

    def env(self, ttl: int) -> dict[str, str]:
        """Return the API's environment: the sandbox, 2 workers, the TTL, the shared state."""
        env = {
            "WEB_CONCURRENCY": str(self.args.workers),
            "APP_ENV": "development",
            "WISPHUB_NET_HOST": self.sandbox.url,
            "WISPHUB_NET_KEY": self.sandbox.api_key,
            "WISPHUB_INTERNAL_API_KEY": KEY,
            "CLIENTS_CACHE_TTL": str(ttl),
            "STATE_DIR": str(self.state_dir),
            "CACHE_KEY_PREFIX": self.prefix,
        }
        if self.redis:
            env["CACHE_REDIS_URL"] = self.redis.url
        return env


def first_pair(api: Gunicorn, run: Run, rng: random.Random) -> tuple[First, First]:
    """Send the first lookup and the first search at once; return both answers."""
    results: dict[str, First] = {}

    def one(name: str, path: str) -> None:
        results[name] = timed(api, path)[0]

    paths = {"lookup": lookup_path(run.clients, rng), "search": search_path(rng)}
    threads = [threading.Thread(target=one, args=item, daemon=True) for item in paths.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT_S + 5)
    missing = First(REQUEST_TIMEOUT_S * 1000, None)
    return results.get("lookup", missing), results.get("search", missing)


def cold_phase(run: Run, row: ScaleRow, stack: ExitStack) -> Gunicorn:
    """Start on a fresh STATE_DIR and time the first lookup and search; leave it ready."""
    before = run.sandbox.stats()["by_page"]
    api = Gunicorn(run.logs, run.env(run.args.ttl), name="api-cold")
    stack.callback(api.stop)
    started = time.monotonic()
    api.start(wait=False)
    wait_live(api)
    row.cold_lookup, row.cold_search = first_pair(api, run, random.Random(3))
    api.wait_ready(READY_TIMEOUT_S, streak=10)
    row.cold_ready_s = time.monotonic() - started
    row.cold_lookup_upstream = filtered_calls(page_delta(before, run.sandbox.stats()["by_page"]))
    progress(
        f"{run.clients:,} {run.mode}: cold lookup {row.cold_lookup.describe()}, "
        f"search {row.cold_search.describe()}, ready after {row.cold_ready_s:.1f} s"
    )
    return api


def paging_phase(api: Gunicorn, run: Run, row: ScaleRow) -> None:
    """Time list pages of 100 against the full list, plain and gzip, and record the sizes."""
    rng = random.Random(4)
    pages = []
    for _ in range(PAGES):
        offset = rng.randrange(0, max(1, run.clients - 100))
        pages.append(timed(api, f"/api/v1/clients/?limit=100&offset={offset}")[0].ms)
    plain, gzip = [], []
    for _ in range(FULL_REPEATS):
        first, row.plain_bytes = timed(api, "/api/v1/clients/")
        plain.append(first.ms)
        first, row.gzip_bytes = timed(api, "/api/v1/clients/", {"Accept-Encoding": "gzip"})
        gzip.append(first.ms)
    row.page_ms = summarise(Sample("page", ms, 200) for ms in pages).p50
    row.full_plain_ms = summarise(Sample("full", ms, 200) for ms in plain).p50
    row.full_gzip_ms = summarise(Sample("gzip", ms, 200) for ms in gzip).p50


def stall_phase(api: Gunicorn, run: Run, row: ScaleRow) -> None:
    """Sample search and lookups while the snapshot refreshes at the TTL; count listings."""
    window = window_for(run.clients, run.args)
    watcher = Watcher(api, run.state_dir / "clients.current").start()
    before = run.sandbox.stats()["by_page"]
    try:
        samplers = sample_both(api, run.clients, window, run.args.tick)
    finally:
        watcher.stop()
    row.window_s, row.ttl = window, run.args.ttl
    row.listings = listings(page_delta(before, run.sandbox.stats()["by_page"]))
    row.refreshes_in_window = watcher.versions
    row.search = summarise(samplers[0].samples)
    row.lookup = summarise(samplers[1].samples)
    workers = watcher.sample()
    row.rss_warm_mib = max(workers.values(), default=None)
    if watcher.versions < 2:
        row.notes.append(f"only {watcher.versions} refreshes in the {window:g} s window")
    progress(
        f"{run.clients:,} {run.mode}: {window:g} s, {watcher.versions} refreshes, "
        f"{row.listings} listings; search p99 {row.search.p99:.1f} max {row.search.max:.0f} ms, "
        f"lookup p99 {row.lookup.p99:.1f} max {row.lookup.max:.0f} ms"
    )


def warm_phase(run: Run, row: ScaleRow, stack: ExitStack) -> Gunicorn:
    """Start again on the same STATE_DIR with the memory phase's TTL; time the first answers."""
    api = Gunicorn(run.logs, run.env(run.args.refresh_ttl), name="api-warm")
    stack.callback(api.stop)
    api.start(wait=False)
    wait_live(api)
    rng = random.Random(5)
    row.warm_lookup = timed(api, lookup_path(run.clients, rng))[0]
    row.warm_search = timed(api, search_path(rng))[0]
    followers = [
        timed(api, lookup_path(run.clients, rng) if i % 2 else search_path(rng))[0]
        for i in range(WARM_FOLLOWERS)
    ]
    row.warm_max_ms = max(f.ms for f in (row.warm_lookup, row.warm_search, *followers))
    progress(
        f"{run.clients:,} {run.mode}: restart, first lookup {row.warm_lookup.describe()}, "
        f"search {row.warm_search.describe()}, worst of {WARM_FOLLOWERS + 2} "
        f"{row.warm_max_ms:.0f} ms"
    )
    return api


def memory_phase(api: Gunicorn, run: Run, row: ScaleRow) -> None:
    """Run until --refreshes new snapshots exist; RSS at the first one and after the last."""
    watcher = Watcher(api, run.state_dir / "clients.current").start()
    row.refresh_ttl = run.args.refresh_ttl
    try:
        bound = min(run.args.memory_budget, max(1.0, run.deadline - time.monotonic()))
        ends = time.monotonic() + bound
        if not watcher.wait_versions(1, bound):
            row.notes.append("no refresh in the memory phase")
            return
        time.sleep(1.0)
        start = watcher.sample()
        done = watcher.wait_versions(run.args.refreshes + 1, max(0.0, ends - time.monotonic()))
        time.sleep(1.0)  # the last adoption settles in both workers
        end = watcher.sample()
    finally:
        watcher.stop()
    row.refreshes = watcher.versions - 1
    if not done:
        row.notes.append(
            f"memory phase stopped after {row.refreshes} of {run.args.refreshes} refreshes "
            f"(its {run.args.memory_budget:g} s bound)"
        )
    row.rss_start_mib = max(start.values(), default=None)
    row.rss_end_mib = max(end.values(), default=None)
    growths = [growth_pct(start[pid], end[pid]) for pid in start if pid in end]
    known = [g for g in growths if g is not None]
    row.rss_growth_pct = max(known) if known else None
    row.builder_rss_mib = watcher.builder_max or None
    row.rss_trail = [*watcher.trail[1:], row.rss_end_mib or 0.0]
    progress(
        f"{run.clients:,} {run.mode}: {row.refreshes} refreshes at TTL {run.args.refresh_ttl} s, "
        f"RSS {row.rss_start_mib} → {row.rss_end_mib} MiB, builder {row.builder_rss_mib} MiB"
    )
    progress(
        f"{run.clients:,} {run.mode}: largest worker's RSS (MiB) after each refresh: "
        + ", ".join(f"{rss:.0f}" for rss in row.rss_trail)
        + f"; highest seen {watcher.worker_max:.0f}"
    )


HOSTS_TTL = 4
HOSTS_WINDOW_S = 20.0


def hosts_phase(run: Run) -> HostsRow:
    """Two hosts on one sandbox, cold, then a window at a short TTL: count the listings."""
    with ExitStack() as stack:
        hosts, watchers = [], []
        prefix = f"scale-{uuid.uuid4().hex[:8]}:"  # a cold deployment, with Redis too
        for name in ("host-a", "host-b"):
            env = {**run.env(HOSTS_TTL), "STATE_DIR": str(run.logs / f"{name}-state")}
            env["CACHE_KEY_PREFIX"] = prefix
            api = Gunicorn(run.logs, env, name=name)
            stack.callback(api.stop)
            hosts.append(api.start(wait=False))
        for api in hosts:
            api.wait_ready(READY_TIMEOUT_S, streak=5)
        before = run.sandbox.stats()["by_page"]
        for name, api in zip(("host-a", "host-b"), hosts, strict=True):
            watcher = Watcher(api, run.logs / f"{name}-state" / "clients.current").start()
            stack.callback(watcher.stop)
            watchers.append(watcher)
        time.sleep(HOSTS_WINDOW_S)
        count = listings(page_delta(before, run.sandbox.stats()["by_page"]))
        snapshots = (watchers[0].versions, watchers[1].versions)
    row = HostsRow(run.clients, run.mode, HOSTS_TTL, HOSTS_WINDOW_S, count, snapshots)
    progress(f"{run.clients:,} {run.mode}: two hosts, {count} listings, snapshots {snapshots}")
    return row


def measure(run: Run) -> ScaleRow:
    """Run every phase of one size and mode and return its row."""
    row = ScaleRow(clients=run.clients, mode=run.mode, ttl=run.args.ttl)
    with ExitStack() as stack:
        if run.args.phases == "memory":
            api = Gunicorn(run.logs, run.env(run.args.refresh_ttl), name="api-memory")
            stack.callback(api.stop)
            api.start(wait=False)
            api.wait_ready(READY_TIMEOUT_S, streak=5)
            memory_phase(api, run, row)
            return row
        api = cold_phase(run, row, stack)
        paging_phase(api, run, row)
        stall_phase(api, run, row)
        api.stop()
        api = warm_phase(run, row, stack)
        memory_phase(api, run, row)
    return row


def sizes(text: str) -> Iterator[int]:
    """Parse "1500,10000" into client counts."""
    for item in text.split(","):
        if item.strip():
            yield int(item.replace("_", "").strip())


def measure_all(
    args: argparse.Namespace, deadline: float
) -> tuple[list[ScaleRow], list[HostsRow], list[str]]:
    """Run every size and mode (and the two-host check at the small sizes).

    Return the rows, the two-host rows and notes (what the time bound left out).
    """
    if args.phases not in ("all", "memory"):
        raise SystemExit("--phases takes all or memory")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"simple", "redis"}:
        raise SystemExit("--modes takes simple and/or redis")
    rows: list[ScaleRow] = []
    hosts: list[HostsRow] = []
    notes: list[str] = []
    with ExitStack() as stack:
        redis = None
        if "redis" in modes:
            redis = RedisServer().start()
            stack.callback(redis.stop)
        for clients in sizes(args.sizes):
            if time.monotonic() > deadline:
                notes.append(f"{clients:,} clients not measured: past --budget-s")
                continue
            logs = args.logs / f"{clients}"
            sandbox = Sandbox(
                clients=clients,
                latency_ms=args.latency_ms,
                per_row_ms=args.per_row_ms,
                max_limit=args.page_size,
                log_path=fresh_dir(logs) / "sandbox.log",
            ).start()
            try:
                for mode in modes:
                    run_logs = fresh_dir(logs / mode)
                    shared = redis if mode == "redis" else None
                    run = Run(args, sandbox, shared, clients, run_logs, deadline)
                    rows.append(measure(run))
                    if clients <= args.two_hosts_max and args.phases == "all":
                        hosts.append(hosts_phase(run))
            finally:
                sandbox.stop()
    return rows, hosts, notes


def fresh_dir(path: Path) -> Path:
    """Return ``path`` as an empty directory (what an earlier run left there removed)."""
    if path.exists():
        for old in sorted(path.rglob("*"), reverse=True):
            if old.is_dir() and not old.is_symlink():
                old.rmdir()
            else:
                old.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def stop_on_signals() -> dict[int, object]:
    """Turn SIGTERM and SIGINT into SystemExit, so every process started is stopped on the way out.

    A background job of a non-interactive shell ignores SIGINT, and SIGTERM would end Python
    without unwinding: either way the sandbox, gunicorn and redis-server would be left running.
    """

    def leave(number: int, _frame: object) -> None:
        raise SystemExit(128 + number)

    return {number: signal.signal(number, leave) for number in (signal.SIGTERM, signal.SIGINT)}


def main(argv: list[str] | None = None) -> int:
    """Run every size and mode, print the table and write the report."""
    args = parse_args(argv)
    in_main = threading.current_thread() is threading.main_thread()
    previous = stop_on_signals() if in_main else {}
    try:
        return run_and_report(args, argv)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]


def run_and_report(args: argparse.Namespace, argv: list[str] | None) -> int:
    """Measure, print the table, and write the report unless --no-write."""
    machine = describe()
    started = time.monotonic()
    progress(f"load average at start {machine.load_average}")
    rows, hosts, notes = measure_all(args, started + args.budget_s)
    load_end = load_average()
    lines = render_table(rows) + [""] + (render_hosts(hosts) if hosts else [])
    print("\n".join(lines))
    progress(f"load average at end {load_end}; {(time.monotonic() - started) / 60:.1f} min")
    if not args.no_write:
        settings = {
            **({"Measured": args.label} if args.label else {}),
            "Sandbox": f"latency {args.latency_ms} ms a call, {args.per_row_ms:g} ms per row, "
            f"pages of {args.page_size}",
            "API": f"`gunicorn -c gunicorn.conf.py`, {args.workers} gevent workers, every "
            "other setting at its default",
            "Refresh stall": f"CLIENTS_CACHE_TTL={args.ttl} (refresh ahead at 0.8 of it); a "
            f"search and a lookup by a random id every {args.tick * 1000:g} ms each, on fresh "
            "connections, each on its own schedule (a late answer delays the next); window "
            "per row in the Listings column",
            "Warm restart": "gunicorn stopped, started on the same STATE_DIR (and Redis); the "
            "first lookup, then the first search, as soon as `GET /health` answers",
            "Truly cold": "fresh STATE_DIR and Redis key prefix; the first lookup and search "
            "sent together as soon as `GET /health` answers",
            "Memory": f"the restarted server with CLIENTS_CACHE_TTL={args.refresh_ttl} (short, "
            f"to fit {args.refreshes} refreshes in the run); VmRSS of each worker at the first "
            "new snapshot and after the last, the worst worker shown; the builder is a "
            f"worker's child, sampled every {RSS_EVERY_S:g} s",
            "Listings": "first pages (offset 0, no filter) of /api/clientes/ at the sandbox "
            "during the stall window, one host; new snapshots counted by the pointer on disk",
            "Two hosts": f"at sizes up to {args.two_hosts_max:,}: two gunicorns ({args.workers} "
            f"workers each, STATE_DIRs of their own, one Redis key prefix in Redis mode) started "
            f"cold on one sandbox with CLIENTS_CACHE_TTL={HOSTS_TTL}, then a "
            f"{HOSTS_WINDOW_S:g} s window",
        }
        given = sys.argv[1:] if argv is None else argv
        command = " ".join(["python -m benchmarks.scale", shlex.join(given)]).strip()
        report = render_report(
            rows,
            machine,
            command=command,
            settings=settings,
            load_end=load_end,
            wall_s=time.monotonic() - started,
            hosts=hosts,
            notes=notes,
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        tail = kept_tail(old)
        args.out.write_text(report + ("\n" + tail if tail else ""), encoding="utf-8")
        progress(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
