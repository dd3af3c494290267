"""Read every row of a WispHub list by limit/offset, several pages at a time, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from .errors import UpstreamBadResponse

_log = logging.getLogger("wisphub_api.upstream")


@dataclass(frozen=True, slots=True)
class Page:
    """One validated DRF envelope: the filtered total and this page's rows."""

    count: int
    rows: list[dict[str, Any]]


def parse_page(body: Any) -> Page:
    """Validate a {count, next, previous, results} envelope; raise UpstreamBadResponse otherwise."""
    if not isinstance(body, dict):
        raise UpstreamBadResponse("WispHub Net sent a list that is not an object")
    count, rows = body.get("count"), body.get("results")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise UpstreamBadResponse("WispHub Net sent a list without a valid count")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise UpstreamBadResponse("WispHub Net sent a list without valid results")
    return Page(count=count, rows=rows)


def read_all(
    fetch: Callable[[int], Page], *, page_size: int, max_parallel: int, key: str, what: str
) -> list[dict[str, Any]]:
    """Return every row: offset 0 first, then the rest with at most max_parallel in flight."""
    first = fetch(0)
    step = _step(first, page_size, what)
    offsets = list(range(step, first.count, step))
    pages = [first, *_fetch_concurrently(fetch, offsets, max_parallel)]
    for offset, page in zip([0, *offsets], pages, strict=True):
        _check_page(page, offset, step, first.count, what)
    rows = [row for page in pages for row in page.rows]
    _check_distinct(rows, key, first.count, what)
    return rows


def _step(first: Page, page_size: int, what: str) -> int:
    """Return the page length upstream really serves (it may clamp `limit` below page_size)."""
    expected = min(page_size, first.count)
    served = len(first.rows)
    if served == 0 and first.count > 0:
        raise _rejected(what, "an empty first page with a non-zero count")
    if 0 < served < expected:
        # Offsets must follow what the server serves, or rows between pages would be skipped.
        _log.warning("listing %s: upstream clamps limit=%d to %d rows", what, page_size, served)
        return served
    return max(expected, 1)


def _fetch_concurrently(
    fetch: Callable[[int], Page], offsets: Sequence[int], max_parallel: int
) -> list[Page]:
    """Fetch each offset once, at most max_parallel at a time; raise the first failure."""
    if not offsets:
        return []
    # Threads under plain CPython, greenlets once gevent has patched threading: both bound fan-out.
    pool = ThreadPoolExecutor(
        max_workers=min(max_parallel, len(offsets)), thread_name_prefix="wisphub-page"
    )
    try:
        futures = [pool.submit(fetch, offset) for offset in offsets]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            if future.exception() is not None:
                future.result()  # re-raise now rather than after the pages still in flight
        return [future.result() for future in futures]
    finally:
        # On failure, pages not started are dropped and the caller does not wait for the others.
        pool.shutdown(wait=False, cancel_futures=True)


def _check_page(page: Page, offset: int, step: int, count: int, what: str) -> None:
    """Reject a page whose count moved or whose length is not what its offset implies."""
    if page.count != count:
        raise _rejected(what, "a count that changed between pages")
    if len(page.rows) != min(step, count - offset):
        raise _rejected(what, "a page of the wrong length")


def _check_distinct(rows: list[dict[str, Any]], key: str, count: int, what: str) -> None:
    """Accept the listing only if it holds exactly `count` distinct keys."""
    ids = {_key(row, key) for row in rows}
    if None in ids:
        raise _rejected(what, f"a row without {key}")
    if len(ids) != count or len(rows) != count:
        raise _rejected(what, "duplicated or missing rows")


def _key(row: dict[str, Any], key: str) -> int | str | None:
    """Return a row's identifying value when it is a usable id (an int or text)."""
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return value


def _rejected(what: str, reason: str) -> UpstreamBadResponse:
    """Log and build the error for an incomplete listing."""
    _log.warning("listing %s rejected: %s", what, reason)
    return UpstreamBadResponse(f"WispHub Net sent an incomplete listing of {what}: {reason}")
