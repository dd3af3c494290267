"""The open-loop generator's processes finish under `make bench`, whose SIGTERM raises.

benchmarks/bench.py turns SIGTERM into KeyboardInterrupt (so that its `finally` stops the
servers). The generator's forked pool workers inherited that handler, and the SIGTERM of
Pool.terminate() then hit a worker idle in the pool's queue while it held the queue's lock: the
next pool never finished and `make bench` hung in its overload phase. Loopback only, a port
nobody listens on, bounded in time.
"""

from __future__ import annotations

import signal
import threading

from benchmarks import openloop
from tests.support.servers import free_port


def _raise(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def test_pools_finish_when_the_parent_turns_sigterm_into_an_exception():
    previous = signal.signal(signal.SIGTERM, _raise)
    url = f"http://127.0.0.1:{free_port()}/"
    finished: list[int] = []

    def generate() -> None:
        for _ in range(10):  # the hang took a few pools to show up
            outcomes = openloop.run_processes(
                url, {}, [("load", 20.0, 0.3)], processes=2, timeout=0.2
            )
            finished.append(len(outcomes))

    try:
        worker = threading.Thread(target=generate, daemon=True)
        worker.start()
        worker.join(90)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(finished) == 10, f"only {len(finished)} of 10 pools finished"
    assert all(count > 0 for count in finished)  # every request accounted for, refused or not
