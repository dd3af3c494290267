"""Helpers for tests of shared state: a settable clock and the Redis the tests may use."""

from __future__ import annotations

import os
from dataclasses import dataclass

# A database of its own, so that nothing the tests write meets a developer's data; keys are
# prefixed per test as well.
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/9"


def redis_url() -> str:
    """Return the Redis URL tests use (TEST_REDIS_URL, default a DB of its own on loopback)."""
    return os.environ.get("TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)


@dataclass
class FakeClock:
    """A clock that moves only when a test moves it."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now
