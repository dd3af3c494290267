#!/usr/bin/env bash
# CI smoke load test: start the WispHub Net sandbox (no latency) and the API under gunicorn
# (gunicorn.conf.py, 2 gevent workers) on free ports, wait for readiness, run
# `make loadtest-smoke` against them (30 s, original scenario, gated on failed requests only),
# then stop both. Exits with the load test's status; the whole script is bounded (SMOKE_BUDGET_S).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
BUDGET_S=${SMOKE_BUDGET_S:-85}   # everything, start to finish, stays under 90 s
STOP_WAIT_S=10                   # SIGTERM, then SIGKILL after this long
deadline=$((SECONDS + BUDGET_S))
work=$(mktemp -d)
sandbox_pid=""
api_pid=""

log() { echo "[ci-smoke] $*"; }

# True while the process runs (a zombie waiting to be reaped counts as stopped).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/stat" ] || return 0
  ! grep -q ') Z ' "/proc/$1/stat"
}

stop() {
  local pid=$1
  [ -n "$pid" ] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((STOP_WAIT_S * 10))); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop "$api_pid"
  stop "$sandbox_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

remaining() { echo $((deadline - SECONDS)); }

show_logs() {
  log "gunicorn error log (last lines):"
  tail -n 20 "$work/error.log" >&2 || true
  log "sandbox log (last lines):"
  tail -n 20 "$work/sandbox.err" >&2 || true
}

# 1. The sandbox, on a free port, with no latency: the smoke run gates on failures, not speed.
"$PY" -m wisphub_api.sandbox --host 127.0.0.1 --port 0 --latency-ms 0 --per-row-ms 0 \
  >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
sandbox_url=""
for _ in $(seq 1 100); do
  sandbox_url=$(sed -n 's/^WISPHUB SANDBOX listening on //p' "$work/sandbox.out")
  [ -n "$sandbox_url" ] && break
  alive "$sandbox_pid" || break
  sleep 0.1
done
if [ -z "$sandbox_url" ]; then log "the sandbox did not start"; show_logs; exit 1; fi
log "sandbox on $sandbox_url"

# 2. The API under gunicorn with the real configuration, on a free port, with a one-off key.
api_port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
api_key="smoke-$("$PY" -c 'import secrets; print(secrets.token_hex(12))')"
upstream_key=$("$PY" -c 'from wisphub_api.sandbox.options import DEMO_API_KEY; print(DEMO_API_KEY)')
PORT=$api_port WEB_CONCURRENCY=2 APP_ENV=development WISPHUB_NET_HOST=$sandbox_url \
  WISPHUB_NET_KEY=$upstream_key WISPHUB_INTERNAL_API_KEY=$api_key \
  "$VENV/bin/gunicorn" -c gunicorn.conf.py "wisphub_api:create_app()" \
  >"$work/access.log" 2>"$work/error.log" &
api_pid=$!
log "API (gunicorn, 2 gevent workers) on http://127.0.0.1:$api_port; waiting for /health/ready"

# 3. Ready: 5 answers 200 in a row from /health/ready, within 20 s.
if ! "$PY" - "$api_port" 20 <<'PY'
import sys, time, urllib.error, urllib.request

port, timeout = sys.argv[1], float(sys.argv[2])
deadline, streak = time.monotonic() + timeout, 0
while streak < 5 and time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as answer:
            streak = streak + 1 if answer.status == 200 else 0
    except (OSError, urllib.error.URLError):
        streak = 0
        time.sleep(0.2)
sys.exit(0 if streak >= 5 else 1)
PY
then
  log "the API was not ready within 20 s"; show_logs; exit 1
fi
log "ready; $(remaining) s left of the ${BUDGET_S} s budget"

# 4. The smoke load test, cut off if it overruns what is left of the budget.
status=0
WISPHUB_API_KEY=$api_key timeout --kill-after=5 "$(remaining)" \
  make --no-print-directory loadtest-smoke HOST="http://127.0.0.1:$api_port" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then log "the load test overran the budget"; fi
if [ "$status" -ne 0 ]; then show_logs; fi
log "load test exit status $status"
exit "$status"
