"""Full listings: limit/offset pages read concurrently, accepted only when complete."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from tests.support.upstream_mocks import BASE, KEY, LIST_URL, page_body
from wisphub_api.upstream import UpstreamBadResponse, UpstreamUnavailable, WispHubClient

TEMPLATE = page_body()["results"][0]


def make_row(index: int) -> dict:
    """Return a realistic client row, varied by index like a real tenant's data."""
    row = copy.deepcopy(TEMPLATE)
    row.update(
        id_servicio=10_000 + index,
        usuario=f"cliente{index}@isp-demo",
        nombre=f"CLIENTE {index}",
        cedula="" if index % 7 == 0 else str(1_000_000_000 + index),
        telefono=f"300{index:07d}" if index % 3 else f"300{index:07d},311{index:07d}",
        fecha_corte=f"{index % 28 + 1}/{index % 12 + 1:02d}/2026",
        saldo=f"{(index % 5) * 10000}.00",
        estado="Activo" if index % 4 else "Suspendido",
    )
    return row


def make_pages(total: int, page_size: int) -> dict[int, dict]:
    """Return the DRF envelope of every offset, with `next` over http:// as api.wisphub.io does."""
    rows = [make_row(i) for i in range(total)]
    pages = {}
    for offset in range(0, max(total, 1), page_size):
        following = offset + page_size
        pages[offset] = {
            "count": total,
            "next": f"http://api.wisphub.test/api/clientes/?limit={page_size}&offset={following}"
            if following < total
            else None,
            "previous": None,
            "results": rows[offset:following],
        }
    return pages


def register(mock, pages: dict[int, dict], limit: int = 300) -> None:
    for offset, body in pages.items():
        query = {"limit": str(limit), "offset": str(offset)}
        mock.get(LIST_URL, json=body, match=[matchers.query_param_matcher(query)])


@pytest.fixture
def pages_1500() -> dict[int, dict]:
    return make_pages(1500, 300)


def test_list_clients_1500_rows_over_5_pages_gives_1500_clients(mock, upstream, pages_1500):
    register(mock, pages_1500)
    before = time.time()
    listing = upstream.list_clients()
    assert listing.count == len(listing.clients) == 1500
    assert len({c.service_id for c in listing}) == 1500
    assert len(mock.calls) == 5
    assert before <= listing.fetched_at <= time.time()
    assert listing.clients[1].cut_off_date == "2026-02-02"


def test_list_clients_duplicated_row_across_pages_raises_bad_response(mock, upstream, pages_1500):
    pages_1500[600]["results"][0] = copy.deepcopy(pages_1500[300]["results"][0])
    register(mock, pages_1500)
    with pytest.raises(UpstreamBadResponse):
        upstream.list_clients()


def test_list_clients_short_last_page_raises_bad_response(mock, upstream, pages_1500):
    pages_1500[1200]["results"].pop()
    register(mock, pages_1500)
    with pytest.raises(UpstreamBadResponse):
        upstream.list_clients()


def test_list_clients_count_changed_between_pages_raises_bad_response(mock, upstream, pages_1500):
    pages_1500[900]["count"] = 1501
    register(mock, pages_1500)
    with pytest.raises(UpstreamBadResponse):
        upstream.list_clients()


def test_list_clients_row_without_id_raises_bad_response(mock, upstream, pages_1500):
    del pages_1500[300]["results"][5]["id_servicio"]
    register(mock, pages_1500)
    with pytest.raises(UpstreamBadResponse):
        upstream.list_clients()


def test_list_clients_failed_page_raises_and_returns_nothing(upstream, pages_1500):
    # Pages still queued when one fails are dropped, so not every stub is necessarily called.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        register(mock, {k: v for k, v in pages_1500.items() if k != 600})
        failing = [matchers.query_param_matcher({"limit": "300", "offset": "600"})]
        mock.get(LIST_URL, body=requests.ConnectionError("reset"), match=failing)
        with pytest.raises(UpstreamUnavailable):
            upstream.list_clients()


def test_list_clients_empty_tenant_reads_one_page(mock, upstream):
    register(mock, make_pages(0, 300))
    listing = upstream.list_clients()
    assert (listing.count, listing.clients, len(mock.calls)) == (0, (), 1)


def test_list_clients_upstream_clamping_limit_pages_by_served_length(mock):
    rows = [make_row(i) for i in range(700)]
    for offset in (0, 300, 600):
        body = {
            "count": 700,
            "next": None,
            "previous": None,
            "results": rows[offset : offset + 300],
        }
        query = {"limit": "500", "offset": str(offset)}
        mock.get(LIST_URL, json=body, match=[matchers.query_param_matcher(query)])
    with WispHubClient(BASE, KEY, page_size=500) as client:
        assert len(client.list_clients()) == 700


def test_list_clients_at_most_8_pages_in_flight_each_read_once(mock):
    pages = make_pages(100, 10)
    lock = threading.Lock()
    state = {"active": 0, "max": 0}
    offsets: Counter[int] = Counter()

    def serve(request):
        offset = int(parse_qs(urlsplit(request.url).query)["offset"][0])
        with lock:
            state["active"] += 1
            state["max"] = max(state["max"], state["active"])
            offsets[offset] += 1
        time.sleep(0.05)
        with lock:
            state["active"] -= 1
        return 200, {}, json.dumps(pages[offset])

    mock.add_callback(responses.GET, LIST_URL, callback=serve, content_type="application/json")
    with WispHubClient(BASE, KEY, page_size=10) as client:
        assert len(client.list_clients()) == 100
    assert 1 < state["max"] <= 8
    assert offsets == Counter({offset: 1 for offset in pages})
