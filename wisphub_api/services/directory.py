"""The client directory: the snapshot of every client, with the writes laid over it.

Reads come from the worker's ``ClientView`` (see ``clientview``) — or, before any snapshot exists,
from one filtered WispHub call per lookup, kept briefly. Writes that WispHub accepted (a profile
update, a payment promise that reactivates a service) are appended to the shared ``clients``
write log; every worker lays them over its snapshot at once (the writer) or within
STATE_POLL_SECONDS (the others), for lookups, search, resolve and the list alike, until a
snapshot read from WispHub well after the write arrives. A refresh that started before a write
therefore never hides it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wisphub_api.services.clientview import ClientView, client_json, document_key
from wisphub_api.services.errors import ClientNotFound, WritesUnavailable
from wisphub_api.services.listing import Listing
from wisphub_api.services.search import MatchKind, SearchIndex
from wisphub_api.services.snapshots import CacheState, SnapshotStore, SnapshotUnavailable
from wisphub_api.services.writelog import Entry, WriteLog
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamError
from wisphub_api.upstream.models import Client
from wisphub_api.upstream.phones import normalize_phone, split_phones

__all__ = ["ClientDirectory", "ClientView", "document_key", "profile_changes"]

logger = logging.getLogger("wisphub_api.directory")

# A write stays laid over snapshots read up to this long after it: WispHub's own derived states
# lag a write by tens of seconds, so a listing started just after it may not show it yet.
OVERLAY_GRACE_SECONDS = 60.0
# Search answers kept per snapshot (and set of writes), oldest dropped first: bots ask the same
# few names again and again, and a repeated question costs a dictionary lookup.
SEARCH_MEMO_ENTRIES = 512
SEARCH_MEMO_BYTES = 4 * 1024 * 1024
_CLIENT_FIELDS = tuple(field.name for field in dataclasses.fields(Client))


def _lookup_key(kind: str, key: str) -> str:
    """Return the cache key of a brief upstream lookup; hashed so no document or phone is a key."""
    return "lookup:" + hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()


def _preferred(clients: Iterable[Client]) -> list[Client]:
    """Order services of one person: active ones first, then by service id."""
    return sorted(clients, key=lambda c: (c.service_status != "Activo", c.service_id))


@dataclass(frozen=True, slots=True)
class Written:
    """A client as a write left it, and when WispHub accepted the write."""

    client: Client
    written_at: float
    body: bytes


@dataclass(frozen=True, slots=True)
class Found:
    """A client a lookup found, with its JSON answer."""

    client: Client
    body: bytes


class _Overlay:
    """The writes laid over one snapshot: by id, as a small search index, and in the list."""

    def __init__(self, view: ClientView, writes: Sequence[Written]) -> None:
        self.view = view
        self.by_id = {w.client.service_id: w for w in writes}
        self.index = SearchIndex.build([w.client for w in writes])
        self.clients = sorted((w.client for w in writes), key=lambda c: c.service_id)
        self._listing: Listing | None = None
        self._lock = threading.Lock()
        # (query, limit) -> the search answer: it depends on nothing but the snapshot and the
        # writes, which are this overlay's for its whole life.
        self.searches: dict[tuple[str, int], bytes] = {}
        self._searches_bytes = 0

    def remember_search(self, key: tuple[str, int], body: bytes) -> None:
        """Keep a search answer, dropping the oldest beyond the memo's bounds."""
        with self._lock:
            if key in self.searches:
                return
            searches = self.searches
            while searches and (
                len(searches) >= SEARCH_MEMO_ENTRIES
                or self._searches_bytes + len(body) > SEARCH_MEMO_BYTES
            ):
                self._searches_bytes -= len(searches.pop(next(iter(searches))))
            if len(body) <= SEARCH_MEMO_BYTES:
                searches[key] = body
                self._searches_bytes += len(body)

    @property
    def listing(self) -> Listing:
        """Return the snapshot's list with the written clients in it (built once)."""
        with self._lock:
            if self._listing is None:
                changes = {i: w.body for i, w in self.by_id.items()}
                self._listing = self.view.listing.patched(changes)
            return self._listing


