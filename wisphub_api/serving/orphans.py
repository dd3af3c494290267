"""The gunicorn master adopts what its workers leave running, and stops it when the server stops.

A worker's snapshot builder is a child process that outlives the worker: after a HUP or a TTOU
its build finishes and the new workers adopt the snapshot. But when the server stopped, the
builder was killed with the process group (or the container) while it held the Redis fetch
lock, and the restarted server's builder waited for that lock to expire before it fetched.

So the master makes itself the child subreaper (Linux): a builder whose worker exited becomes
the master's child. When the master exits, it asks those children to stop (SIGTERM: a builder
deletes its lock, then exits) and kills any still there after a bound. gunicorn reaps children
that are not workers without counting them (it does so as PID 1 too).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from pathlib import Path

# prctl(2): a process marked so is the new parent of its descendants' orphans.
PR_SET_CHILD_SUBREAPER = 36
# How long the stopping master waits for adopted processes to exit before it kills them: a
# builder deletes its lock in milliseconds.
STOP_SECONDS = 5.0
_POLL_SECONDS = 0.05


def adopt_orphans() -> bool:
    """Become the parent of the orphans of this process's descendants; False off Linux."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def children(pid: int | None = None) -> list[int]:
    """Return the live children of ``pid`` (this process), from /proc."""
    pid = os.getpid() if pid is None else pid
    found: list[int] = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(item) for item in listing.read_text(encoding="ascii").split()]
    return found


def stop_children(timeout: float = STOP_SECONDS) -> list[int]:
    """SIGTERM every child left, reap them, SIGKILL those alive after ``timeout``; return them."""
    left = children()
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    running = set(left)
    while running and time.monotonic() < deadline:
        running = {pid for pid in running if not _reaped(pid)}
        if running:
            time.sleep(_POLL_SECONDS)
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return left


def _reaped(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # not ours any more, or already reaped
    return done == pid
