"""The sandbox's `/api/plan-internet/` list and per-type details over real HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]

DETAIL_PATH = {"PPPoE": "pppoe", "Simple Queue": "queue"}
SPEED = re.compile(r"\d+M?")


@pytest.fixture(scope="module")
def plans(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    """Return every plan of the list."""
    return sandbox.get("/api/plan-internet/").json()["results"]


def _of_type(plans: list[dict[str, Any]], tipo: str) -> list[dict[str, Any]]:
    return [plan for plan in plans if plan["tipo"] == tipo]


def test_plans_list_is_paginated_envelope(sandbox: SandboxProcess) -> None:
    body = sandbox.get("/api/plan-internet/?limit=5&offset=5").json()
    assert body["count"] == 12
    assert len(body["results"]) == 5
    assert body["next"] is not None and body["previous"] is not None


def test_plans_list_items_have_id_nombre_tipo_only(plans: list[dict[str, Any]]) -> None:
    assert len(plans) == 12
    assert all(set(plan) == {"id", "nombre", "tipo"} for plan in plans)
    assert {plan["tipo"] for plan in plans} == {"PPPoE", "Simple Queue", "PCQ"}
    assert all(plan["id"] > 100_000 for plan in plans)
    assert len({plan["id"] for plan in plans}) == 12


@pytest.mark.parametrize("tipo", ["PPPoE", "Simple Queue"])
def test_plans_detail_by_type_has_price_and_speeds(
    sandbox: SandboxProcess, plans: list[dict[str, Any]], tipo: str
) -> None:
    for plan in _of_type(plans, tipo):
        detail = sandbox.get(f"/api/plan-internet/{DETAIL_PATH[tipo]}/{plan['id']}/").json()
        assert detail["nombre"] == plan["nombre"]
        assert re.fullmatch(r"\d+\.00", detail["precio"])
        assert 30000 <= float(detail["precio"]) <= 199900
        assert SPEED.fullmatch(detail["bajada"]) and SPEED.fullmatch(detail["subida"])
        assert isinstance(detail["descripcion"], str)
        assert ("perfil" in detail) == (tipo == "PPPoE")


def test_plans_one_plan_costs_40000(sandbox: SandboxProcess, plans: list[dict[str, Any]]) -> None:
    prices = [
        sandbox.get(f"/api/plan-internet/{DETAIL_PATH[plan['tipo']]}/{plan['id']}/").json()[
            "precio"
        ]
        for plan in plans
        if plan["tipo"] in DETAIL_PATH
    ]
    assert prices.count("40000.00") == 1


def test_plans_client_price_matches_plan_price(
    sandbox: SandboxProcess, plans: list[dict[str, Any]]
) -> None:
    plan = _of_type(plans, "Simple Queue")[0]
    price = sandbox.get(f"/api/plan-internet/queue/{plan['id']}/").json()["precio"]
    rows = sandbox.get(f"/api/clientes/?plan_internet={plan['id']}&limit=300").json()["results"]
    assert rows and {row["precio_plan"] for row in rows} == {price}


@pytest.mark.parametrize(("tipo", "wrong"), [("PPPoE", "queue"), ("Simple Queue", "pppoe")])
def test_plans_wrong_type_path_is_404(
    sandbox: SandboxProcess, plans: list[dict[str, Any]], tipo: str, wrong: str
) -> None:
    plan = _of_type(plans, tipo)[0]
    assert sandbox.get(f"/api/plan-internet/{wrong}/{plan['id']}/").status_code == 404


@pytest.mark.parametrize("path", ["pppoe", "queue"])
def test_plans_pcq_has_no_detail(
    sandbox: SandboxProcess, plans: list[dict[str, Any]], path: str
) -> None:
    plan = _of_type(plans, "PCQ")[0]
    assert sandbox.get(f"/api/plan-internet/{path}/{plan['id']}/").status_code == 404


def test_plans_unknown_id_is_404(sandbox: SandboxProcess) -> None:
    assert sandbox.get("/api/plan-internet/pppoe/1/").status_code == 404