class ClientDirectory:
    """Answer client lookups from the snapshot and the writes laid over it."""

    def __init__(
        self,
        store: SnapshotStore[ClientView],
        upstream: WispHubClient,
        backend: Any,
        writes: WriteLog,
        *,
        lookup_ttl: int,
        not_found_ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.upstream = upstream
        self._backend = backend
        self.writes = writes
        self.lookup_ttl = lookup_ttl
        self.not_found_ttl = not_found_ttl
        self._clock = clock
        self._written: dict[int, Written] = {}
        self._overlays: dict[int, _Overlay] = {}  # id(view) -> overlay of the current writes
        self._lock = threading.Lock()
        writes.subscribers.append(self._take_writes)
        store.listeners.append(self._forget_old_view)

    def _forget_old_view(self, _dataset: str, event: str) -> None:
        """Drop the overlay of the view just replaced, so that the view can be freed now.

        Without this the last view a request used stays referenced until the next request, and
        the memory given back after an adoption misses it.
        """
        if event == "load_shared":
            with self._lock:
                self._overlays.clear()

    # -- the writes ------------------------------------------------------------------------
    def _take_writes(self, entries: list[Entry]) -> None:
        """Lay writes recorded by any worker over the snapshots (the write log's subscriber)."""
        taken = []
        for entry in entries:
            values = dict(zip(_CLIENT_FIELDS, entry["client"], strict=True))
            values["phones"] = tuple(values["phones"])
            client = Client(**values)
            taken.append(Written(client, float(entry["written_at"]), client_json(client)))
        with self._lock:
            for written in taken:
                known = self._written.get(written.client.service_id)
                if known is None or known.written_at <= written.written_at:
                    self._written[written.client.service_id] = written
            self._overlays.clear()
        for written in taken:
            self._backend.delete(_lookup_key("service id", str(written.client.service_id)))

    def _overlay(self, view: ClientView, fetched_at: float) -> _Overlay:
        """Return the writes that a snapshot read at ``fetched_at`` may not show yet."""
        with self._lock:
            overlay = self._overlays.get(id(view))
            if overlay is None or overlay.view is not view:
                live = [
                    w
                    for w in self._written.values()
                    if w.written_at + OVERLAY_GRACE_SECONDS > fetched_at
                ]
                self._overlays = {id(view): _Overlay(view, live)}
                overlay = self._overlays[id(view)]
            return overlay

    def _current(self, *, wait: bool) -> tuple[ClientView, _Overlay, CacheState] | None:
        found = self.store.get() if wait else self.store.current()
        if found is None:
            return None
        view, state = found
        return view, self._overlay(view, self._clock() - state.age), state

    # -- whole-directory answers -------------------------------------------------------------
    def listing(self) -> tuple[Listing, CacheState]:
        """Return the list of every client, loading the snapshot when cold."""
        current = self._current(wait=True)
        assert current is not None  # get() raises rather than answer nothing
        _, overlay, state = current
        return overlay.listing, state

    def listing_ready(self) -> tuple[Listing, CacheState] | None:
        """Return what ``listing`` returns when the snapshot is usable now, else None."""
        found = self.store.ready()
        if found is None:
            return None
        view, state = found
        return self._overlay(view, self._clock() - state.age).listing, state

    def search(self, query: str, limit: int) -> tuple[bytes, CacheState]:
        """Return the JSON array of the clients that best match ``query``, best first."""
        current = self._current(wait=True)
        assert current is not None
        return self._answer_search(current, query, limit)

    def search_ready(self, query: str, limit: int) -> tuple[bytes, CacheState] | None:
        """Return what ``search`` returns when the snapshot is usable now, else None."""
        found = self.store.ready()
        if found is None:
            return None
        view, state = found
        current = view, self._overlay(view, self._clock() - state.age), state
        return self._answer_search(current, query, limit)

    def _answer_search(
        self, current: tuple[ClientView, _Overlay, CacheState], query: str, limit: int
    ) -> tuple[bytes, CacheState]:
        view, overlay, state = current
        key = (query, limit)
        body = overlay.searches.get(key)
        if body is None:
            body = self._search(view, overlay, query, limit)
            overlay.remember_search(key, body)
        return body, state

    @staticmethod
    def _search(view: ClientView, overlay: _Overlay, query: str, limit: int) -> bytes:
        hits: list[tuple[MatchKind, int, bytes]] = []
        for service_id, kind in view.search(query, limit + len(overlay.by_id)):
            if service_id not in overlay.by_id:
                position = view.position(service_id)
                assert position is not None
                hits.append((kind, service_id, view.body(position)))
        for position, kind in overlay.index.search_scored(query, limit):
            written = overlay.by_id[overlay.clients[position].service_id]
            hits.append((kind, written.client.service_id, written.body))
        if overlay.by_id:
            hits.sort(key=lambda hit: (hit[0], hit[1]))
        return b"[" + b",".join(body for _, _, body in hits[:limit]) + b"]"

    def candidates(self, claims: Mapping[str, Any], tolerance: float) -> list[Client]:
        """Return clients that may match resolve ``claims`` (a superset; judged by the caller)."""
        current = self._current(wait=True)
        assert current is not None
        view, overlay, _ = current
        found = [view.client(p) for p in view.resolve_candidates(dict(claims), tolerance)]
        found = [c for c in found if c.service_id not in overlay.by_id]
        return found + [w.client for w in overlay.by_id.values()]

    def state(self) -> CacheState:
        """Return how the snapshot is served now (for answers computed from it)."""
        current = self._current(wait=True)
        assert current is not None
        return current[2]

    # -- lookups ----------------------------------------------------------------------------
    def by_service_id(self, service_id: int) -> tuple[Client, CacheState]:
        """Return the client of one service."""
        found, state = self.find_by_service_id(service_id)
        return found.client, state

    def by_document(self, document: str) -> tuple[Client, CacheState]:
        """Return the client holding an identity document (its active service first)."""
        found, state = self.find_by_document(document)
        return found.client, state

    def by_phone(self, phone: str) -> tuple[Client, CacheState]:
        """Return the client reachable at a phone number, in any of its spellings."""
        found, state = self.find_by_phone(phone)
        return found.client, state

    def find_by_service_id(self, service_id: int) -> tuple[Found, CacheState]:
        """Return the client of one service and its JSON answer."""

        def in_view(view: ClientView) -> list[int]:
            position = view.position(service_id)
            return [] if position is None else [position]

        return self._lookup(
            "service id",
            str(service_id),
            in_view,
            lambda client: client.service_id == service_id,
            lambda: self.upstream.find_clients(id_servicio=service_id),
        )

    def find_by_document(self, document: str) -> tuple[Found, CacheState]:
        """Return the client holding an identity document, and its JSON answer."""
        key = document_key(document)
        if key is None:
            raise ClientNotFound("document")
        return self._lookup(
            "document",
            key,
            lambda view: view.by_document(key),
            lambda client: document_key(client.document) == key,
            lambda: [
                c for c in self.upstream.find_clients(cedula=key) if document_key(c.document) == key
            ],
        )

    def find_by_phone(self, phone: str) -> tuple[Found, CacheState]:
        """Return the client reachable at a phone number, and its JSON answer."""
        key = normalize_phone(phone)
        if key is None:
            raise ClientNotFound("phone")
        return self._lookup(
            "phone",
            key,
            lambda view: view.by_phone(key),
            lambda client: key in client.phones,
            lambda: [c for c in self.upstream.find_clients(telefono=key) if key in c.phones],
        )

    def _lookup(
        self,
        kind: str,
        key: str,
        in_view: Callable[[ClientView], list[int]],
        matches: Callable[[Client], bool],
        from_upstream: Callable[[], list[Client]],
    ) -> tuple[Found, CacheState]:
        current = self._current(wait=False)
        if current is None:
            recorded = [w.client for w in self._written.values() if matches(w.client)]
            if recorded:
                first = _preferred(recorded)[0]
                return Found(first, client_json(first)), CacheState("HIT", 0.0)
            found = self._lookup_upstream(kind, key, from_upstream)
            if found is not None:
                return found
            # WispHub's filters are exact on free text ("+57 300…" is not "300…"): before
            # answering 404, ask the complete directory.
            current = self._current(wait=True)
            assert current is not None
        view, overlay, state = current
        positions = in_view(view)
        if not overlay.by_id:
            if not positions:
                raise ClientNotFound(kind)
            return Found(view.client(positions[0]), view.body(positions[0])), state
        candidates = [view.client(p) for p in positions]
        candidates = [c for c in candidates if c.service_id not in overlay.by_id]
        candidates += [w.client for w in overlay.by_id.values() if matches(w.client)]
        if not candidates:
            raise ClientNotFound(kind)
        first = _preferred(candidates)[0]
        written = overlay.by_id.get(first.service_id)
        if written is not None:
            return Found(first, written.body), state
        position = view.position(first.service_id)
        assert position is not None
        return Found(first, view.body(position)), state

    def _lookup_upstream(
        self, kind: str, key: str, fetch: Callable[[], list[Client]]
    ) -> tuple[Found, CacheState] | None:
        """Ask upstream with one filtered call, cached briefly; None when it finds nobody."""
        cache_key = _lookup_key(kind, key)
        cached = self._backend.get(cache_key)
        if cached is not None:
            matches, status = cached, "HIT"
        else:
            breaker = self.store.status()
            if breaker["circuit"] == "open":  # the directory's breaker covers lookups too
                raise SnapshotUnavailable(retry_after=self.store.cold_wait)
            matches, status = _preferred(fetch()), "MISS"
            ttl = self.lookup_ttl if matches else self.not_found_ttl
            self._backend.set(cache_key, matches, timeout=ttl)
        if not matches:
            return None
        return Found(matches[0], client_json(matches[0])), CacheState(status, 0.0)

    # -- writing ----------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Refuse a write before it goes upstream when other workers could not learn of it."""
        try:
            self.writes.store.ping()
        except SharedStateUnavailable as exc:
            raise WritesUnavailable(exc.retry_after) from None

    def update_profile(self, service_id: int, fields: Mapping[str, Any]) -> Client:
        """Write profile fields upstream, then make every read show the change."""
        current, _ = self.by_service_id(service_id)
        self.ensure_writable()
        self.upstream.update_profile(service_id, dict(fields))
        return self.record_write(current, profile_changes(current, fields))

    def record_write(
        self, current: Client, changes: Mapping[str, Any], *, read_back: bool = True
    ) -> Client:
        """Make every read show a write that WispHub accepted for ``current``'s service.

        The client is read back from WispHub (``read_back``); when that fails, or is not
        wanted (WispHub's list lags some changes), ``changes`` — Client fields and their new
        values — are applied to ``current`` instead. Returns the client every read now shows.
        Call ``ensure_writable`` before writing upstream.
        """
        updated = dataclasses.replace(current, **changes)
        if read_back:
            try:
                updated = self.upstream.get_client(current.service_id)
            except UpstreamError as exc:
                # The write landed; only the read-back failed. Show what was written.
                logger.warning("read-back after a write failed: %s", type(exc).__name__)
        entry = {
            "written_at": self._clock(),
            "client": [getattr(updated, name) for name in _CLIENT_FIELDS],
        }
        try:
            self.writes.append(entry)
        except SharedStateUnavailable:
            # The store failed after ensure_writable passed: this worker shows the write at
            # once, the others with their next snapshot.
            logger.warning("a write could not be shared with the other workers")
            self._take_writes([entry])
        return updated


_PROFILE_TO_CLIENT = {
    "document": "document",
    "address": "address",
    "locality": "locality",
    "city": "city",
    "balance": "outstanding_balance",
}


def profile_changes(client: Client, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Client fields a profile update of ``fields`` changes, and their values."""
    changes: dict[str, Any] = {
        _PROFILE_TO_CLIENT[k]: v for k, v in fields.items() if k in _PROFILE_TO_CLIENT
    }
    if "name" in fields or "last_name" in fields:
        first = fields.get("name", client.name or "")
        changes["name"] = " ".join(p for p in (first, fields.get("last_name", "")) if p)
    if "phone" in fields:
        changes["phone"] = fields["phone"] or None
        changes["phones"] = split_phones(fields["phone"])
    return changes
