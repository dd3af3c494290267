"""CI smoke load test: the sandbox and the API under gunicorn, 30 s of the original scenario.

    .venv/bin/python -m benchmarks.smoke        (scripts/ci-smoke.sh, `make ci-smoke`)

Starts the WispHub Net sandbox (no latency: the smoke gates on failures, not speed) and the API
under gunicorn (gunicorn.conf.py, 2 gevent workers) on free ports with a one-off key, waits for 5
ready answers in a row, runs `make loadtest-smoke` against them, and stops both. Exits with the
load test's status; the whole run is bounded by SMOKE_BUDGET_S (85 s).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.stack import Gunicorn, Sandbox, StackError, start_process, stop_process

READY_STREAK = 5
READY_TIMEOUT_S = 20.0
KILL_GRACE_S = 5.0


def log(message: str) -> None:
    """Print one progress line."""
    print(f"[ci-smoke] {message}", flush=True)


def show_logs(api: Gunicorn | None, sandbox: Sandbox) -> None:
    """Print the last lines of gunicorn's and the sandbox's logs."""
    if api is not None:
        log("gunicorn log (last lines):")
        print("\n".join(api.logs().splitlines()[-20:]), file=sys.stderr)
    log("sandbox log (last lines):")
    print("\n".join(sandbox.stderr().splitlines()[-20:]), file=sys.stderr)


def run_load(api: Gunicorn, key: str, seconds: float) -> int:
    """Run `make loadtest-smoke` against ``api``, cut off after ``seconds``; return its status."""
    command = ["make", "--no-print-directory", "loadtest-smoke", f"HOST={api.url}"]
    env = {**os.environ, "WISPHUB_API_KEY": key}
    process = start_process(command, env=env)  # its own group: Locust goes with make
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        log("the load test overran the budget")
        stop_process(process, timeout=KILL_GRACE_S)
        return 124


def smoke(work: Path, budget: float) -> int:
    """Start the stack, run the load test, stop everything; return the exit status."""
    deadline = time.monotonic() + budget
    key = "smoke-" + secrets.token_hex(12)
    api: Gunicorn | None = None
    with Sandbox(log_path=work / "sandbox.log", latency_ms="0", per_row_ms=0) as sandbox:
        log(f"sandbox on {sandbox.url}")
        try:
            env = {
                "WEB_CONCURRENCY": "2",
                "APP_ENV": "development",
                "WISPHUB_NET_HOST": sandbox.url,
                "WISPHUB_NET_KEY": sandbox.api_key,
                "WISPHUB_INTERNAL_API_KEY": key,
            }
            api = Gunicorn(work, env, name="api").start(wait=False)
            log(f"API (gunicorn, 2 gevent workers) on {api.url}; waiting for /health/ready")
            api.wait_ready(READY_TIMEOUT_S, streak=READY_STREAK)
            log(f"ready; {deadline - time.monotonic():.0f} s left of the {budget:g} s budget")
            status = run_load(api, key, max(1.0, deadline - time.monotonic() - KILL_GRACE_S))
        except StackError as exc:
            log(f"the stack did not start: {exc}")
            status = 1
        finally:
            if api is not None:
                api.stop()
        if status != 0:
            show_logs(api, sandbox)
    log(f"load test exit status {status}")
    return status


def main() -> int:
    """Run the smoke test in a temporary directory."""
    budget = float(os.environ.get("SMOKE_BUDGET_S") or 85)
    with tempfile.TemporaryDirectory(prefix="ci-smoke-") as work:
        return smoke(Path(work), budget)


if __name__ == "__main__":
    raise SystemExit(main())
