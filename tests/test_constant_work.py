"""What is the same for every request is computed once per snapshot, not once per request."""

from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import AUTH
from wisphub_api.services import prepared as prepared_module
from wisphub_api.upstream.models import Client


@pytest.fixture
def counted(monkeypatch):
    """Count client serialisations and list encodings made by this test's thread.

    The test client serves requests in the calling thread; background refreshes of apps left
    by other tests run in their own threads and are not this test's work.
    """
    calls = {"to_public": 0, "encode_json": 0}
    to_public, encode_json = Client.to_public, prepared_module.encode_json
    me = threading.get_ident()

    def counting_to_public(self):
        calls["to_public"] += threading.get_ident() == me
        return to_public(self)

    def counting_encode_json(value):
        calls["encode_json"] += threading.get_ident() == me
        return encode_json(value)

    monkeypatch.setattr(Client, "to_public", counting_to_public)
    monkeypatch.setattr(prepared_module, "encode_json", counting_encode_json)
    return calls


def test_cached_list_answers_do_not_serialise_clients_again(api, counted):
    first = api.get("/api/v1/clients/", headers=AUTH)
    per_snapshot = dict(counted)
    assert per_snapshot["to_public"] == len(first.json)  # once per client, at snapshot build
    for _ in range(25):
        assert api.get("/api/v1/clients/", headers=AUTH).status_code == 200
        api.get("/api/v1/clients/search?q=Esperanza", headers=AUTH)
    assert counted == per_snapshot


def test_cached_list_body_is_the_snapshot_bytes(api, sandbox_app):
    body = api.get("/api/v1/clients/", headers=AUTH).get_data()
    snapshot, _ = sandbox_app.extensions["wisphub_api.services"].directory.snapshot()
    assert body == snapshot.listing.body
    assert json.loads(body)[0] == snapshot.public[snapshot.clients[0].service_id]
