"""Faults on demand (`/__fault`) and the random latency, error and stall model."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from gevent import sleep

from wisphub_api.sandbox.knobs import Knobs

MODES = (
    "ok",
    "error",
    "stall",
    "down",
    "slow",
    "invalid_json",
    "missing_fields",
    "short_count",
    "forbidden",
    "rate_limited",
)
FAULT_KEYS = frozenset({"mode", "path", "count", "delay", "retry_after"})
DEFAULT_RETRY_AFTER = 5  # seconds announced by the rate_limited fault unless told otherwise
STALL_POLL_SECONDS = 0.1  # how quickly a switch of fault mode releases held requests


@dataclass(slots=True)
class Fault:
    """The fault currently injected: a mode, the path prefix it hits and how many calls left."""

    mode: str = "ok"
    path: str = "/api/"
    count: int | None = None
    delay: float = 2.0
    retry_after: int = DEFAULT_RETRY_AFTER

    def describe(self) -> dict[str, Any]:
        """Describe the fault; retry_after only shows for the mode that uses it."""
        body = asdict(self)
        if self.mode != "rate_limited":
            del body["retry_after"]
        return body


def _retry_after(body: dict[str, Any]) -> int:
    value = body.get("retry_after", DEFAULT_RETRY_AFTER)
    if type(value) is not int or value < 0:
        raise ValueError("retry_after must be a non-negative integer of seconds")
    return value


def _fault_from(body: dict[str, Any]) -> Fault:
    unknown = set(body) - FAULT_KEYS
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    mode = body.get("mode", "ok")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    path = body.get("path") or "/api/"
    count = body.get("count")
    if not isinstance(path, str) or (count is not None and (type(count) is not int or count < 1)):
        raise ValueError("path must be a string and count a positive integer")
    delay = body.get("delay", 2.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        raise ValueError("delay must be a non-negative number of seconds")
    return Fault(mode, path, count, float(delay), _retry_after(body))


class FaultControl:
    """Hold the injected fault; every explicit change bumps a generation that frees stalls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fault = Fault()
        self.generation = 0

    def set(self, body: dict[str, Any]) -> Fault:
        """Validate and install a fault (ValueError on a bad body)."""
        fault = _fault_from(body)
        with self._lock:
            self.fault, self.generation = fault, self.generation + 1
        return fault

    def clear(self) -> None:
        """Return to normal service and release every held request."""
        self.set({"mode": "ok"})

    def take(self, path: str) -> Fault | None:
        """Return the fault this call suffers, if any, consuming one of its `count`."""
        with self._lock:
            fault = self.fault
            if fault.mode == "ok" or not path.startswith(fault.path):
                return None
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    # Revert without a new generation: the call that used it up still stalls.
                    self.fault = Fault()
            return fault

    def snapshot(self) -> dict[str, Any]:
        """Describe the current fault for `GET /__fault`."""
        return self.fault.describe()

    def stall(self, seconds: float, generation: int) -> bool:
        """Hold the caller up to `seconds`; return True when a fault change released it early."""
        deadline = time.monotonic() + seconds
        while self.generation == generation:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            sleep(min(STALL_POLL_SECONDS, remaining))
        return True


class Chaos:
    """Draw latencies and random faults from an RNG of their own, apart from the dataset's."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def base_delay(self, knobs: Knobs) -> float:
        """Return this call's base latency in seconds."""
        low, high = knobs.latency_ms
        return self._rng.uniform(low, high) / 1000.0 if high > 0 else 0.0

    def random_mode(self, knobs: Knobs) -> str | None:
        """Return "error", "stall" or None, at the configured rates."""
        draw = self._rng.random()
        if draw < knobs.error_rate:
            return "error"
        if draw < knobs.error_rate + knobs.stall_rate:
            return "stall"
        return None
