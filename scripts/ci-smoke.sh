#!/usr/bin/env bash
# CI smoke load test: the sandbox and the API under gunicorn on free ports, 30 s of the original
# scenario (`make loadtest-smoke`), gated on failed requests only. The launcher is
# benchmarks/stack (the one the tests and benchmarks use); this is its command-line entry point.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${VENV:-.venv}/bin/python" -m benchmarks.smoke
