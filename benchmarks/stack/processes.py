"""Start and stop the processes of a stack, and read what they cost (Linux /proc).

Every process starts in a session of its own, so that stopping it reaches everything it started
(gunicorn's workers, nginx's workers) and nothing else: SIGTERM, a bounded wait, then SIGKILL to
the whole process group while its leader is still unreaped (its group id cannot be reused yet).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv that runs the launcher also runs gunicorn
STOP_TIMEOUT_S = 10.0
_POLL_S = 0.02


class StackError(RuntimeError):
    """A process of the stack did not start or did not become ready."""


# Ports handed out below the kernel's ephemeral range: a port in it that is free now can become
# the local port of any client socket a moment later (a Redis pool's, a flood's) and then a
# server's bind fails with "Address already in use" (seen in test_serve under a neighbour's load).
_LISTEN_PORTS = (20000, 32000)


def _ephemeral_low() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii")
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """Return a TCP port that is free on every address right now (gunicorn binds 0.0.0.0).

    Below the ephemeral range when it can, so that no client socket takes it before it is bound.
    """
    low, high = _LISTEN_PORTS[0], min(_LISTEN_PORTS[1], _ephemeral_low())
    for _ in range(50):
        port = random.randrange(low, high) if high > low else 0
        with socket.socket() as probe:
            # The wildcard, not 127.0.0.1: a port some client socket uses on another loopback
            # address (a flood from 127.0.0.2, say) is free on 127.0.0.1 but not on 0.0.0.0.
            try:
                probe.bind(("", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


def start_process(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: IO[Any] | int | None = None,
    stderr: IO[Any] | int | None = None,
    text: bool = False,
) -> subprocess.Popen[Any]:
    """Start ``command`` from the repository root in a new session (its own process group)."""
    return subprocess.Popen(  # noqa: S603 - the launcher's own fixed commands
        list(command),
        cwd=ROOT,
        env=None if env is None else dict(env),
        stdout=stdout,
        stderr=stderr,
        text=text,
        start_new_session=True,
    )


def _exited(pid: int) -> bool:
    """Tell whether ``pid`` has exited, without reaping it (its group stays addressable)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True  # already reaped


def stop_process(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT_S) -> int | None:
    """Terminate a process, wait up to ``timeout``, kill its group, reap it; return its status."""
    if process.returncode is not None:
        return process.returncode
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    deadline = time.monotonic() + timeout
    while not _exited(process.pid) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
    # Whatever the leader left behind (workers of a killed master) goes with it. The group id is
    # the leader's pid, still ours until the wait below reaps it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=timeout)


def process_cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a live process used so far (0.0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return 0.0
    # Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds(proc_stat: str) -> float:
    """Return the CPU seconds all cores spent busy since boot, from /proc/stat's "cpu" line."""
    for line in proc_stat.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            # user nice system idle iowait irq softirq steal: idle, iowait and steal (time the
            # hypervisor gave to other machines) are not work done on this one.
            user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[1:8])
            return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_busy_seconds() -> float:
    """Return the CPU seconds this machine's cores spent busy since boot (0.0 off Linux)."""
    try:
        return busy_seconds(Path("/proc/stat").read_text(encoding="ascii"))
    except OSError:
        return 0.0


def child_pids(pid: int) -> list[int]:
    """Return the direct children of a process (gunicorn's or nginx's workers)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except OSError:
        return []
    return [int(item) for item in text.split()]


def tree_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds used so far by a process and its live children."""
    return sum(process_cpu_seconds(p) for p in (pid, *child_pids(pid)))
