"""The production fault probe of issue 11, run again: what was sent, what failed, what was lost.

    .venv/bin/python -m benchmarks.faults          # about 2 minutes; prints Markdown table rows

Loopback only. It starts a sandbox with no latency, a private redis-server on a free port (the
one it kills and freezes; stopped by its PID), and the API under gunicorn with 2 gevent workers
and every default (`benchmarks.stack`), then runs each probe of the issue's table in turn: the
concurrency probes and the edges while Redis is healthy, then Redis frozen for 12 s, then Redis
killed; then an API started while Redis is unreachable, and one started while WispHub answers
429. It prints one row per probe (docs/reliability.md keeps them), each naming the test that
guards it. Nothing here is a test: the tests assert; this measures.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from benchmarks.burst import Reply, Request, burst
from benchmarks.floods import flood, raise_open_files
from benchmarks.stack import Gunicorn, Sandbox, call, free_port
from benchmarks.stack.redis import RedisServer

KEY = "faults-" + uuid.uuid4().hex[:12]
AUTH = {"X-API-Key": KEY}
JSON = {**AUTH, "Content-Type": "application/json"}
READS = (
    "/api/v1/clients/",
    "/api/v1/clients/search?q=Esperanza",
    "/api/v1/clients/by-service-id/7",
    "/api/v1/clients/?limit=10&offset=20",
    "/api/v1/internet-plans/",
)
VALID = json.dumps({"address": "BELLAVISTA", "internet_plan_price": 40000.0}).encode()
HUNG_S = 12.0
KILLED_S = 10.0
VISIBLE_WITHIN_S = 1.0


@dataclass(frozen=True, slots=True)
class Row:
    """One probe: the issue's finding, and what was sent, failed and lost this time."""

    probe: str
    seen: str
    sent: str
    failed: str
    lost: str
    guard: str

    def markdown(self) -> str:
        """Return the row as a Markdown table line."""
        cells = (self.probe, self.seen, self.sent, self.failed, self.lost, self.guard)
        return "| " + " | ".join(cells) + " |"


HEADER = (
    "| Probe | Seen at the probe | Sent now | Failed now | Lost now | Proven by |\n"
    "|---|---|---|---|---|---|"
)


def statuses(counts: Counter) -> str:
    """Describe a count of statuses: "200 x 98, 503 x 2"."""
    return ", ".join(f"{status} x {count:,}" for status, count in sorted(counts.items(), key=str))


def failures(counts: Counter) -> int:
    """Count what was not a 2xx (no answer included)."""
    return sum(n for s, n in counts.items() if not (isinstance(s, int) and 200 <= s < 300))


def api_env(sandbox: Sandbox, redis_url: str | None, **extra: str) -> dict[str, str]:
    """Return the production settings of the probe: 2 workers, Redis when given, defaults."""
    env = {
        "WEB_CONCURRENCY": "2",
        "APP_ENV": "development",
        "WISPHUB_NET_HOST": sandbox.url,
        "WISPHUB_NET_KEY": sandbox.api_key,
        "WISPHUB_INTERNAL_API_KEY": KEY,
        "CACHE_KEY_PREFIX": f"faults-{uuid.uuid4().hex[:8]}:",
        **extra,
    }
    if redis_url:
        env["CACHE_REDIS_URL"] = redis_url
    return env


def get(api: Gunicorn, path: str) -> int | None:
    """GET ``path`` on a fresh connection; None when nothing answered."""
    try:
        return call(api.port, "GET", path, headers=AUTH, timeout=10).status
    except OSError:
        return None


def verify(api: Gunicorn) -> tuple[int | None, str]:
    """Verify client 7 with valid claims; return the status and the error code."""
    try:
        answer = call(api.port, "POST", "/api/v1/clients/7/verify", headers=JSON, body=VALID)
    except OSError:
        return None, "no answer"
    return answer.status, "" if answer.status == 200 else answer.json().get("code", "")


def timed(action: Callable[[], object]) -> float:
    """Return the seconds ``action`` took."""
    started = time.monotonic()
    action()
    return time.monotonic() - started


def read_for(api: Gunicorn, seconds: float) -> tuple[Counter, Counter, float]:
    """Read every route and verify, for ``seconds``; return read and verify counts, slowest."""
    reads, checks, slowest = Counter(), Counter(), 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in READS:
            started = time.monotonic()
            reads[get(api, path)] += 1
            slowest = max(slowest, time.monotonic() - started)
        started = time.monotonic()
        status, code = verify(api)
        checks[f"{status} {code}".strip()] += 1
        slowest = max(slowest, time.monotonic() - started)
    return reads, checks, slowest


