"""The sandbox's `/api/clientes/{id}/perfil/` reads and writes over real HTTP, and `/__reset`."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]

PROFILE_KEYS = {
    "nombre",
    "apellidos",
    "cedula",
    "direccion",
    "localidad",
    "ciudad",
    "telefono",
    "saldo",
}


def _put(sandbox: SandboxProcess, service_id: int, body: Any) -> requests.Response:
    return requests.put(
        f"{sandbox.url}/api/clientes/{service_id}/perfil/",
        json=body,
        headers=sandbox.headers,
        timeout=5,
    )


def _row(sandbox: SandboxProcess, service_id: int) -> dict[str, Any]:
    return sandbox.get(f"/api/clientes/?id_servicio={service_id}").json()["results"][0]


def test_profile_get_splits_name_from_list(sandbox_clean: SandboxProcess) -> None:
    profile = sandbox_clean.get("/api/clientes/7/perfil/").json()
    assert set(profile) == PROFILE_KEYS
    assert (profile["nombre"], profile["apellidos"]) == ("ESPERANZA", "BENÍTEZ")
    assert profile["saldo"] == _row(sandbox_clean, 7)["saldo"]


def test_profile_put_changes_later_list(sandbox_clean: SandboxProcess) -> None:
    body = {"apellidos": "BENÍTEZ ORDÓÑEZ", "telefono": "3001112233", "saldo": 12500}
    response = _put(sandbox_clean, 7, body)
    assert response.status_code == 200
    assert response.json()["saldo"] == "12500.00"
    row = _row(sandbox_clean, 7)
    assert (row["nombre"], row["telefono"], row["saldo"]) == (
        "ESPERANZA BENÍTEZ ORDÓÑEZ",
        "3001112233",
        "12500.00",
    )
    assert sandbox_clean.get("/api/clientes/?telefono=3001112233").json()["count"] == 1


def test_profile_put_leaves_other_fields(sandbox_clean: SandboxProcess) -> None:
    before = sandbox_clean.get("/api/clientes/9/perfil/").json()
    after = _put(sandbox_clean, 9, {"ciudad": "CALI"}).json()
    assert after == {**before, "ciudad": "CALI"}


@pytest.mark.parametrize(
    "body",
    [["nombre"], {"email": "x@y.z"}, {"nombre": 5}, {"saldo": "mucho"}, {"saldo": True}, None],
)
def test_profile_put_bad_body_is_400_with_error(sandbox_clean: SandboxProcess, body: Any) -> None:
    response = _put(sandbox_clean, 7, body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert _row(sandbox_clean, 7)["nombre"] == "ESPERANZA BENÍTEZ"


def test_profile_put_invalid_json_is_400(sandbox_clean: SandboxProcess) -> None:
    response = requests.put(
        f"{sandbox_clean.url}/api/clientes/7/perfil/",
        data="{nombre",
        headers=sandbox_clean.headers,
        timeout=5,
    )
    assert response.status_code == 400


def test_profile_absent_client_is_404(sandbox_clean: SandboxProcess) -> None:
    assert sandbox_clean.get("/api/clientes/9999/perfil/").status_code == 404
    assert _put(sandbox_clean, 9999, {"ciudad": "CALI"}).status_code == 404


def test_reset_restores_dataset(sandbox_clean: SandboxProcess) -> None:
    original = _row(sandbox_clean, 7)
    _put(sandbox_clean, 7, {"nombre": "OTRA", "saldo": "1.00"})
    sandbox_clean.reset()
    assert _row(sandbox_clean, 7) == original
