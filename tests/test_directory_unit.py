"""ClientDirectory lookups with a stand-in upstream: snapshot first, brief cache when cold."""

from __future__ import annotations

import pytest
from cachelib import SimpleCache

from tests.support.factories import make_client
from wisphub_api.services.breaker import CircuitBreaker
from wisphub_api.services.directory import ClientDirectory, ClientSnapshot, document_key
from wisphub_api.services.errors import ClientNotFound
from wisphub_api.services.snapshots import SnapshotStore
from wisphub_api.upstream.errors import UpstreamUnavailable

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
        return tuple(self.clients)

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
    backend = backend or SimpleCache()
    store = SnapshotStore(
        "clients",
        backend=backend,
        load=upstream.list_clients,
        build=ClientSnapshot,
        ttl=300,
        stale_max_age=3600,
        refresh_fraction=0.8,
        breaker=CircuitBreaker(threshold=100),
        wait_seconds=2,
    )
    store.closed = True  # no background threads in unit tests
    return ClientDirectory(store, upstream, backend, lookup_ttl=60, not_found_ttl=10)


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
    directory.snapshot()
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


def test_snapshot_serialises_once_and_indexes_every_phone():
    snapshot = ClientSnapshot([SECOND_SERVICE, ESPERANZA], fetched_at=0.0)
    assert [c.service_id for c in snapshot.clients] == [7, 8]
    assert set(snapshot.by_phone) == {"3001234567", "3119876543"}
    assert snapshot.listing.body.startswith(b'[{"service_id":7,')
    assert len(snapshot.listing.etag) == 32