def until_verified(api: Gunicorn, limit: float = 30.0) -> float:
    """Return the seconds until a valid verification answers 200 again."""
    started = time.monotonic()
    while verify(api)[0] != 200 and time.monotonic() - started < limit:
        time.sleep(0.1)
    return time.monotonic() - started


def state_changes(api: Gunicorn, since: int = 0) -> int:
    """Count the shared-state lines the workers logged after the first ``since`` log entries."""
    entries = api.log_entries()[since:]
    return sum(1 for e in entries if e.get("logger") == "wisphub_api.state")


def tracebacks(api: Gunicorn) -> int:
    """Count the logged tracebacks."""
    return sum(1 for e in api.log_entries() if "Traceback" in str(e.get("exc", "")))


def readiness(api: Gunicorn) -> str:
    """Describe `/health/ready`: its status, and what it names as degraded."""
    answer = call(api.port, "GET", "/health/ready")
    body = answer.json()
    return f"`/health/ready` {answer.status} `{body.get('status')}` {body.get('degraded')}"


# -- Redis healthy: concurrency --------------------------------------------------------------
def lookups(sandbox: Sandbox, count: int) -> list[Request]:
    """Return ``count`` lookups by id, document and phone over the first 100 clients."""
    rows = sandbox.get("/api/clientes/", params={"limit": 100}).json()["results"]
    kinds = [
        Request("GET", f"/api/v1/clients/by-service-id/{r['id_servicio']}", AUTH) for r in rows
    ]
    kinds += [
        Request("GET", f"/api/v1/clients/by-document/{r['cedula']}", AUTH)
        for r in rows
        if r["cedula"]
    ]
    kinds += [
        Request("GET", f"/api/v1/clients/by-phone/{quote(r['telefono'].split(',')[0])}", AUTH)
        for r in rows
        if r["telefono"]
    ]
    return [kinds[i % len(kinds)] for i in range(count)]


def mixed(sandbox: Sandbox, count: int) -> list[Request]:
    """Return ``count`` requests: lookups, searches, list pages and valid verifications."""
    rows = sandbox.get("/api/clientes/", params={"limit": 50}).json()["results"]
    kinds = []
    for row in rows:
        sid = row["id_servicio"]
        claims = {"address": row["direccion"], "internet_plan_price": float(row["precio_plan"])}
        check = Request("POST", f"/api/v1/clients/{sid}/verify", JSON, json.dumps(claims).encode())
        kinds += [
            Request("GET", f"/api/v1/clients/by-service-id/{sid}", AUTH),
            check,
            Request("GET", f"/api/v1/clients/search?q={quote(row['nombre'])}", AUTH),
            check,
            Request("GET", f"/api/v1/clients/?limit=10&offset={sid}", AUTH),
            check,
        ]
    return [kinds[i % len(kinds)] for i in range(count)]


def judge_burst(api: Gunicorn, requests: list[Request]) -> tuple[Counter, int, float]:
    """Send ``requests`` at once; return the statuses, the wrong answers and the seconds."""
    alone: dict[tuple[str, str, bytes], bytes] = {}
    for r in requests:
        if (r.method, r.path, r.body) not in alone:
            answer = call(api.port, r.method, r.path, headers=r.headers, body=r.body)
            alone[(r.method, r.path, r.body)] = answer.body
    started = time.monotonic()
    replies: list[Reply] = burst(api.port, requests, timeout=60)
    seconds = time.monotonic() - started
    counts = Counter(reply.status or reply.error for reply in replies)
    wrong = sum(
        1
        for r, reply in zip(requests, replies, strict=True)
        if reply.status == 200
        and json.loads(reply.body) != json.loads(alone[(r.method, r.path, r.body)])
    )
    return counts, wrong, seconds


def probe_lookups(api: Gunicorn, sandbox: Sandbox) -> Row:
    """300 lookups in flight at once."""
    counts, wrong, seconds = judge_burst(api, lookups(sandbox, 300))
    return Row(
        "300 concurrent lookups with Redis",
        "66 x 500 (`MaxConnectionsError`)",
        f"300 lookups by id, document and phone, all in flight at once on fresh connections "
        f"(answered within {seconds:.1f} s)",
        f"{failures(counts)} ({statuses(counts)})",
        f"{wrong} wrong answers",
        "`tests/test_redis_pool.py`",
    )


