"""Plan routes over a real sandbox."""

from __future__ import annotations

from tests.conftest import AUTH
from tests.support.upstream_data import raw_plans


def test_list_plans_normalises_types(api, sandbox):
    response = api.get("/api/v1/internet-plans/", headers=AUTH)
    assert response.status_code == 200
    assert len(response.json) == len(raw_plans(sandbox))
    assert {p["type"] for p in response.json} <= {"PPPoE", "Simple Queue", "PCQ"}
    assert all(set(p) == {"plan_id", "name", "type"} for p in response.json)


def test_list_plans_etag_gives_304(api):
    etag = api.get("/api/v1/internet-plans/", headers=AUTH).headers["ETag"]
    again = api.get("/api/v1/internet-plans/", headers={**AUTH, "If-None-Match": etag})
    assert again.status_code == 304


def test_plan_detail_has_numeric_price_and_speeds(api, sandbox):
    row = next(p for p in raw_plans(sandbox) if p["tipo"].upper() == "PPPOE")
    detail = sandbox.get(f"/api/plan-internet/pppoe/{row['id']}/").json()
    response = api.get(f"/api/v1/internet-plans/{row['id']}", headers=AUTH)
    assert response.status_code == 200
    assert response.json["price"] == float(detail["precio"])
    assert response.json["download_speed"] == detail["bajada"]
    assert response.json["upload_speed"] == detail["subida"]


def test_queue_plan_detail_comes_from_the_queue_route(api, sandbox):
    row = next(p for p in raw_plans(sandbox) if p["tipo"].upper() == "SIMPLE QUEUE")
    detail = sandbox.get(f"/api/plan-internet/queue/{row['id']}/").json()
    response = api.get(f"/api/v1/internet-plans/{row['id']}", headers=AUTH)
    assert response.json["price"] == float(detail["precio"])


def test_pcq_plan_detail_says_why_it_has_no_price(api, sandbox):
    row = next(p for p in raw_plans(sandbox) if p["tipo"].upper() == "PCQ")
    response = api.get(f"/api/v1/internet-plans/{row['id']}", headers=AUTH)
    assert response.status_code == 200
    assert response.json["price"] is None
    assert "PCQ" in response.json["note"] or "no price" in response.json["note"]


def test_unknown_plan_is_404(api):
    response = api.get("/api/v1/internet-plans/1", headers=AUTH)
    assert response.status_code == 404
    assert response.json["code"] == "plan_not_found"
