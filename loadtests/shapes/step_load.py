"""Step load: add users step by step to find where the API stops meeting its thresholds.

Settings: LOADTEST_STEP_USERS (10), LOADTEST_STEP_TIME (30 s), LOADTEST_STEP_MAX_USERS (200),
LOADTEST_STEP_SPAWN_RATE (10/s). The top step is held once more, then the run stops.
"""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent
from locust import LoadTestShape

from loadtests.common import config
from loadtests.common.schedules import Target


class StepLoadShape(LoadTestShape):
    """Grow the user count by a fixed step every step time, up to a maximum."""

    def __init__(self) -> None:
        super().__init__()
        self.schedule = config.step_schedule()

    def tick(self) -> Target:
        """Return the user count and spawn rate for now, or None to stop."""
        return self.schedule.target(self.get_run_time())
