"""WispHubClient: the one place that talks HTTP to WispHub Net."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import requests

from .errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    error_for_exception,
    error_for_status,
)
from .gate import RateGate, retry_after_seconds
from .mapping import client_from_row, plan_detail_from_body, plan_from_row, profile_payload
from .models import Client, Listing, PlanDetail, PlanSummary
from .paging import Page, parse_page, read_all
from .transport import api_root, build_retry, configure_session

_log = logging.getLogger("wisphub_api.upstream")

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

_PLAN_DETAIL_PATHS: dict[str, tuple[str, ...]] = {
    "PPPoE": ("/plan-internet/pppoe/{id}/",),
    "Simple Queue": ("/plan-internet/queue/{id}/",),
    "PCQ": (),  # WispHub exposes no price or speed for PCQ plans: answered without a call
}
# Unknown plan types: try both detail routes, as integrators do.
_UNKNOWN_TYPE_PATHS = ("/plan-internet/pppoe/{id}/", "/plan-internet/queue/{id}/")


class WispHubClient:
    """Read clients and plans from WispHub Net and update profiles, with typed failures."""

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

    def list_clients(self) -> Listing:
        """Return every client, complete (exactly `count` distinct services) or raise."""
        started = time.time()
        rows = read_all(
            lambda offset: self._page("/clientes/", offset),
            page_size=self.page_size,
            max_parallel=self.max_parallel_pages,
            key="id_servicio",
            what="/api/clientes/",
        )
        clients = tuple(client_from_row(row) for row in rows)
        return Listing(clients=clients, count=len(clients), fetched_at=started)

    def find_clients(
        self,
        *,
        cedula: str | None = None,
        telefono: str | None = None,
        id_servicio: int | None = None,
    ) -> list[Client]:
        """Return the clients WispHub matches for the given filters, in one GET."""
        cedula = cedula.strip() if cedula and cedula.strip() else None
        telefono = telefono.strip() if telefono and telefono.strip() else None
        filters = {"cedula": cedula, "telefono": telefono, "id_servicio": id_servicio}
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        if not params:
            raise ValueError("find_clients needs at least one filter")
        params["limit"] = self.page_size
        page = parse_page(self._get_json("/clientes/", params=params))
        if page.count != len(page.rows):
            # More matches than one page (or a filter WispHub ignored): never answer with a part.
            _log.warning(
                "lookup /api/clientes/ rejected: %d rows of %d", len(page.rows), page.count
            )
            raise UpstreamBadResponse("WispHub Net sent an incomplete listing of /api/clientes/")
        clients = [client_from_row(row) for row in page.rows]
        # A filter ignored by a small tenant returns everyone: keep the asked-for service only.
        return [c for c in clients if id_servicio is None or c.service_id == id_servicio]

    def get_client(self, service_id: int) -> Client:
        """Return the client of one service id; raise UpstreamNotFound when there is none."""
        matches = self.find_clients(id_servicio=_positive_id(service_id))
        if not matches:
            raise UpstreamNotFound("WispHub Net has no client with that service id", status=None)
        if len(matches) > 1:
            raise UpstreamBadResponse("WispHub Net sent several rows for one service id")
        return matches[0]

    def update_profile(self, service_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Update a client's profile; return upstream's echo, or the payload sent on 204."""
        payload = profile_payload(fields)
        ids = {"id": _positive_id(service_id)}
        response = self._call(
            "PUT", "/clientes/{id}/perfil/", ids=ids, payload=payload, ok=(200, 204)
        )
        if response.status_code == 204 or not response.content:
            return dict(payload)
        try:
            echo = response.json()
        except ValueError:  # the write was accepted; an unreadable echo does not undo it
            return dict(payload)
        return echo if isinstance(echo, dict) else dict(payload)

    def list_plans(self) -> list[PlanSummary]:
        """Return every internet plan (id, name, type), all pages."""
        rows = read_all(
            lambda offset: self._page("/plan-internet/", offset),
            page_size=self.page_size,
            max_parallel=self.max_parallel_pages,
            key="id",
            what="/api/plan-internet/",
        )
        return [plan_from_row(row) for row in rows]

    def get_plan(self, plan: PlanSummary) -> PlanDetail:
        """Return a plan's price and speeds from the detail route of its type (none for PCQ)."""
        templates = _PLAN_DETAIL_PATHS.get(plan.type, _UNKNOWN_TYPE_PATHS)
        if not templates:
            return plan_detail_from_body(plan, {})
        ids = {"id": plan.plan_id}
        for template in templates[:-1]:
            try:
                return plan_detail_from_body(plan, self._get_json(template, ids=ids))
            except UpstreamNotFound:
                continue
        return plan_detail_from_body(plan, self._get_json(templates[-1], ids=ids))

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
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        ok: tuple[int, ...] = (200,),
        stream: bool = False,
        started: float | None = None,
    ) -> requests.Response:
        """Send one request with the client's timeouts; raise a typed error unless status is ok.

        ``payload`` is sent as JSON, ``data``/``files`` as a form (multipart with files);
        ``stream`` leaves the body unread for the caller (who must close the response).
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
        _log.debug("%s answered %d in %d ms", where, response.status_code, _elapsed_ms(started))
        return response


def _failed(where: str, started: float, error: UpstreamError) -> UpstreamError:
    """Log one line for a failed call (method, path template, status, elapsed) and return error."""
    elapsed = _elapsed_ms(started)
    _log.warning("%s failed: %s status=%s elapsed_ms=%d", where, error.code, error.status, elapsed)
    return error


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _positive_id(value: int) -> int:
    """Return value if it is a positive integer id; raise ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("service id must be a positive integer")
    return value
