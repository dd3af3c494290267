# Entry points of the project. `make help` lists them.
VENV ?= .venv
PY ?= $(VENV)/bin/python
PIP ?= $(VENV)/bin/pip
PYTHON ?= python3

.DEFAULT_GOAL := help

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

.PHONY: help install install-dev serve sandbox test lint typecheck bench clean

help: ## List the make targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## Create .venv/ and install the runtime dependencies

install-dev: $(VENV)/.installed-dev ## Install the test, lint and load-test tools too

serve: install ## Start the API on :$PORT (8000); with no WISPHUB_NET_HOST, the sandbox too
	./scripts/serve.sh

sandbox: install ## Start only the WispHub Net sandbox on 127.0.0.1:8001
	$(PY) -m wisphub_api.sandbox --port 8001

test: install-dev ## Run the test suite (the command CI runs)
	$(PY) -m pytest

lint: install-dev ## Check style (ruff) and types (mypy)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean: ## Remove caches and results (keeps .venv/)
	rm -rf .pytest_cache .ruff_cache .mypy_cache .coverage results

# Load tests need the dev tools (locust) installed first.
LOADTEST_DEPS = install-dev

-include mk/*.mk
