"""ClientDirectory lookups with a stand-in upstream: snapshot first, brief cache when cold."""

from __future__ import annotations

import dataclasses
import gc
import json
import tempfile
import time
import weakref
from pathlib import Path

import pytest
from cachelib import SimpleCache

from tests.support.factories import make_client
from wisphub_api.config import config_for_tests
from wisphub_api.services.artifact import ArtifactPaths, write_snapshot
from wisphub_api.services.builder import Builder, thread_runner
from wisphub_api.services.clientview import ClientView
from wisphub_api.services.datasets import DATASETS
from wisphub_api.services.directory import ClientDirectory, document_key
from wisphub_api.services.errors import ClientNotFound
from wisphub_api.services.snapshots import SnapshotStore
from wisphub_api.services.writelog import WriteLog
from wisphub_api.state.guard import Guarded
from wisphub_api.state.local import LocalStore
from wisphub_api.upstream.errors import UpstreamUnavailable
from wisphub_api.upstream.models import Listing

ESPERANZA = make_client(
    7,
    name="ESPERANZA BENITEZ",
    document="1098765432",
    phone="+57 300 123 4567,3119876543",
    service_status="Activo",
)
SECOND_SERVICE = make_client(
    8,
    name="ESPERANZA BENITEZ",
    document="1098765432",
    phone="3001234567",
    service_status="Suspendido",
)


class FakeUpstream:
    """Answers filtered lookups from a list; the full listing can be made to fail."""

    def __init__(self, clients, listing_fails: bool = True) -> None:
        self.clients = clients
        self.listing_fails = listing_fails
        self.lookups = 0

    def list_clients(self):
        if self.listing_fails:
            raise UpstreamUnavailable("listing down")
        return Listing(tuple(self.clients), len(self.clients), time.time())

    def find_clients(self, *, cedula=None, telefono=None, id_servicio=None):
        self.lookups += 1
        return [
            c
            for c in self.clients
            if c.service_id == id_servicio
            or (cedula and c.document == cedula)
            or (telefono and telefono in c.phones)
        ]


def make_directory(upstream, backend=None) -> ClientDirectory:
    """A directory over a fresh state directory, built in process (no background loop)."""
    backend = backend or SimpleCache()
    root = Path(tempfile.mkdtemp(prefix="directory-unit-"))
    config = config_for_tests(CIRCUIT_FAILURE_THRESHOLD=100, STATE_DIR=str(root))
    paths = ArtifactPaths(root, "clients")
    builder = Builder(config, DATASETS["clients"], paths, upstream=upstream, shared=None)
    store = SnapshotStore(
        "clients",
        paths=paths,
        load=DATASETS["clients"].load,
        run_build=thread_runner(builder),
        ttl=300,
        stale_max_age=3600,
        refresh_fraction=0.8,
        cold_wait=2,
        failure_threshold=100,
    )
    state = Guarded(LocalStore(root / "state.sqlite3"), retry_seconds=5)
    writes = WriteLog(state, "clients", retention=3600, cap=100)
    return ClientDirectory(store, upstream, backend, writes, lookup_ttl=60, not_found_ttl=10)


def test_cold_lookup_found_is_cached_briefly():
    upstream = FakeUpstream([ESPERANZA])
    directory = make_directory(upstream)
    first, state = directory.by_service_id(7)
    again, again_state = directory.by_service_id(7)
    assert first == again == ESPERANZA
    assert (state.status, again_state.status) == ("MISS", "HIT")
    assert upstream.lookups == 1


def test_cold_lookup_cache_keys_hold_no_personal_data():
    backend = SimpleCache()
    directory = make_directory(FakeUpstream([ESPERANZA]), backend)
    directory.by_document("1098765432")
    keys = list(backend._cache)
    assert keys and not any("1098765432" in key for key in keys)


def test_cold_lookup_not_found_with_listing_down_is_an_upstream_error():
    directory = make_directory(FakeUpstream([ESPERANZA]))
    with pytest.raises(UpstreamUnavailable):  # no 404 without asking the whole directory
        directory.by_document("555")


def test_cold_lookup_not_found_asks_the_directory_before_404():
    upstream = FakeUpstream([ESPERANZA], listing_fails=False)
    directory = make_directory(upstream)
    with pytest.raises(ClientNotFound):
        directory.by_document("555")
    assert directory.store.peek() is not None  # the directory is now warm


