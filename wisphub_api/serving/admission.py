"""Admission control: refuse, at once, the share of new requests the worker cannot serve in time.

A gevent worker has no queue to measure: under overload, ready connections wait for the event loop
to reach them, and every pass of the loop takes longer than the last. The loop's lag (how late a
timer fires) is that wait, so it is what decides. ``LoopLag`` probes it with a short timer and
also reads it live: a probe that is overdue *now* means the current pass has already run that
long.

The timer alone misses a queue of ready connections, measured at twice the sustainable rate:
gevent's loop runs due timers between batches of ready greenlets, so the probe stayed on time
while each of thousands of keep-alive connections waited its turn for seconds (0 refused, p50
4 s). So the worker also times each connection's turn: after a request, a connection yields and
``LoopLag.turn`` records how long the others took before it ran again, which is what a request
that arrives on any ready connection waits too.

Refusing every request while that wait is over the limit does not shorten it: a 503 still costs
the parse, the write and the turn (135 us of CPU against 215 us for a cached plan list, measured
under wrk), and an open-loop client sends its next request on the same connection at once. At
twice the sustainable rate the turn stayed over the limit and the worker refused 98 % of the
requests, serving 2,738 of 189,900. So ``Shedding`` refuses only a share: a proportional-integral
controller on the wait (after PIE, RFC 8033) raises the share while the wait stays over the limit
and lowers it while the wait is under, so the worker settles where the requests it serves wait
about the limit, and the share falls to 0 within a second once the load is gone. That holds only
while refusing the rest fits in the CPU: at 12,890 req/s (135 us each would take 1.7 cores) the
share stayed at 1 on the 2-core machine and the wait still grew past 1 s.

One late timer is not overload: a garbage collection or the kernel giving the core to another
process stalls the loop once, and the next probe is on time. So the wait counts only as long as
the sample before it was late by half of it: a queue that stands, not a stall that passed (the
idea of CoDel's "above target for an interval").
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from wisphub_api.serving.settings import ServingSettings

# Cheap answers load balancers and Prometheus need most when the worker is busy.
EXEMPT_PATHS = frozenset({"/health", "/health/ready", "/metrics"})


# A connection's turn counts for admission this long after it was timed: when the load is gone,
# nobody yields any more, and an old long turn must not refuse the next request.
TURN_FRESH_SECONDS = 1.0

# The controller's gains, on the error (wait - limit) / limit, clipped to [-1, 1]. Integral: the
# share a wait twice the limit adds per second; the share that holds the wait at the limit at
# twice the sustainable rate (about 0.7) is reached in a few tenths of a second. Proportional: the
# share added at once, so a standing queue is answered before the integral catches up, and the
# share drops by as much as soon as the queue empties (a second at most without load).
INTEGRAL_GAIN = 2.0
PROPORTIONAL_GAIN = 0.5
# Longest step the integral rises by at once: a loop that ran no request for a while (one long
# stall) must not jump the share; falling has no such bound, so recovery is never slower.
MAX_RISE_STEP_SECONDS = 0.1


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

    def wait(self) -> float:
        """Return the wait that stands: the probe's or the turn's, each only as long as the sample
        before it was late by half of it (one stall is not a queue)."""
        probe = min(self.seconds(), 2 * self.sustained())
        previous, last = self.turns()
        return max(probe, min(last, 2 * previous))


class Shedding:
    """The share of requests to refuse so that the wait stays near ``limit`` seconds."""

    def __init__(self, limit: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.integral = 0.0
        self.share = 0.0
        self.at = clock()

    def update(self, wait: float) -> float:
        """Move the share for a measured ``wait`` (seconds) and return it."""
        now = self.clock()
        elapsed, self.at = now - self.at, now
        error = max(-1.0, min(1.0, (wait - self.limit) / self.limit))
        if error > 0:
            elapsed = min(elapsed, MAX_RISE_STEP_SECONDS)
        integral = self.integral + INTEGRAL_GAIN * error * elapsed
        self.integral = max(0.0, min(1.0, integral))
        self.share = max(0.0, min(1.0, self.integral + PROPORTIONAL_GAIN * error))
        return self.share


class Admission:
    """Decide, per request, whether the worker takes it."""

    def __init__(
        self,
        settings: ServingSettings,
        lag: LoopLag,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.max_lag = settings.shed_lag_ms / 1000
        self.max_in_flight = settings.max_in_flight
        self.lag = lag
        self.shedding = Shedding(self.max_lag, lag.clock)
        self.draw = draw
        self.in_flight = 0

    @property
    def shedding_now(self) -> bool:
        """Tell whether the last decision refused a share of requests (the worker sheds)."""
        return self.shedding.share > 0

    def refusal(self, path: str) -> str | None:
        """Return why a request for ``path`` is refused now ("lag", "in_flight"), or None."""
        if path in EXEMPT_PATHS:
            return None
        if self.max_lag:
            share = self.shedding.update(self.lag.wait())
            if share and self.draw() < share:
                return "lag"
        if self.max_in_flight and self.in_flight >= self.max_in_flight:
            return "in_flight"
        return None
