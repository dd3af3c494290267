# Benchmark and CI smoke load test of the whole stack (sandbox + gunicorn + Locust) on this machine.
# Included by the top-level Makefile. See docs/load-testing.md.

VENV ?= .venv
PY ?= $(VENV)/bin/python
# Extra options of benchmarks.bench, e.g. BENCH_ARGS="--duration 20 --users-high 200".
BENCH_ARGS ?=
# Extra options of benchmarks.scale, e.g. SCALE_ARGS="--sizes 1500 --window 20 --no-write".
SCALE_ARGS ?=

.PHONY: bench bench-scale bench-tools ci-smoke

bench-tools: ## Install wrk, the load generator of the saturation benchmark (root: apt-get)
	./scripts/install-bench-tools.sh

bench: install-dev bench-tools ## Benchmark the stack (~7 min): docs/benchmarks/latest.md (BENCH_ARGS=...); scale: bench-scale
	$(PY) -m benchmarks.bench $(BENCH_ARGS)

bench-scale: install-dev ## Scale table of issue 13 at 1,500/10,000/50,000 clients (~15 min): docs/benchmarks/scale.md (SCALE_ARGS=...)
	$(PY) -m benchmarks.scale $(SCALE_ARGS)

.PHONY: bench-per-request
bench-per-request: install-dev ## Per-request cost, API against the bare stack in one process (~15 s): its section of latest.md
	$(PY) -m benchmarks.per_request --write docs/benchmarks/latest.md

ci-smoke: install-dev ## Start sandbox + gunicorn on free ports, run loadtest-smoke against them, stop
	./scripts/ci-smoke.sh
