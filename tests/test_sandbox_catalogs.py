"""The sandbox's catalogues over real HTTP: zones, routers, staff and payment methods."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]

CATALOGS = ["/api/zonas/", "/api/router/", "/api/staff/", "/api/formas-de-pago/"]


def _body(sandbox: SandboxProcess, path: str) -> dict[str, Any]:
    response = sandbox.get(path)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def clients(sandbox: SandboxProcess) -> Iterator[dict[int, dict[str, Any]]]:
    """Read every client row of the pristine dataset, by id."""
    sandbox.reset()
    rows: list[dict[str, Any]] = []
    for offset in range(0, 1500, 300):
        rows += _body(sandbox, f"/api/clientes/?limit=300&offset={offset}")["results"]
    yield {row["id_servicio"]: row for row in rows}


def test_catalog_zones_are_the_zones_of_the_client_rows(
    sandbox: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    body = _body(sandbox, "/api/zonas/")
    assert list(body) == ["count", "next", "previous", "results"]
    assert all(set(zone) == {"id", "nombre"} for zone in body["results"])
    assert {(z["id"], z["nombre"]) for z in body["results"]} == {
        (row["zona"]["id"], row["zona"]["nombre"]) for row in clients.values()
    }


def test_catalog_routers_carry_an_address_and_one_outage_flag(
    sandbox: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    routers = _body(sandbox, "/api/router/")["results"]
    keys = {"id", "nombre", "ip", "falla_general", "falla_general_descripcion"}
    assert all(set(router) == keys for router in routers)
    broken = [router for router in routers if router["falla_general"]]
    assert len(broken) == 1 and broken[0]["falla_general_descripcion"]
    listed = {row["router"]["id"]: row["router"] for row in clients.values()}
    assert {r["id"]: {k: v for k, v in r.items() if k != "ip"} for r in routers} == listed


def test_catalog_staff_names_every_technician_of_the_rows(
    sandbox: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    staff = _body(sandbox, "/api/staff/")["results"]
    assert all(set(member) == {"id", "username", "nombre", "email"} for member in staff)
    assert all(member["nombre"] and "@" in member["email"] for member in staff)
    assert {row["tecnico"]["id"] for row in clients.values()} <= {m["id"] for m in staff}


@pytest.mark.parametrize("path", CATALOGS)
def test_catalog_needs_key_redirects_slashless_and_is_counted(
    sandbox_clean: SandboxProcess, path: str
) -> None:
    assert requests.get(sandbox_clean.url + path, timeout=5).status_code == 403
    redirect = sandbox_clean.get(path.rstrip("/") + "?limit=2", allow_redirects=False)
    assert (redirect.status_code, redirect.headers["Location"]) == (301, f"{path}?limit=2")
    body = _body(sandbox_clean, f"{path}?limit=2")
    assert len(body["results"]) == 2 and body["next"] is not None
    assert sandbox_clean.stats()["by_page"][f"{path}?limit=2&offset=0"] == 1
