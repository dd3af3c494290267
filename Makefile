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

lint: install-dev ## Check style and formatting (ruff) and types (mypy): what pre-commit runs
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean: ## Remove caches and results (keeps .venv/)
	rm -rf .pytest_cache .ruff_cache .mypy_cache .coverage results

# Load tests need the dev tools (locust) installed first.
LOADTEST_DEPS = install-dev

-include mk/*.mk

# The MCP server for AI agents (wisphub_mcp, docs/mcp.md). It calls the API at WISPHUB_MCP_API_URL
# (default: `make serve` on :8000) with the bot key WISPHUB_MCP_API_KEY (environment, then .env,
# then the demo key of .env.example). MCP hosts that start it over stdio run
# `.venv/bin/python -m wisphub_mcp` themselves, so that make's own output never reaches stdout.
MCP_TRANSPORT ?= http

$(VENV)/.installed-mcp: requirements-mcp.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-mcp.txt
	touch $@

# The test suite runs the MCP server's tests too.
$(VENV)/.installed-dev: requirements-mcp.txt

.PHONY: install-mcp mcp

install-mcp: $(VENV)/.installed-mcp ## Install the MCP server's dependencies (the official MCP SDK)

mcp: install-mcp ## Start the MCP server for AI agents on :8002/mcp (MCP_TRANSPORT=stdio for stdio)
	@$(PY) -m wisphub_mcp --transport $(MCP_TRANSPORT) --env-file .env --env-file .env.example
