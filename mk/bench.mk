# Benchmark and CI smoke load test of the whole stack (sandbox + gunicorn + Locust) on this machine.
# Included by the top-level Makefile. See docs/load-testing.md.

VENV ?= .venv
PY ?= $(VENV)/bin/python
# Extra options of benchmarks.bench, e.g. BENCH_ARGS="--duration 20 --users-high 200".
BENCH_ARGS ?=

.PHONY: bench ci-smoke

bench: install-dev ## Benchmark the stack (~7 min): writes docs/benchmarks/latest.md (BENCH_ARGS=...)
	$(PY) -m benchmarks.bench $(BENCH_ARGS)

.PHONY: bench-per-request
bench-per-request: install-dev ## Per-request cost, API against the bare stack in one process (~15 s): its section of latest.md
	$(PY) -m benchmarks.per_request --write docs/benchmarks/latest.md

ci-smoke: install-dev ## Start sandbox + gunicorn on free ports, run loadtest-smoke against them, stop
	./scripts/ci-smoke.sh
