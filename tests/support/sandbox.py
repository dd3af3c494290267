"""The WispHub Net sandbox for tests: `SandboxProcess` and the pytest fixtures.

Use it from any test module through `pytest_plugins = ["tests.support.sandbox"]` (tests/conftest.py)
and ask for the `sandbox` fixture (session-wide, no latency, 1500 clients) or `sandbox_clean`
(the same process, reset before and after the test). The process itself is started and stopped by
the one launcher, `benchmarks.stack.Sandbox`; this adds what only tests call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from benchmarks.stack.sandbox import CONTROL_TIMEOUT_S, Sandbox

CONTROL_TIMEOUT_SECONDS = CONTROL_TIMEOUT_S


class SandboxProcess(Sandbox):
    """One `python -m wisphub_api.sandbox --port 0 ...` subprocess and its control plane."""

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST to an /api/ path with the sandbox's key; keyword arguments go to requests."""
        timeout = kwargs.pop("timeout", CONTROL_TIMEOUT_SECONDS)
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.post(self.url + path, headers=headers, timeout=timeout, **kwargs)

    def billing(self) -> dict[str, Any]:
        """Return `GET /__billing`: the promises, payment reports and payments written."""
        return self._control("GET", "/__billing")

    def clock(self) -> dict[str, Any]:
        """Return `GET /__clock`: the sandbox's today and now."""
        return self._control("GET", "/__clock")

    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.control(method, path, body)

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    """Serve one sandbox for the whole session: 1500 clients, no latency."""
    with SandboxProcess(latency_ms="0", per_row_ms=0) as process:
        yield process


@pytest.fixture
def sandbox_clean(sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    """Yield the session sandbox reset to its seed, and reset it again afterwards."""
    sandbox.reset()
    yield sandbox
    sandbox.reset()
