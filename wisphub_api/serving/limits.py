"""The open-files limit a worker needs for its connections."""

from __future__ import annotations

import resource
from typing import Any

# Descriptors a worker needs beside its client connections: the upstream and Redis pools, log
# files, the heartbeat file, the metrics files.
FD_RESERVE = 256


def open_files_capacity(connections: int, log: Any) -> int:
    """Raise the soft RLIMIT_NOFILE toward the hard one; return the connections that fit.

    A worker at its limit fails every accept with EMFILE, and gevent's server then pauses
    accepting: every new connection would wait. A shell's default soft limit (1,024) is below a
    worker's default of 4,096 connections, while the hard limit is usually far higher.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (OSError, ValueError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return connections
    fitting = max(1, soft - FD_RESERVE)
    log.warning(
        "open-files limit %s fits %s of the %s worker connections; raise `ulimit -n`",
        soft,
        fitting,
        connections,
    )
    return fitting
