# Load tests (Locust). Included by the top-level Makefile; every target needs a running API at HOST.
# Thresholds come from LOADTEST_MAX_FAILURES (0), LOADTEST_MAX_AVG_MS (50) and
# LOADTEST_MAX_CACHED_P95_MS (10); set one to "off" (or empty) to disable it.
# The API key comes from WISPHUB_API_KEY, else the first of WISPHUB_INTERNAL_API_KEY (environment,
# then .env, then .env.example).

VENV ?= .venv
PY ?= $(VENV)/bin/python
LOCUST ?= $(PY) -m locust

HOST ?= http://localhost:8000
USERS ?= 50
SPAWN_RATE ?= 5
RUN_TIME ?= 5m
LOCUSTFILE ?= loadtests/locustfiles/original.py
# Locust processes of `make loadtest`: -1 forks one per core and shares the users among them;
# 1 runs every user on one event loop, which limits the run before the API does (README).
PROCESSES ?= -1
RESULTS ?= results
WORKERS ?= 2
MASTER_HOST ?= 127.0.0.1
# Empty: the master runs headless and writes CSV/HTML; MASTER_UI=1: it serves the web UI instead.
MASTER_UI ?=
WEB_PORT ?= 8089
# Prerequisites of every target; the top-level Makefile may set it (e.g. to install-dev) first.
LOADTEST_DEPS ?=

# Locust takes several locustfiles as one comma-separated -f; a bare comma would split $(call).
comma := ,
LOADTEST_OUTPUT = --csv $(RESULTS)/$(1) --html $(RESULTS)/$(1).html --only-summary

# Run Locust headless ($(1): results prefix, $(2): further Locust options), then check its CSV.
# Both always run, so the verdict table is printed even when Locust's own gate already failed.
define loadtest_headless
	@mkdir -p $(RESULTS)
	@status=0; \
	$(LOCUST) --headless --host $(HOST) $(call LOADTEST_OUTPUT,$(1)) $(2) || status=$$?; \
	$(PY) -m loadtests.check_results $(RESULTS)/$(1)_stats.csv || status=1; \
	exit $$status
endef

.PHONY: loadtest loadtest-ui loadtest-master loadtest-worker loadtest-step loadtest-spike \
	loadtest-smoke

loadtest: $(LOADTEST_DEPS) ## Load-test HOST headless: original scenario, USERS/SPAWN_RATE/RUN_TIME; fails on a threshold
	$(call loadtest_headless,loadtest,-f $(LOCUSTFILE) -u $(USERS) -r $(SPAWN_RATE) -t $(RUN_TIME) \
		--processes $(PROCESSES))

loadtest-ui: $(LOADTEST_DEPS) ## Open Locust's web UI on :8089 (WEB_PORT), original scenario against HOST
	$(LOCUST) -f $(LOCUSTFILE) --host $(HOST) --web-port $(WEB_PORT)

loadtest-master: $(LOADTEST_DEPS) ## Distributed master: waits for WORKERS workers, runs headless (MASTER_UI=1: UI)
ifeq ($(strip $(MASTER_UI)),)
	$(call loadtest_headless,distributed,-f $(LOCUSTFILE) --master --expect-workers $(WORKERS) \
		-u $(USERS) -r $(SPAWN_RATE) -t $(RUN_TIME))
else
	$(LOCUST) -f $(LOCUSTFILE) --master --host $(HOST) --web-port $(WEB_PORT)
endif

loadtest-worker: $(LOADTEST_DEPS) ## Run a distributed worker connected to MASTER_HOST (start one per CPU core)
	$(LOCUST) -f $(LOCUSTFILE) --worker --master-host $(MASTER_HOST)

loadtest-step: $(LOADTEST_DEPS) ## Step load to find the breaking point (LOADTEST_STEP_*; see loadtests/README.md)
	$(call loadtest_headless,step,-f $(LOCUSTFILE)$(comma)loadtests/shapes/step_load.py)

loadtest-spike: $(LOADTEST_DEPS) ## Spike: baseline, burst, recovery (LOADTEST_SPIKE_*; see loadtests/README.md)
	$(call loadtest_headless,spike,-f $(LOCUSTFILE)$(comma)loadtests/shapes/spike.py)

# CI's smoke run: short, and gated on failed requests only, because shared CI machines are too noisy
# for latency limits. Setting LOADTEST_MAX_AVG_MS or LOADTEST_MAX_CACHED_P95_MS still applies them.
loadtest-smoke: USERS = 20
loadtest-smoke: SPAWN_RATE = 10
loadtest-smoke: RUN_TIME = 30s
loadtest-smoke: export LOADTEST_MAX_AVG_MS ?= off
loadtest-smoke: export LOADTEST_MAX_CACHED_P95_MS ?= off
loadtest-smoke: $(LOADTEST_DEPS) ## CI smoke: 30 s, 20 users, original scenario; gates on failed requests only
	$(call loadtest_headless,smoke,-f $(LOCUSTFILE) -u $(USERS) -r $(SPAWN_RATE) -t $(RUN_TIME))
