"""Faults on demand (`/__fault`) and the random latency, error and stall model."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from gevent import sleep

from wisphub_api.sandbox.options import SandboxOptions, parse_latency, parse_rate

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
)
STALL_POLL_SECONDS = 0.1  # how quickly a switch of fault mode releases held requests


@dataclass(slots=True)
class Fault:
    """The fault currently injected: a mode, the path prefix it hits and how many calls left."""

    mode: str = "ok"
    path: str = "/api/"
    count: int | None = None
    delay: float = 2.0


def _fault_from(body: dict[str, Any]) -> Fault:
    unknown = set(body) - {"mode", "path", "count", "delay"}
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
    return Fault(mode, path, count, float(delay))


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
        return asdict(self.fault)

    def stall(self, seconds: float, generation: int) -> bool:
        """Hold the caller up to `seconds`; return True when a fault change released it early."""
        deadline = time.monotonic() + seconds
        while self.generation == generation:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            sleep(min(STALL_POLL_SECONDS, remaining))
        return True


@dataclass(slots=True)
class Knobs:
    """Run-time behaviour knobs, started from the command line and changed by `/__latency`."""

    latency_ms: tuple[float, float]
    per_row_ms: float
    error_rate: float
    stall_rate: float
    stall_seconds: float

    @classmethod
    def from_options(cls, options: SandboxOptions) -> Knobs:
        """Take the knobs' starting values from the command line."""
        return cls(
            options.latency_ms,
            options.per_row_ms,
            options.error_rate,
            options.stall_rate,
            options.stall_seconds,
        )

    def update(self, body: dict[str, Any]) -> None:
        """Apply a `/__latency` body (ValueError on a bad one, leaving the knobs unchanged)."""
        unknown = set(body) - {
            "latency_ms",
            "per_row_ms",
            "error_rate",
            "stall_rate",
            "stall_seconds",
        }
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        latency = parse_latency(str(body.get("latency_ms", self._latency_text())))
        per_row = _non_negative(body.get("per_row_ms", self.per_row_ms), "per_row_ms")
        stall_seconds = _non_negative(
            body.get("stall_seconds", self.stall_seconds), "stall_seconds"
        )
        error_rate = parse_rate(body.get("error_rate", self.error_rate))
        stall_rate = parse_rate(body.get("stall_rate", self.stall_rate))
        self.latency_ms, self.per_row_ms, self.stall_seconds = latency, per_row, stall_seconds
        self.error_rate, self.stall_rate = error_rate, stall_rate

    def _latency_text(self) -> str:
        return f"{self.latency_ms[0]}-{self.latency_ms[1]}"

    def snapshot(self) -> dict[str, Any]:
        """Describe the knobs, latency as the "low-high" text the CLI takes."""
        low, high = self.latency_ms
        return {
            "latency_ms": f"{low:g}-{high:g}",
            "per_row_ms": self.per_row_ms,
            "error_rate": self.error_rate,
            "stall_rate": self.stall_rate,
            "stall_seconds": self.stall_seconds,
        }


def _non_negative(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    number = float(value)
    if number < 0:
        raise ValueError(f"{name} must not be negative")
    return number


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