def probe_mixed(api: Gunicorn, sandbox: Sandbox) -> Row:
    """1,000 mixed requests in flight at once: 500 per worker."""
    counts, wrong, seconds = judge_burst(api, mixed(sandbox, 1000))
    return Row(
        "500 concurrent requests per worker with Redis (issue 11.2)",
        "(not probed)",
        f"1,000 at once over 2 workers, fresh connections: lookups, searches, list pages and "
        f"500 valid verifications (answered within {seconds:.1f} s)",
        f"{failures(counts)} ({statuses(counts)})",
        f"{wrong} wrong answers",
        "`tests/test_redis_pool.py`",
    )


def concurrent_puts(api: Gunicorn, first: int, count: int) -> dict[int, str]:
    """PUT a new address to ``count`` clients at once; return what was written."""
    tag = uuid.uuid4().hex[:6].upper()
    writes = {sid: f"VEREDA PROBADA {tag}{sid}" for sid in range(first, first + count)}
    barrier = threading.Barrier(count)

    def put(sid: int) -> int:
        barrier.wait(30)
        body = json.dumps({"address": writes[sid]}).encode()
        return call(api.port, "PUT", f"/api/v1/clients/{sid}", headers=JSON, body=body).status

    with ThreadPoolExecutor(max_workers=count) as pool:
        failed = [s for s in pool.map(put, writes) if s != 200]
    if failed:
        raise RuntimeError(f"PUTs failed: {Counter(failed)}")
    return writes


def missing(api: Gunicorn, writes: dict[int, str]) -> set[int]:
    """Return the writes some read does not show now (list, page, search, by id twice)."""
    listing = {
        c["service_id"]: c for c in json.loads(call(api.port, "GET", READS[0], headers=AUTH).body)
    }
    gone = set()
    for sid, address in writes.items():
        page = json.loads(
            call(api.port, "GET", f"/api/v1/clients/?offset={sid - 1}&limit=1", headers=AUTH).body
        )
        hits = json.loads(
            call(
                api.port,
                "GET",
                f"/api/v1/clients/search?q={quote(address.split()[-1])}",
                headers=AUTH,
            ).body
        )
        by_id = [
            json.loads(
                call(api.port, "GET", f"/api/v1/clients/by-service-id/{sid}", headers=AUTH).body
            )
            for _ in range(2)
        ]
        shown = [listing[sid]["address"], page[0]["address"], *(c["address"] for c in by_id)]
        if any(a != address for a in shown) or sid not in [h["service_id"] for h in hits]:
            gone.add(sid)
    return gone


def probe_puts(api: Gunicorn, sandbox: Sandbox, count: int, first: int) -> Row:
    """``count`` concurrent PUTs to different clients, then every read."""
    writes = concurrent_puts(api, first, count)
    written = time.monotonic()
    time.sleep(VISIBLE_WITHIN_S)
    began = time.monotonic() - written
    late = missing(api, writes)
    upstream = sum(
        sandbox.get(f"/api/clientes/{sid}/perfil/").json()["direccion"] == address
        for sid, address in writes.items()
    )
    return Row(
        f"{count} concurrent PUTs to different clients",
        "9 of 10 changes missing for ~4 min" if count == 10 else "(not probed)",
        f"{count} PUTs released together (2 workers sharing Redis); every read checked "
        f"{began:.1f} s later: the list, a page, a search and two lookups by id per client",
        f"{count - upstream} of {count} missing at WispHub",
        f"{len(late)} of {count} changes missing from some read",
        "`tests/test_writes_everywhere.py`",
    )


def probe_flood(api: Gunicorn) -> Row:
    """2,000 idle connections opened at once, then one ordinary request."""
    result = flood(api.port, 2000, "/api/v1/internet-plans/", AUTH, timeout=5.0)
    return Row(
        "2,000 idle keep-alive connections",
        "new requests timed out for ~70 s",
        f"{result.connected:,} idle connections opened at once directly to gunicorn, then one "
        f"`GET /api/v1/internet-plans/` on a new connection",
        f"none: {result.probe_status} in {result.probe_seconds:.2f} s"
        if result.probe_status == 200
        else f"the GET: {result.probe_status}",
        f"nothing ({result.still_open:,} idle connections still open)",
        "`tests/test_serving_floods.py`, `python -m benchmarks.floods`",
    )


# -- edges ------------------------------------------------------------------------------------
def raw(port: int, data: bytes) -> tuple[int | None, str, int]:
    """Send raw bytes; return the status, the content type and the body's length."""
    replies = burst(port, [Request("RAW", "", raw=data)], timeout=10)
    reply = replies[0]
    return reply.status, reply.headers.get("content-type", ""), len(reply.body)


