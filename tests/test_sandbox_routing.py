"""The sandbox's Api-Key guard, slash redirects and 404s over real HTTP."""

from __future__ import annotations

import pytest
import requests

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]

GENERIC_403 = {"detail": "Las credenciales de autenticación no se proveyeron."}
API_PATHS = [
    "/api/clientes/",
    "/api/clientes/7/",
    "/api/clientes/7/perfil/",
    "/api/clientes/7/saldo",
    "/api/plan-internet/",
]
BAD_HEADERS = [
    {},
    {"Authorization": "Bearer Sbx4Demo.W1spHubSandboxKey000000000000001"},
    {"Authorization": "Api-Key not-a-key"},
    {"Authorization": "Api-Key Abcd1234.abcdefghijklmnopqrstuvwxyz012345"},
    {"Authorization": "Token Sbx4Demo.W1spHubSandboxKey000000000000001"},
]


@pytest.mark.parametrize("headers", BAD_HEADERS)
def test_auth_missing_malformed_or_unknown_key_gets_generic_403(
    sandbox: SandboxProcess, headers: dict[str, str]
) -> None:
    response = requests.get(f"{sandbox.url}/api/clientes/", headers=headers, timeout=5)
    assert response.status_code == 403
    assert response.json() == GENERIC_403


@pytest.mark.parametrize("path", API_PATHS)
def test_auth_every_api_route_requires_key(sandbox: SandboxProcess, path: str) -> None:
    assert requests.get(sandbox.url + path, timeout=5).status_code == 403
    assert sandbox.get(path).status_code == 200


def test_auth_control_plane_is_open(sandbox: SandboxProcess) -> None:
    response = requests.get(f"{sandbox.url}/__health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/clientes?limit=3&offset=6", "/api/clientes/?limit=3&offset=6"),
        ("/api/clientes/7", "/api/clientes/7/"),
        ("/api/clientes/7/perfil", "/api/clientes/7/perfil/"),
        ("/api/clientes/7/saldo/", "/api/clientes/7/saldo"),
        ("/api/plan-internet", "/api/plan-internet/"),
    ],
)
def test_routing_other_slash_spelling_redirects_301(
    sandbox: SandboxProcess, path: str, location: str
) -> None:
    response = sandbox.get(path, allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == location


def test_routing_redirect_followed_reaches_the_page(sandbox: SandboxProcess) -> None:
    response = sandbox.get("/api/clientes?limit=3&offset=6")
    assert response.status_code == 200
    assert [row["id_servicio"] for row in response.json()["results"]] == [7, 8, 9]


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing/",
        "/api/clientes/abc/",
        "/api//clientes/",
        "/api/clientes/7/saldo/extra",
        "/otra/",
    ],
)
def test_routing_unknown_path_is_json_404(sandbox: SandboxProcess, path: str) -> None:
    response = sandbox.get(path, allow_redirects=False)
    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}


def test_routing_wrong_method_is_405_after_auth(sandbox: SandboxProcess) -> None:
    assert requests.post(f"{sandbox.url}/api/clientes/", timeout=5).status_code == 403
    response = requests.post(f"{sandbox.url}/api/clientes/", headers=sandbox.headers, timeout=5)
    assert response.status_code == 405
    assert "detail" in response.json()
