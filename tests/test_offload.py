"""offload: CPU work leaves a gevent worker's loop free; plain threads call directly."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from wisphub_api.services.offload import offload


def test_offload_without_gevent_runs_in_the_calling_thread():
    assert offload(threading.get_ident) == threading.get_ident()


def test_offload_under_gevent_keeps_the_loop_serving():
    script = textwrap.dedent("""
        from gevent import monkey; monkey.patch_all()
        import time, gevent
        from wisphub_api.services.offload import offload

        def busy():
            end = time.perf_counter() + 0.6
            while time.perf_counter() < end:
                sum(range(1000))
            return "built"

        ticks = []
        def ticker():
            for _ in range(20):
                ticks.append(time.perf_counter()); gevent.sleep(0.02)
        t = gevent.spawn(ticker)
        result = offload(busy)
        t.join()
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        print(result, len(ticks), round(max(gaps), 3))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out[0] == "built"
    assert int(out[1]) == 20
    assert float(out[2]) < 0.3  # the loop ran while 0.6 s of CPU work went on