def probe_edges(api: Gunicorn) -> list[Row]:
    """What gunicorn refuses, a mistyped route with a phone, and a repeated parameter."""
    cases = {
        "a 5,000-byte request line": b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "a 16 KB header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 16384 + b"\r\n\r\n",
        "a raw 0x01 byte in the path": b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    answers = {name: raw(api.port, data) for name, data in cases.items()}
    described = "; ".join(f"{name}: {s} `{t}` ({n} bytes)" for name, (s, t, n) in answers.items())
    before = len(api.logs())
    typo = call(api.port, "GET", "/api/v1/clients/by-telefono/321%20055%208179", headers=AUTH)
    time.sleep(0.2)
    logged = api.logs()[before:]
    leaks = [p for p in ("by-telefono", "055 8179", "055%208179", "3210558179") if p in logged]
    routes = re.findall(r'"route": ?"([^"]*)"', logged)
    twice = call(api.port, "GET", "/api/v1/clients/search?q=a&q=b", headers=AUTH)
    return [
        Row(
            "A request line over the limit, a 16 KB header, a raw invalid byte in the path",
            "gunicorn's **HTML** 414 / 431 / 400",
            "each once, raw, directly to gunicorn",
            f"none: {described}",
            "nothing",
            "`tests/test_serving_edges.py`, `tests/test_deploy_nginx_edges.py`",
        ),
        Row(
            "A mistyped route, `/clients/by-telefono/321 055 8179`",
            "the raw path, with the phone, in the access log",
            "one GET",
            f"none: {typo.status} `{typo.json().get('code')}`, logged as route "
            f"{', '.join(f'`{r}`' for r in routes) or '—'}",
            f"pieces of the phone or path in the log: {len(leaks)}",
            "`tests/test_serving_edges.py`",
        ),
        Row(
            "`?q=a&q=b`",
            "the second value dropped",
            "one `GET /api/v1/clients/search?q=a&q=b`",
            f"none: {twice.status} `{twice.json().get('code')}`, "
            f"errors {twice.json().get('errors')}",
            "nothing dropped silently",
            "`tests/test_reliability_input.py`",
        ),
    ]


# -- Redis in trouble -------------------------------------------------------------------------
def probe_hung(api: Gunicorn, redis: RedisServer) -> Row:
    """Redis frozen (SIGSTOP) for 12 s under a warm API."""
    since = len(api.log_entries())
    redis.signal(signal.SIGSTOP)
    try:
        reads, checks, slowest = read_for(api, HUNG_S)
    finally:
        redis.signal(signal.SIGCONT)
    back = until_verified(api)
    return Row(
        "Redis hung for 12 s",
        "every request waited 5 s, then 500",
        f"for {HUNG_S:g} s of SIGSTOP, one request at a time: {sum(reads.values()):,} reads over "
        f"5 routes and {sum(checks.values()):,} verifications; slowest answer "
        f"{slowest * 1000:.0f} ms",
        f"reads: {failures(reads)} ({statuses(reads)}); verifications: {statuses(checks)} "
        "(closed, by design)",
        f"nothing; verification 200 again {back:.1f} s after SIGCONT; "
        f"{state_changes(api, since)} state lines in the log (at most one per worker and change)",
        "`tests/test_redis_faults.py`",
    )


def probe_killed(api: Gunicorn, redis: RedisServer) -> Row:
    """Redis killed (SIGKILL) under a warm API, then started again on the same port."""
    since = len(api.log_entries())
    redis.signal(signal.SIGKILL)
    reads, checks, _slowest = read_for(api, KILLED_S)
    ready = readiness(api)
    redis.start()
    back = until_verified(api)
    return Row(
        "Redis killed under a warm API",
        "576 of 576 requests 500, `/health/ready` included; a traceback per request",
        f"for {KILLED_S:g} s after SIGKILL: {sum(reads.values()):,} reads over 5 routes and "
        f"{sum(checks.values()):,} verifications",
        f"reads: {failures(reads)} ({statuses(reads)}); verifications: {statuses(checks)} "
        f"(closed, by design); {ready}",
        f"nothing; verification 200 again {back:.1f} s after Redis restarted; "
        f"{tracebacks(api)} tracebacks, {state_changes(api, since)} state lines in the log "
        "(2 workers: down, up)",
        "`tests/test_redis_faults.py`",
    )


def probe_unreachable(work: Path, sandbox: Sandbox, stack: ExitStack) -> Row:
    """An API started while nothing listens at its Redis URL."""
    nothing = f"redis://127.0.0.1:{free_port()}/0"
    api = Gunicorn(work, api_env(sandbox, nothing), name="api-unreachable")
    stack.callback(api.stop)
    started = timed(lambda: api.start())
    reads, checks, _slowest = read_for(api, 3.0)
    ready = readiness(api)
    api.stop()
    return Row(
        "API started while Redis is unreachable",
        "every route but `/health` 500",
        f"start (ready in {started:.1f} s), then for 3 s: {sum(reads.values()):,} reads over "
        f"5 routes and {sum(checks.values()):,} verifications",
        f"reads: {failures(reads)} ({statuses(reads)}); verifications: {statuses(checks)} "
        f"(closed, by design); {ready}",
        "nothing",
        "`tests/test_redis_faults.py`",
    )


def probe_rate_limited(work: Path, sandbox: Sandbox, stack: ExitStack) -> Row:
    """An API started cold while WispHub answers 429 with Retry-After: 30."""
    sandbox.reset()
    sandbox.fault("rate_limited", retry_after=30)
    sandbox.reset_stats()
    env = api_env(sandbox, None)
    api = Gunicorn(work, env, name="api-429", ready_path="/health")
    stack.callback(api.stop)
    api.start()
    paths = [*READS[:3], "/api/v1/clients/by-document/1234567"]
    answers, slowest = [], 0.0
    for path in paths * 5:
        started = time.monotonic()
        answers.append(call(api.port, "GET", path, headers=AUTH))
        slowest = max(slowest, time.monotonic() - started)
    calls = sandbox.stats()["total"]
    api.stop()
    sandbox.reset()
    counts = Counter(f"{a.status} `{a.json().get('code')}`" for a in answers)
    retry_after = sorted({a.headers.get("Retry-After") or "none" for a in answers})
    return Row(
        "WispHub answering 429 on a cold start",
        "10 s waits, 3 calls per GET, 503 without `Retry-After`",
        f"an API started cold against `rate_limited` (Retry-After: 30); {len(answers)} GETs: "
        "the list, a search, lookups by id and by document, 5 each",
        f"{statuses(counts)} with `Retry-After` {', '.join(retry_after)}; slowest "
        f"{slowest * 1000:.0f} ms; {calls} upstream calls in all (warm-up included)",
        "nothing (no snapshot stored)",
        "`tests/test_reliability_rate_limit.py`, `tests/test_upstream_rate_limit.py`",
    )


@contextmanager
def warm_api(
    work: Path, sandbox: Sandbox, redis: RedisServer, stack: ExitStack
) -> Iterator[Gunicorn]:
    """Start the API with every default, 2 workers sharing ``redis``, both workers warm."""
    api = Gunicorn(work, api_env(sandbox, redis.url), name="api")
    stack.callback(api.stop)
    api.start()
    api.wait_ready(60, streak=20)
    try:
        yield api
    finally:
        api.stop()


def run(progress: Callable[[str], None]) -> list[Row]:
    """Run every probe in turn; return their rows."""
    if not raise_open_files(4000):
        raise SystemExit("the open-files limit is below 4,000 (ulimit -n)")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="faults-") as folder, ExitStack() as stack:
        work = Path(folder)
        sandbox = Sandbox(log_path=work / "sandbox.log", latency_ms="0", per_row_ms=0).start()
        stack.callback(sandbox.stop)
        redis = RedisServer().start()
        stack.callback(redis.stop)
        with warm_api(work, sandbox, redis, stack) as api:
            for name, probe in (
                ("lookups", lambda: [probe_lookups(api, sandbox)]),
                ("mixed", lambda: [probe_mixed(api, sandbox)]),
                ("puts 10", lambda: [probe_puts(api, sandbox, 10, 100)]),
                ("puts 50", lambda: [probe_puts(api, sandbox, 50, 200)]),
                ("flood", lambda: [probe_flood(api)]),
                ("edges", lambda: probe_edges(api)),
                ("hung", lambda: [probe_hung(api, redis)]),
                ("killed", lambda: [probe_killed(api, redis)]),
            ):
                progress(name)
                rows += probe()
        redis.stop()
        progress("unreachable")
        rows.append(probe_unreachable(work, sandbox, stack))
        progress("rate limited")
        rows.append(probe_rate_limited(work, sandbox, stack))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the probe and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__)
    parser.parse_args(argv)
    started = time.monotonic()
    rows = run(lambda name: print(f"[faults {time.strftime('%H:%M:%S')}] {name}", flush=True))
    print(f"\n{HEADER}")
    for row in rows:
        print(row.markdown())
    print(f"\n(all probes in {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
