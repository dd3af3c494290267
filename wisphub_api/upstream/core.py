"""The transport every WispHub Net endpoint group shares: one Session, timeouts, typed errors.

``ClientCore`` owns the session and the one function that sends a request (``_call``); the
endpoint groups (``WispHubClient``'s clients and plans, ``support.SupportEndpoints``,
``billing.BillingEndpoints``) subclass it and add one method per WispHub endpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Self

import requests

from .errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRateLimited,
    error_for_exception,
    error_for_status,
)
from .gate import RateGate, retry_after_seconds
from .paging import Page, parse_page
from .transport import api_root, build_retry, configure_session

log = logging.getLogger("wisphub_api.upstream")

# Slightly above 3 s, TCP's first SYN retransmission, so one lost SYN does not fail the call
# (the value requests' docs recommend).
DEFAULT_CONNECT_TIMEOUT = 3.05
# Healthy calls take 0.3-0.6 s and a 300-row page about 6 s; ~1 call in 8 stalls forever, so waiting
# much longer than a full page only delays the retry that usually succeeds.
DEFAULT_READ_TIMEOUT = 10.0
# Three tries turn a 1-in-8 stall into roughly 1 in 500 while keeping the worst case near 30 s.
DEFAULT_RETRIES = 2
# urllib3 sleeps 0 s before the first retry and 2 x 0.3 s before the second: a gateway blip clears.
DEFAULT_BACKOFF = 0.3
# One Session serves every greenlet of a gevent worker: 50 keep-alive sockets cover a burst of
# misses plus a listing's parallel pages; beyond that, extra sockets open and close (no blocking).
DEFAULT_POOL_SIZE = 50
# The documented maximum `limit`: the fewest round trips on an API that costs ~2 s per 100 rows.
DEFAULT_PAGE_SIZE = 300
# 7,252 clients are 25 pages, read in ~4 waves; more at once would load an upstream that publishes
# no rate limit, and 8 stays far below the pool size.
DEFAULT_MAX_PARALLEL_PAGES = 8


class ClientCore:
    """The session and the request function of a WispHub Net client."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        pool_size: int = DEFAULT_POOL_SIZE,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_parallel_pages: int = DEFAULT_MAX_PARALLEL_PAGES,
        session: requests.Session | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("api_key is required")
        if min(connect_timeout, read_timeout) <= 0 or retries < 0 or backoff < 0:
            raise ValueError("timeouts must be positive; retries and backoff not negative")
        if min(pool_size, page_size, max_parallel_pages) < 1:
            raise ValueError("pool_size, page_size and max_parallel_pages must be at least 1")
        self.api_root = api_root(base_url)
        self.timeout = (connect_timeout, read_timeout)
        self.page_size = page_size
        self.max_parallel_pages = max_parallel_pages
        self.gate = RateGate()  # one per client: every greenlet of the worker honours a 429
        self._session = configure_session(
            session or requests.Session(), api_key.strip(), build_retry(retries, backoff), pool_size
        )

    @property
    def session(self) -> requests.Session:
        """Return the session every call goes through (metrics wrap its ``send``)."""
        return self._session

    def close(self) -> None:
        """Close the session and its pooled connections."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _page(self, template: str, offset: int) -> Page:
        """Read one page of a list endpoint by limit/offset (never `page`, never `next`)."""
        params = {"limit": self.page_size, "offset": offset}
        return parse_page(self._get_json(template, params=params))

    def _get_json(
        self,
        template: str,
        *,
        ids: Mapping[str, int] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """GET a path template and return its decoded JSON body."""
        started = time.perf_counter()
        response = self._call("GET", template, ids=ids, params=params, started=started)
        try:
            return response.json()
        except ValueError:
            where = f"GET /api{template}"
            error = UpstreamBadResponse(f"WispHub Net sent invalid JSON to {where}", status=200)
            raise _failed(where, started, error) from None

    def _call(
        self,
        method: str,
        template: str,
        *,
        ids: Mapping[str, int | str] | None = None,
        params: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | Iterable[bytes] | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
        stream: bool = False,
        started: float | None = None,
    ) -> requests.Response:
        """Send one request with the client's timeouts; raise a typed error unless status is ok.

        ``payload`` is sent as JSON, ``data``/``files`` as a form (multipart with files), or
        ``data`` as a body streamed from an iterable (``multipart.MultipartBody``, which needs
        its Content-Type in ``headers``); ``headers`` are added to the session's for this call
        (an upload's Content-Type, a PDF's Accept); ``stream`` leaves the body unread for the
        caller (who must close the response).
        """
        where = f"{method} /api{template}"
        started = time.perf_counter() if started is None else started
        self.gate.check(where)
        try:
            response = self._session.request(
                method,
                self.api_root + template.format(**(ids or {})),
                params=params,
                json=payload,
                data=data,
                files=files,
                headers=dict(headers) if headers else None,
                timeout=self.timeout,
                stream=stream,
                allow_redirects=method == "GET",  # a redirected write silently loses its body
            )
        except requests.RequestException as exc:
            raise _failed(where, started, error_for_exception(exc, where)) from None
        if response.status_code not in ok:
            status = response.status_code
            retry_after = response.headers.get("Retry-After")
            response.close()
            message = f"WispHub Net answered {status} to {where}"
            if status == 429:
                seconds = retry_after_seconds(retry_after)
                self.gate.pause(seconds)
                error: UpstreamError = UpstreamRateLimited(message, retry_after=seconds)
            else:
                error = error_for_status(status)(message, status=status)
            raise _failed(where, started, error) from None
        log.debug("%s answered %d in %d ms", where, response.status_code, _elapsed_ms(started))
        return response


def _failed(where: str, started: float, error: UpstreamError) -> UpstreamError:
    """Log one line for a failed call (method, path template, status, elapsed) and return error."""
    elapsed = _elapsed_ms(started)
    log.warning("%s failed: %s status=%s elapsed_ms=%d", where, error.code, error.status, elapsed)
    return error


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def positive_id(value: int) -> int:
    """Return value if it is a positive integer id; raise ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("service id must be a positive integer")
    return value
