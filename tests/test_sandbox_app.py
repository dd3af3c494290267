"""The sandbox's `create_app` used in process, without its own server."""

from __future__ import annotations

from flask.testing import FlaskClient

from wisphub_api.sandbox import DEMO_API_KEY, SandboxOptions, create_app

AUTH = {"Authorization": f"Api-Key {DEMO_API_KEY}"}


def _client(**options: object) -> FlaskClient:
    settings = {"clients": 40, "latency_ms": (0.0, 0.0), "per_row_ms": 0.0, **options}
    return create_app(SandboxOptions(**settings)).test_client()  # type: ignore[arg-type]


def test_create_app_serves_the_api_in_process() -> None:
    client = _client()
    response = client.get("/api/clientes/?limit=5", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["count"] == 40
    assert client.get("/api/clientes/").status_code == 403


def test_create_app_control_plane_counts_calls() -> None:
    client = _client()
    client.get("/api/clientes/7/", headers=AUTH)
    assert client.get("/__stats").get_json()["by_path"] == {"/api/clientes/7/": 1}


def test_create_app_options_shape_the_dataset() -> None:
    client = _client(clients=12, plans=4, default_limit=5)
    body = client.get("/api/clientes/", headers=AUTH).get_json()
    assert (body["count"], len(body["results"])) == (12, 5)
    assert client.get("/api/plan-internet/", headers=AUTH).get_json()["count"] == 4
