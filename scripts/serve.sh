#!/usr/bin/env bash
# Start the API under gunicorn; with no WISPHUB_NET_HOST, start the sandbox first and use it.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}

# The value a variable has in the environment, else in .env, else in .env.example (if asked).
setting() {
  local name=$1 fallback_file=${2:-}
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  for file in .env $fallback_file; do
    [ -f "$file" ] || continue
    local line
    line=$(grep -E "^${name}=" "$file" | tail -n 1 || true)
    if [ -n "${line#*=}" ]; then printf '%s' "${line#*=}"; return; fi
  done
}

sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

SANDBOX_PORT=$(setting SANDBOX_PORT)
SANDBOX_PORT=${SANDBOX_PORT:-8001}

if [ -z "$(setting WISPHUB_NET_HOST)" ]; then
  echo "WISPHUB_NET_HOST is not set: starting the WispHub Net sandbox on 127.0.0.1:${SANDBOX_PORT}"
  "$VENV/bin/python" -m wisphub_api.sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" &
  sandbox_pid=$!
  for _ in $(seq 1 100); do
    "$VENV/bin/python" - "$SANDBOX_PORT" 2>/dev/null <<'PY' && break || sleep 0.1
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/__health", timeout=1)
PY
  done
  export WISPHUB_NET_HOST="http://127.0.0.1:${SANDBOX_PORT}"
  export WISPHUB_NET_KEY
  WISPHUB_NET_KEY=$(setting WISPHUB_NET_KEY .env.example)
  # The sandbox and its demo keys are for development; production refuses the demo key. Only an
  # APP_ENV set in the environment overrides that (one in .env is meant for a real WispHub host).
  export APP_ENV=${APP_ENV:-development}
  echo "APP_ENV=${APP_ENV} (sandbox)"
fi
export WISPHUB_INTERNAL_API_KEY
WISPHUB_INTERNAL_API_KEY=$(setting WISPHUB_INTERNAL_API_KEY .env.example)
echo "WispHub API on http://localhost:${PORT:-8000} — send X-API-Key: ${WISPHUB_INTERNAL_API_KEY%%,*}"

"$VENV/bin/gunicorn" -c gunicorn.conf.py "wisphub_api:create_app()" &
gunicorn_pid=$!
wait "$gunicorn_pid"
