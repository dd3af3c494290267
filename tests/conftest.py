"""Fixtures shared by the test suite: apps, clients, and a real sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wisphub_api import create_app
from wisphub_api.config import config_for_tests

pytest_plugins = ["tests.support.sandbox", "tests.support.upstream_mocks"]

API_KEY = "test-key"
AUTH = {"X-API-Key": API_KEY}


@pytest.fixture
def make_app(request) -> Iterator:
    """Return a factory of apps with testing settings; background loops stop after the test."""
    apps: list[Flask] = []

    def factory(**overrides) -> Flask:
        app = create_app(config_for_tests(**overrides))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["wisphub_api.services"].close()


@pytest.fixture
def app(make_app) -> Flask:
    """Return an app whose upstream is unreachable (for routes that need no upstream)."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of ``app``."""
    return app.test_client()


@pytest.fixture
def sandbox_app(make_app, sandbox_clean) -> Flask:
    """Return an app pointed at a freshly reset sandbox (no latency)."""
    return make_app(WISPHUB_NET_HOST=sandbox_clean.url, WISPHUB_NET_KEY=sandbox_clean.api_key)


@pytest.fixture
def api(sandbox_app: Flask) -> FlaskClient:
    """Return a test client of an app backed by the sandbox."""
    return sandbox_app.test_client()
