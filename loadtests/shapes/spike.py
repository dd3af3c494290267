"""Spike: a baseline, a sudden burst (as when a bot campaign goes out), then recovery.

Settings: LOADTEST_SPIKE_BASE_USERS (10), LOADTEST_SPIKE_USERS (200), LOADTEST_SPIKE_BASE_TIME
(60 s), LOADTEST_SPIKE_TIME (30 s), LOADTEST_SPIKE_RECOVERY_TIME (60 s), LOADTEST_SPIKE_SPAWN_RATE
(100/s, so the burst lands within seconds).
"""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent
from locust import LoadTestShape

from loadtests.common import config
from loadtests.common.schedules import Target


class SpikeShape(LoadTestShape):
    """Hold a baseline, jump to a spike, then return to the baseline to watch recovery."""

    def __init__(self) -> None:
        super().__init__()
        self.schedule = config.spike_schedule()

    def tick(self) -> Target:
        """Return the user count and spawn rate for now, or None to stop."""
        return self.schedule.target(self.get_run_time())