def test_warm_lookup_prefers_the_active_service_of_a_person():
    directory = make_directory(FakeUpstream([SECOND_SERVICE, ESPERANZA], listing_fails=False))
    directory.listing()  # warm the directory
    assert directory.by_document("1.098.765.432")[0].service_id == 7
    assert directory.by_phone("300-123-4567")[0].service_id == 7
    assert directory.by_phone("311 987 6543")[0].service_id == 7


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("1.098.765.432", "1098765432"),
        (" 10-98 ", "1098"),
        ("ce-abc12", "CEABC12"),
        ("", None),
        ("..", None),
    ],
)
def test_document_key_normalises(raw, key):
    assert document_key(raw) == key


def test_an_adopted_snapshot_frees_the_view_the_last_request_used():
    directory = make_directory(FakeUpstream([ESPERANZA], listing_fails=False))
    directory.listing()  # a request: the directory now keeps an overlay of this view
    old = weakref.ref(directory.store.peek()[0])
    paths = directory.store.paths
    write_snapshot(paths, ClientView.sections([ESPERANZA]), fetched_at=time.time(), source="test")
    directory.store.open()  # the background loop's adoption
    gc.collect()
    assert old() is None


def test_an_adoption_gives_memory_back_after_the_old_view_is_freed(monkeypatch):
    directory = make_directory(FakeUpstream([ESPERANZA], listing_fails=False))
    directory.listing()
    old = weakref.ref(directory.store.peek()[0])
    freed_when_trimmed = []
    monkeypatch.setattr(
        "wisphub_api.services.snapshots.release_free_memory",
        lambda: freed_when_trimmed.append(old() is None),
    )
    paths = directory.store.paths
    write_snapshot(paths, ClientView.sections([ESPERANZA]), fetched_at=time.time(), source="test")
    gc.disable()  # freed by its last reference going, not by a collection that happens to run
    try:
        directory.store.open()
    finally:
        gc.enable()
    assert freed_when_trimmed == [True]


def test_view_serialises_once_and_indexes_every_phone():
    view = ClientView.of([SECOND_SERVICE, ESPERANZA])
    assert list(view.ids) == [7, 8]
    assert set(view.phones.keys()) == {"3001234567", "3119876543"}
    listing = b"".join(view.listing.plain())
    assert listing.startswith(b'[{"service_id":7,')
    assert [c["service_id"] for c in json.loads(listing)] == [7, 8]
    assert len(view.listing.etag) == 32


def test_view_decodes_the_clients_it_was_built_from():
    view = ClientView.of([SECOND_SERVICE, ESPERANZA])
    assert view.client(view.position(7)) == ESPERANZA
    assert view.client(view.position(8)) == SECOND_SERVICE


def test_view_keeps_router_ids_and_usernames_of_every_client():
    named = dataclasses.replace(ESPERANZA, router_id=2**40, username="esperanza.bñ")
    view = ClientView.of([SECOND_SERVICE, named])
    assert view.client(view.position(7)) == named
    assert view.client(view.position(8)).username == SECOND_SERVICE.username


def test_search_answers_are_kept_per_snapshot_until_a_write(monkeypatch):
    directory = make_directory(FakeUpstream([ESPERANZA, SECOND_SERVICE], listing_fails=False))
    directory.listing()  # warm the directory
    searched = []
    search = ClientDirectory._search

    def counted(view, overlay, query, limit):
        searched.append((query, limit))
        return search(view, overlay, query, limit)

    monkeypatch.setattr(ClientDirectory, "_search", staticmethod(counted))
    first, _ = directory.search("esperanza", 20)
    again, _ = directory.search("esperanza", 20)
    assert again == first and searched == [("esperanza", 20)]
    directory.search("esperanza", 1)  # another limit is another answer
    assert searched[-1] == ("esperanza", 1)

    renamed = dataclasses.replace(ESPERANZA, name="ESPERANZA RENOMBRADA")
    entry = {"client": [getattr(renamed, f.name) for f in dataclasses.fields(renamed)]}
    directory._take_writes([{**entry, "written_at": time.time()}])
    after, _ = directory.search("esperanza", 20)
    assert len(searched) == 3 and b"RENOMBRADA" in after and b"RENOMBRADA" not in first
