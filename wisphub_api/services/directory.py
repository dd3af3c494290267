"""The client directory: every client of the ISP as one snapshot, with its lookup indexes."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wisphub_api.services.errors import ClientNotFound
from wisphub_api.services.prepared import PreparedJson
from wisphub_api.services.search import SearchIndex
from wisphub_api.services.snapshots import CacheState, SnapshotStore
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamError
from wisphub_api.upstream.models import Client
from wisphub_api.upstream.phones import normalize_phone, split_phones

logger = logging.getLogger("wisphub_api.directory")

_DOCUMENT_JUNK = re.compile(r"[^0-9A-Za-z]")


def document_key(document: str | None) -> str | None:
    """Return the comparable form of an identity document (no dots, dashes or spaces)."""
    key = _DOCUMENT_JUNK.sub("", document or "").upper()
    return key or None


def _lookup_key(kind: str, key: str) -> str:
    """Return the cache key of a brief upstream lookup; hashed so no document or phone is a key."""
    return "lookup:" + hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()


def _preferred(clients: Iterable[Client]) -> list[Client]:
    """Order services of one person: active ones first, then by service id."""
    return sorted(clients, key=lambda c: (c.service_status != "Activo", c.service_id))


class ClientSnapshot:
    """An immutable view of all clients: indexes, search, and the list answer pre-serialised."""

    def __init__(self, clients: Iterable[Client], fetched_at: float) -> None:
        self.clients: tuple[Client, ...] = tuple(sorted(clients, key=lambda c: c.service_id))
        self.fetched_at = fetched_at
        self.by_id: dict[int, Client] = {c.service_id: c for c in self.clients}
        by_document: dict[str, list[Client]] = defaultdict(list)
        by_phone: dict[str, list[Client]] = defaultdict(list)
        for client in self.clients:
            key = document_key(client.document)
            if key:
                by_document[key].append(client)
            for phone in client.phones:
                by_phone[phone].append(client)
        self.by_document = {k: _preferred(v) for k, v in by_document.items()}
        self.by_phone = {k: _preferred(v) for k, v in by_phone.items()}
        self.public: dict[int, dict[str, Any]] = {c.service_id: c.to_public() for c in self.clients}
        self.listing = PreparedJson.of([self.public[c.service_id] for c in self.clients])
        self.index = SearchIndex.build(self.clients)

    def __len__(self) -> int:
        return len(self.clients)

    def search(self, query: str, limit: int) -> list[Client]:
        """Return the clients that best match ``query``, best first."""
        return self.index.search(query, limit)

    def with_client(self, client: Client) -> tuple[Client, ...]:
        """Return the payload of this snapshot with ``client`` added or replaced."""
        others = [c for c in self.clients if c.service_id != client.service_id]
        return (*others, client)


class ClientDirectory:
    """Answer client lookups from the snapshot, or from one filtered upstream call when cold."""

    def __init__(
        self,
        store: SnapshotStore[ClientSnapshot],
        upstream: WispHubClient,
        backend: Any,
        *,
        lookup_ttl: int,
        not_found_ttl: int,
    ) -> None:
        self.store = store
        self.upstream = upstream
        self._backend = backend
        self.lookup_ttl = lookup_ttl
        self.not_found_ttl = not_found_ttl

    def snapshot(self) -> tuple[ClientSnapshot, CacheState]:
        """Return the whole directory, loading it when cold."""
        return self.store.get()

    def by_service_id(self, service_id: int) -> tuple[Client, CacheState]:
        """Return the client of one service."""
        return self._lookup(
            "service_id",
            str(service_id),
            lambda snap: [c for c in [snap.by_id.get(service_id)] if c],
            lambda: self.upstream.find_clients(id_servicio=service_id),
        )

    def by_document(self, document: str) -> tuple[Client, CacheState]:
        """Return the client holding an identity document (its active service first)."""
        key = document_key(document)
        if key is None:
            raise ClientNotFound("document")
        return self._lookup(
            "document",
            key,
            lambda snap: snap.by_document.get(key, []),
            lambda: [
                c for c in self.upstream.find_clients(cedula=key) if document_key(c.document) == key
            ],
        )

    def by_phone(self, phone: str) -> tuple[Client, CacheState]:
        """Return the client reachable at a phone number, in any of its spellings."""
        key = normalize_phone(phone)
        if key is None:
            raise ClientNotFound("phone")
        return self._lookup(
            "phone",
            key,
            lambda snap: snap.by_phone.get(key, []),
            lambda: [c for c in self.upstream.find_clients(telefono=key) if key in c.phones],
        )

    def _lookup(
        self,
        kind: str,
        key: str,
        from_snapshot: Callable[[ClientSnapshot], list[Client]],
        from_upstream: Callable[[], list[Client]],
    ) -> tuple[Client, CacheState]:
        current = self.store.current()
        if current is None:
            found = self._lookup_upstream(kind, key, from_upstream)
            if found is not None:
                return found
            # WispHub's filters are exact on free text ("+57 300…" is not "300…"): before
            # answering 404, ask the complete directory.
            current = self.store.get()
        snapshot, state = current
        matches = from_snapshot(snapshot)
        if not matches:
            raise ClientNotFound(kind)
        return matches[0], state

    def _lookup_upstream(
        self, kind: str, key: str, fetch: Callable[[], list[Client]]
    ) -> tuple[Client, CacheState] | None:
        """Ask upstream with one filtered call, cached briefly; None when it finds nobody."""
        cache_key = _lookup_key(kind, key)
        cached = self._backend.get(cache_key)
        if cached is not None:
            matches, status = cached, "HIT"
        else:
            matches, status = _preferred(fetch()), "MISS"
            ttl = self.lookup_ttl if matches else self.not_found_ttl
            self._backend.set(cache_key, matches, timeout=ttl)
        return (matches[0], CacheState(status, 0.0)) if matches else None

    def update_profile(self, service_id: int, fields: Mapping[str, Any]) -> Client:
        """Write profile fields upstream, then make the next read show the change."""
        current, _ = self.by_service_id(service_id)
        self.upstream.update_profile(service_id, dict(fields))
        return self.record_write(current, profile_changes(current, fields))

    def record_write(
        self, current: Client, changes: Mapping[str, Any], *, read_back: bool = True
    ) -> Client:
        """Make every read show a write that WispHub accepted for ``current``'s service.

        The client is read back from WispHub (``read_back``); when that fails, or is not
        wanted (WispHub's list lags some changes), ``changes`` — Client fields and their new
        values — are applied to ``current`` instead. Returns the client every read now shows.
        """
        updated = dataclasses.replace(current, **changes)
        if read_back:
            try:
                updated = self.upstream.get_client(current.service_id)
            except UpstreamError as exc:
                # The write landed; only the read-back failed. Show what was written.
                logger.warning("read-back after a write failed: %s", type(exc).__name__)
        existing = self.store.peek()
        if existing is not None:
            self.store.replace(existing[0].with_client(updated))
        self._backend.delete(_lookup_key("service id", str(current.service_id)))
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
