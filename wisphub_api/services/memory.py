"""Give the memory a dropped snapshot held back to the operating system, where the libc can.

A worker that adopts a new snapshot frees the old one: tens of MB at 50,000 clients, in hundreds
of thousands of small objects and a few hundred chunk buffers. CPython hands small objects back
in whole arenas only, and glibc's malloc keeps freed heap pages mapped for reuse, so without a
nudge the worker's RSS holds the high-water mark of every adoption (the climb of issue 13's
point 4). Two glibc calls, through ctypes; elsewhere (musl, macOS) both are no-ops:

- ``mallopt(M_MMAP_THRESHOLD, 128 KiB)`` once per worker: glibc raises that threshold each time a
  mapped block is freed (up to 32 MiB), after which a snapshot's chunk buffers (~200 KB each) land
  in the heap among long-lived objects, and the holes they leave are never returned. Fixed at
  glibc's default, every block that large is its own mapping and goes back whole when freed;
- ``malloc_trim(0)`` after each adoption: returns the free pages at the top of the heap and,
  since glibc 2.8, those of the free chunks inside it.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from functools import cache

logger = logging.getLogger("wisphub_api.cache")

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
# glibc's own default: blocks at least this large get a mapping of their own.
MMAP_THRESHOLD_BYTES = 128 * 1024


@cache
def _libc() -> ctypes.CDLL | None:
    """Return the C library this process runs on, or None when ctypes cannot load it."""
    try:
        return ctypes.CDLL(None)  # the symbols already loaded: the interpreter's own libc
    except OSError:
        return None


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """Return glibc's ``malloc_trim``, or None when this process's libc has none."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def release_free_memory() -> bool:
    """Return freed heap memory to the OS (glibc ``malloc_trim(0)``); say whether any was."""
    trim = _malloc_trim()
    if trim is None:
        return False
    try:
        return bool(trim(0))
    except OSError:  # a libc that exports the name but fails the call: keep serving
        logger.debug("malloc_trim failed", exc_info=True)
        return False


def fix_mmap_threshold() -> bool:
    """Keep large blocks in mappings of their own (see the module docs); say whether it applied."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
