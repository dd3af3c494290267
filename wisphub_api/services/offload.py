"""Run CPU-heavy work beside a gevent worker's event loop instead of inside it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def offload(fn: Callable[..., T], *args: Any) -> T:
    """Return ``fn(*args)``, computed in a native thread when gevent has patched threading.

    Building a snapshot's indexes takes tenths of a second of pure Python; on the event loop's
    thread that would hold every other request of the worker. In a native thread the loop keeps
    serving between the interpreter's switches. Without gevent, call directly.
    """
    if not _gevent_patched():
        return fn(*args)
    import gevent

    result: T = gevent.get_hub().threadpool.apply(fn, args)
    return result
