"""What is the same for every request is computed once per snapshot, not once per request."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH
from wisphub_api.upstream.models import Client


@pytest.fixture
def counted(monkeypatch):
    """Count client serialisations (``Client.to_public``, the one client serialiser).

    The app under test builds its snapshot in a thread of its own (the in-process builder), so
    every thread counts; apps of other tests are closed, and build nothing meanwhile.
    """
    calls = {"to_public": 0}
    to_public = Client.to_public

    def counting_to_public(self):
        calls["to_public"] += 1
        return to_public(self)

    monkeypatch.setattr(Client, "to_public", counting_to_public)
    return calls


def test_cached_answers_do_not_serialise_clients_again(api, counted):
    first = api.get("/api/v1/clients/", headers=AUTH)
    per_snapshot = dict(counted)
    assert per_snapshot["to_public"] == len(first.json)  # once per client, at snapshot build
    for _ in range(25):
        assert api.get("/api/v1/clients/", headers=AUTH).status_code == 200
        assert api.get("/api/v1/clients/search?q=Esperanza", headers=AUTH).status_code == 200
        assert api.get("/api/v1/clients/by-service-id/7", headers=AUTH).status_code == 200
        assert api.get("/api/v1/clients/?limit=50&offset=100", headers=AUTH).status_code == 200
    assert counted == per_snapshot


def test_cached_list_body_is_the_snapshot_bytes(api, sandbox_app):
    body = api.get("/api/v1/clients/", headers=AUTH).get_data()
    listing, _ = sandbox_app.extensions["wisphub_api.services"].directory.listing()
    assert body == b"".join(listing.plain())
    lookup = api.get("/api/v1/clients/by-service-id/7", headers=AUTH).get_data()
    assert lookup.rstrip(b"\n") in body  # the same bytes, cut from the snapshot
