"""Pure user-count schedules behind the load shapes (no Locust import, so they test in-process)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# What LoadTestShape.tick() returns: (user count, spawn rate), or None to stop the run.
Target = tuple[int, float] | None


@dataclass(frozen=True, slots=True)
class StepSchedule:
    """Add step_users every step_time seconds up to max_users, hold one more step, then stop."""

    step_users: int = 10
    step_time: float = 30.0
    max_users: int = 200
    spawn_rate: float = 10.0

    def __post_init__(self) -> None:
        if self.step_users < 1 or self.max_users < 1 or self.step_time <= 0 or self.spawn_rate <= 0:
            raise ValueError("step schedule needs positive users, step time and spawn rate")

    @property
    def steps(self) -> int:
        """Count the steps needed to reach max_users."""
        return math.ceil(self.max_users / self.step_users)

    @property
    def duration(self) -> float:
        """Return the length of the run in seconds: every step plus one held at the top."""
        return (self.steps + 1) * self.step_time

    def target(self, run_time: float) -> Target:
        """Return the users wanted at run_time seconds, or None once the run is over."""
        if run_time >= self.duration:
            return None
        step = int(run_time // self.step_time)
        return min((step + 1) * self.step_users, self.max_users), self.spawn_rate


@dataclass(frozen=True, slots=True)
class SpikeSchedule:
    """Hold base_users, jump to spike_users for spike_time, fall back to base_users, then stop."""

    base_users: int = 10
    spike_users: int = 200
    base_time: float = 60.0
    spike_time: float = 30.0
    recovery_time: float = 60.0
    spawn_rate: float = 100.0

    def __post_init__(self) -> None:
        times = (self.base_time, self.spike_time, self.recovery_time, self.spawn_rate)
        if self.base_users < 1 or self.spike_users < self.base_users or min(times) <= 0:
            raise ValueError("spike schedule needs 1 <= base <= spike users and positive times")

    @property
    def duration(self) -> float:
        """Return the length of the run in seconds."""
        return self.base_time + self.spike_time + self.recovery_time

    def target(self, run_time: float) -> Target:
        """Return the users wanted at run_time seconds, or None once the run is over."""
        if run_time >= self.duration:
            return None
        in_spike = self.base_time <= run_time < self.base_time + self.spike_time
        return (self.spike_users if in_spike else self.base_users), self.spawn_rate
