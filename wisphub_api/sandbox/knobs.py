"""Run-time behaviour knobs: latency, random faults, task duration and the token bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wisphub_api.sandbox.options import SandboxOptions, parse_latency, parse_rate

KNOB_KEYS = frozenset(
    {
        "latency_ms",
        "per_row_ms",
        "error_rate",
        "stall_rate",
        "stall_seconds",
        "task_seconds",
        "rate_limit",
        "rate_limit_burst",
    }
)


@dataclass(slots=True)
class Knobs:
    """Run-time behaviour knobs, started from the command line and changed by `/__latency`."""

    latency_ms: tuple[float, float]
    per_row_ms: float
    error_rate: float
    stall_rate: float
    stall_seconds: float
    task_seconds: float = 3.0
    rate_limit: float = 0.0  # calls per second the token bucket refills; 0 turns it off
    rate_limit_burst: int = 10

    @classmethod
    def from_options(cls, options: SandboxOptions) -> Knobs:
        """Take the knobs' starting values from the command line."""
        return cls(
            options.latency_ms,
            options.per_row_ms,
            options.error_rate,
            options.stall_rate,
            options.stall_seconds,
            options.task_seconds,
            options.rate_limit,
            options.rate_limit_burst,
        )

    def update(self, body: dict[str, Any]) -> None:
        """Apply a `/__latency` body (ValueError on a bad one, leaving the knobs unchanged)."""
        unknown = set(body) - KNOB_KEYS
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        latency = parse_latency(str(body.get("latency_ms", self._latency_text())))
        per_row = _non_negative(body.get("per_row_ms", self.per_row_ms), "per_row_ms")
        stall_seconds = _non_negative(
            body.get("stall_seconds", self.stall_seconds), "stall_seconds"
        )
        task_seconds = _non_negative(body.get("task_seconds", self.task_seconds), "task_seconds")
        rate_limit = _non_negative(body.get("rate_limit", self.rate_limit), "rate_limit")
        burst = _burst(body.get("rate_limit_burst", self.rate_limit_burst))
        error_rate = parse_rate(body.get("error_rate", self.error_rate))
        stall_rate = parse_rate(body.get("stall_rate", self.stall_rate))
        self.latency_ms, self.per_row_ms, self.stall_seconds = latency, per_row, stall_seconds
        self.error_rate, self.stall_rate = error_rate, stall_rate
        self.task_seconds, self.rate_limit, self.rate_limit_burst = task_seconds, rate_limit, burst

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
            "task_seconds": self.task_seconds,
            "rate_limit": self.rate_limit,
            "rate_limit_burst": self.rate_limit_burst,
        }


def _non_negative(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    number = float(value)
    if not number >= 0:  # also refuses NaN
        raise ValueError(f"{name} must not be negative")
    return number


def _burst(value: object) -> int:
    if type(value) is not int or value < 1:
        raise ValueError("rate_limit_burst must be a positive integer")
    return value
