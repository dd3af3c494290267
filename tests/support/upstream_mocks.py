"""Shared pieces of the `responses`-based upstream tests: constants, bodies and fixtures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers, registries

from wisphub_api.upstream import WispHubClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = "https://api.wisphub.test"
KEY = "Ab12Cd34.0123456789abcdefghijklmnopqrstuv"
LIST_URL = f"{BASE}/api/clientes/"
PERFIL_URL = f"{BASE}/api/clientes/1042/perfil/"
PLANS_URL = f"{BASE}/api/plan-internet/"
HEADERS = {"Authorization": f"Api-Key {KEY}", "Accept": "application/json"}


def fixture(name: str) -> dict[str, Any]:
    """Return one JSON body of tests/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def page_body() -> dict[str, Any]:
    """Return the realistic client page of tests/fixtures."""
    return fixture("clientes_page.json")


def one_row_page(service_id: int = 1042) -> dict[str, Any]:
    """Return a page holding only the fixture row of ``service_id``."""
    body = page_body()
    body["results"] = [r for r in body["results"] if r["id_servicio"] == service_id]
    body["count"] = len(body["results"])
    return body


def by_id(service_id: int = 1042) -> list[Any]:
    """Return the matcher of a lookup by service id."""
    return [matchers.query_param_matcher({"id_servicio": str(service_id), "limit": "300"})]


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    """Fake upstream HTTP; a stub that is never called fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def ordered() -> Iterator[responses.RequestsMock]:
    """Fake upstream HTTP answering registered responses in order (retry sequences)."""
    with responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=registries.OrderedRegistry
    ) as rsps:
        yield rsps


@pytest.fixture
def upstream() -> Iterator[WispHubClient]:
    """A client of the fake upstream, without retry sleeps."""
    client = WispHubClient(BASE, KEY, backoff=0)
    yield client
    client.close()
