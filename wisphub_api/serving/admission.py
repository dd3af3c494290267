"""Admission control: refuse new requests at once while the worker cannot serve them in time.

A gevent worker has no queue to measure: under overload, ready connections wait for the event loop
to reach them, and every pass of the loop takes longer than the last. The loop's lag (how late a
timer fires) is that wait, so it is what decides. ``LoopLag`` probes it with a short timer and
also reads it live: a probe that is overdue *now* means the current pass has already run that
long. A refused request costs less than a served one, so shedding shortens the next pass and the
worker settles where the requests it does serve wait about the threshold.

The timer alone misses a queue of ready connections, measured at twice the sustainable rate:
gevent's loop runs due timers between batches of ready greenlets, so the probe stayed on time
while each of thousands of keep-alive connections waited its turn for seconds (0 refused, p50
4 s). So the worker also times each connection's turn: after a request, a connection yields and
``LoopLag.turn`` records how long the others took before it ran again, which is what a request
that arrives on any ready connection waits too.

One late timer is not overload: a garbage collection or the kernel giving the core to another
process stalls the loop once, and the next probe is on time. So a request is refused only while
the loop is late now *and* the last two probes were both late by half the threshold: a queue that
stands, not a stall that passed (the idea of CoDel's "above target for an interval").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from wisphub_api.serving.settings import ServingSettings

# Cheap answers load balancers and Prometheus need most when the worker is busy.
EXEMPT_PATHS = frozenset({"/health", "/health/ready", "/metrics"})


# A connection's turn counts for admission this long after it was timed: when the load is gone,
# nobody yields any more, and an old long turn must not refuse the next request.
TURN_FRESH_SECONDS = 1.0


class LoopLag:
    """The event loop's lag, from a timer that should fire every ``interval`` seconds, and from
    how long ready connections wait for their turn."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.last = 0.0
        self.previous = 0.0
        self.due = clock() + interval
        self.turn_last = 0.0
        self.turn_previous = 0.0
        self.turn_at = float("-inf")

    def turn(self, waited: float) -> None:
        """Record that a connection that yielded waited ``waited`` seconds to run again."""
        self.turn_previous, self.turn_last = self.turn_last, waited
        self.turn_at = self.clock()

    def turns(self) -> tuple[float, float]:
        """Return the last two turns' waits (0 when the last is older than TURN_FRESH_SECONDS)."""
        if self.clock() - self.turn_at > TURN_FRESH_SECONDS:
            return 0.0, 0.0
        return self.turn_previous, self.turn_last

    def run(self, sleep: Callable[[float], object]) -> None:
        """Probe forever with ``sleep`` (gevent.sleep in the worker)."""
        while True:
            self.due = self.clock() + self.interval
            sleep(self.interval)
            self.previous, self.last = self.last, max(0.0, self.clock() - self.due)

    def sustained(self) -> float:
        """Return the lag both of the last two probes had at least."""
        return min(self.last, self.previous)

    def seconds(self) -> float:
        """Return the lag now: the last probe's, or more if the next probe is overdue."""
        return max(self.last, self.clock() - self.due)


class Admission:
    """Decide, per request, whether the worker takes it."""

    def __init__(self, settings: ServingSettings, lag: LoopLag) -> None:
        self.max_lag = settings.shed_lag_ms / 1000
        self.max_in_flight = settings.max_in_flight
        self.lag = lag
        self.in_flight = 0

    def refusal(self, path: str) -> str | None:
        """Return why a request for ``path`` is refused now ("lag", "in_flight"), or None."""
        if path in EXEMPT_PATHS:
            return None
        lag, limit = self.lag, self.max_lag
        if limit and lag.sustained() > limit / 2 and lag.seconds() > limit:
            return "lag"
        if limit:
            previous, last = lag.turns()
            if previous > limit / 2 and last > limit:
                return "lag"
        if self.max_in_flight and self.in_flight >= self.max_in_flight:
            return "in_flight"
        return None
