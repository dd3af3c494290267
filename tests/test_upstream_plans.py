"""Internet plans: the paged list, and each plan's detail from the route of its type."""

from __future__ import annotations

import pytest
from responses import matchers

from tests.support.upstream_mocks import BASE, HEADERS, KEY, PLANS_URL, fixture
from wisphub_api.upstream import (
    PlanSummary,
    UpstreamBadResponse,
    UpstreamNotFound,
    WispHubClient,
)


def test_list_plans_one_page_gives_summaries_with_canonical_types(mock, upstream):
    query = {"limit": "300", "offset": "0"}
    mock.get(
        PLANS_URL,
        json=fixture("plan_internet_page.json"),
        match=[matchers.query_param_matcher(query), matchers.header_matcher(HEADERS)],
    )
    plans = upstream.list_plans()
    assert [(p.plan_id, p.type) for p in plans] == [
        (439219, "PPPoE"),
        (439220, "Simple Queue"),
        (439221, "PCQ"),
        (439222, "PPPoE"),
    ]
    assert plans[0] == PlanSummary(plan_id=439219, name="PLAN 10MB", type="PPPoE")


def test_list_plans_reads_every_page(mock):
    rows = fixture("plan_internet_page.json")["results"]
    for offset in (0, 2):
        body = {"count": 4, "next": None, "previous": None, "results": rows[offset : offset + 2]}
        query = {"limit": "2", "offset": str(offset)}
        mock.get(PLANS_URL, json=body, match=[matchers.query_param_matcher(query)])
    with WispHubClient(BASE, KEY, page_size=2) as client:
        assert [p.plan_id for p in client.list_plans()] == [439219, 439220, 439221, 439222]


def test_list_plans_duplicated_plan_raises_bad_response(mock, upstream):
    body = fixture("plan_internet_page.json")
    body["results"][3]["id"] = body["results"][0]["id"]
    mock.get(PLANS_URL, json=body)
    with pytest.raises(UpstreamBadResponse):
        upstream.list_plans()


def test_get_plan_pppoe_reads_pppoe_route(mock, upstream):
    mock.get(
        f"{PLANS_URL}pppoe/439222/",
        json=fixture("plan_pppoe_detail.json"),
        match=[
            matchers.header_matcher(HEADERS),
            matchers.request_kwargs_matcher({"timeout": (3.05, 10.0)}),
        ],
    )
    detail = upstream.get_plan(PlanSummary(439222, "PLAN 700M FIBRA", "PPPoE"))
    assert (detail.plan_id, detail.name, detail.type) == (439222, "PLAN 700M FIBRA", "PPPoE")
    assert (detail.price, detail.download_speed, detail.upload_speed) == (199900.0, "700M", "350M")
    assert detail.description == "Fibra óptica simétrica"


def test_get_plan_simple_queue_reads_queue_route(mock, upstream):
    mock.get(f"{PLANS_URL}queue/439220/", json=fixture("plan_queue_detail.json"))
    detail = upstream.get_plan(PlanSummary(439220, "PLAN 20MB RURAL", "Simple Queue"))
    assert (detail.price, detail.download_speed, detail.upload_speed) == (40000.0, "20", "5")
    assert detail.description is None


def test_get_plan_pcq_answers_without_price_and_without_a_call(mock, upstream):
    detail = upstream.get_plan(PlanSummary(439221, "PLAN EMPRESARIAL PCQ", "PCQ"))
    assert (detail.price, detail.download_speed, detail.name) == (
        None,
        None,
        "PLAN EMPRESARIAL PCQ",
    )
    assert len(mock.calls) == 0


def test_get_plan_wrong_type_route_404_raises_not_found(mock, upstream):
    mock.get(f"{PLANS_URL}pppoe/5/", status=404, json={"detail": "No encontrado."})
    with pytest.raises(UpstreamNotFound):
        upstream.get_plan(PlanSummary(5, "PLAN X", "PPPoE"))


def test_get_plan_unknown_type_falls_back_to_queue_route(mock, upstream):
    mock.get(f"{PLANS_URL}pppoe/6/", status=404)
    mock.get(f"{PLANS_URL}queue/6/", json=fixture("plan_queue_detail.json"))
    assert upstream.get_plan(PlanSummary(6, "PLAN Y", "Hotspot")).price == 40000.0
