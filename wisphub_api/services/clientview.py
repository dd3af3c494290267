"""One client snapshot as a worker holds it: prepared bytes and compact indexes, no objects.

Built once per refresh by the host's builder, written to an artifact, and loaded by each worker
in a few cooperative steps (``load`` yields between sections, so a worker keeps serving while it
adopts a new snapshot). Nothing in it is per client except bytes in arrays: the list answer as
chunks (``Listing``), every client's JSON by position, the search index, and lookup postings by
document, phone and plan price. A ``Client`` is decoded from its JSON only when a service needs
one (verification, resolve, support and billing), and kept in a small cache.
"""

from __future__ import annotations

import json
import marshal
import math
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from wisphub_api.services.artifact import Sections
from wisphub_api.services.listing import Listing
from wisphub_api.services.postings import Postings
from wisphub_api.services.prepared import encode_json
from wisphub_api.services.search import MatchKind, SearchIndex
from wisphub_api.services.text import STOP_WORDS, address_tokens, tokens
from wisphub_api.upstream.models import CLIENT_PUBLIC_FIELDS, Client
from wisphub_api.upstream.phones import split_phones

# Decoded clients kept per view: the ones bots ask about again and again.
DECODED_CACHE = 2048
_NO_ID = 0  # router ids are positive; 0 stands for "none" in the array


def document_key(document: str | None) -> str | None:
    """Return the comparable form of an identity document (no dots, dashes or spaces)."""
    key = "".join(ch for ch in (document or "") if ch.isascii() and ch.isalnum()).upper()
    return key or None


def price_key(price: float) -> str:
    """Return the key of a plan price in the price postings (whole currency units)."""
    return str(math.floor(price))


def _preference(client: Client) -> tuple[bool, int]:
    """Order services of one person: active ones first, then by service id."""
    return client.service_status != "Activo", client.service_id


def client_json(client: Client) -> bytes:
    """Return a client's answer: its public fields, in the contract's order."""
    return encode_json(client.to_public())


def _sections_of(clients: Sequence[Client]) -> dict[str, Any]:
    """Compute every section of a view from clients sorted by service id."""
    documents: dict[str, list[Client]] = {}
    phones: dict[str, list[Client]] = {}
    prices: dict[str, list[int]] = {}
    for position, client in enumerate(clients):
        key = document_key(client.document)
        if key:
            documents.setdefault(key, []).append(client)
        for phone in client.phones:
            phones.setdefault(phone, []).append(client)
        if client.internet_plan_price is not None:
            prices.setdefault(price_key(client.internet_plan_price), []).append(position)
    position_of = {client.service_id: position for position, client in enumerate(clients)}

    def ranked(groups: dict[str, list[Client]]) -> Postings:
        return Postings.build(
            {
                k: [position_of[c.service_id] for c in sorted(v, key=_preference)]
                for k, v in groups.items()
            }
        )

    ids = [client.service_id for client in clients]
    return {
        "ids": array("I", ids).tobytes(),
        "listing": marshal.dumps(Listing.build(ids, [client_json(c) for c in clients]).dump()),
        "search": marshal.dumps(SearchIndex.build(clients).dump()),
        "documents": ranked(documents).dump(),
        "phones": ranked(phones).dump(),
        "prices": Postings.build(prices).dump(),
        "internal": marshal.dumps(
            ([c.router_id or _NO_ID for c in clients], [c.username or "" for c in clients])
        ),
    }


class _Texts(Sequence[str]):
    """Strings kept as their UTF-8 bytes end to end, read back one at a time by index."""

    __slots__ = ("_blob", "_starts")

    def __init__(self, texts: Iterable[str]) -> None:
        encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
        self._starts = array("I", [0])
        for raw in encoded:
            self._starts.append(self._starts[-1] + len(raw))
        self._blob = b"".join(encoded)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        raw = self._blob[self._starts[index] : self._starts[index + 1]]
        return raw.decode("utf-8", "surrogatepass")


class ClientView:
    """The clients of one snapshot, answered from bytes (see the module docstring)."""

    def __init__(
        self,
        ids: array[int],
        listing: Listing,
        index: SearchIndex,
        documents: Postings,
        phones: Postings,
        prices: Postings,
        router_ids: Sequence[int],
        usernames: Sequence[str],
    ) -> None:
        self.ids = ids
        self.listing = listing
        self.index = index
        self.documents = documents
        self.phones = phones
        self.prices = prices
        self._router_ids = router_ids
        self._usernames = usernames
        self._chunk_size = len(listing.chunks[0]) if listing.chunks else 1
        self._decoded: OrderedDict[int, Client] = OrderedDict()

    @staticmethod
    def sections(clients: Iterable[Client]) -> dict[str, Any]:
        """Return the artifact sections of a view of ``clients`` (built by the host's builder)."""
        return _sections_of(sorted(clients, key=lambda client: client.service_id))

    @classmethod
    def load(cls, sections: Sections, pause: Callable[[], None] = lambda: None) -> ClientView:
        """Rebuild a view from its sections, calling ``pause`` between the costly steps."""
        ids = array("I")
        ids.frombytes(sections["ids"])
        listing = Listing.load(marshal.loads(sections["listing"]))  # noqa: S302 - our artifact
        pause()
        index = SearchIndex.load(marshal.loads(sections["search"]))  # noqa: S302
        pause()
        documents, phones = Postings.load(sections["documents"]), Postings.load(sections["phones"])
        pause()
        prices = Postings.load(sections["prices"])
        router_ids, usernames = marshal.loads(sections["internal"])  # noqa: S302
        # As an array and a blob: 50,000 ints and strings are 5 MB as objects, under 1 MB so.
        routers, names = array("q", router_ids), _Texts(usernames)
        return cls(ids, listing, index, documents, phones, prices, routers, names)

    @classmethod
    def of(cls, clients: Iterable[Client]) -> ClientView:
        """Build a view in this process (tests, and the in-process builder)."""
        return cls.load(cls.sections(clients))

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, service_id: int) -> int | None:
        """Return the position of a service id, or None."""
        found = bisect_left(self.ids, service_id)
        return found if found < len(self.ids) and self.ids[found] == service_id else None

    def body(self, position: int) -> bytes:
        """Return the JSON answer of the client at ``position``."""
        chunk, index = divmod(position, self._chunk_size)
        return self.listing.chunks[chunk].body(index)

    def client(self, position: int) -> Client:
        """Return the client at ``position`` (decoded once, then cached)."""
        cached = self._decoded.get(position)
        if cached is not None:
            self._decoded.move_to_end(position)
            return cached
        public = json.loads(self.body(position))
        client = Client(
            **{name: public[name] for name in CLIENT_PUBLIC_FIELDS},
            phones=split_phones(public["phone"]),
            router_id=self._router_ids[position] or None,
            username=self._usernames[position] or None,
        )
        self._decoded[position] = client
        if len(self._decoded) > DECODED_CACHE:
            self._decoded.popitem(last=False)
        return client

    def search(self, query: str, limit: int) -> list[tuple[int, MatchKind]]:
        """Return (service id, how it matched) for up to ``limit`` clients, best first."""
        return [(self.ids[p], kind) for p, kind in self.index.search_scored(query, limit)]

    def by_document(self, key: str) -> list[int]:
        """Return the positions of a document key, the person's active service first."""
        return list(self.documents.get(key))

    def by_phone(self, key: str) -> list[int]:
        """Return the positions of a normalised phone, the person's active service first."""
        return list(self.phones.get(key))

    def resolve_candidates(self, claims: dict[str, Any], tolerance: float) -> Iterable[int]:
        """Return positions that may match resolve ``claims`` (a superset, never missing one).

        Narrowed by the plan price, the name's words and the address's words when claimed;
        ``verification.resolve_candidates`` then judges each candidate exactly.
        """
        narrowing: list[set[int]] = []
        price = claims.get("internet_plan_price")
        if isinstance(price, int | float) and not isinstance(price, bool) and math.isfinite(price):
            low, high = math.floor(price - tolerance), math.floor(price + tolerance)
            narrowing.append({p for key in range(low, high + 1) for p in self.prices.get(str(key))})
        name = claims.get("name")
        if isinstance(name, str):
            for word in set(tokens(name)) - STOP_WORDS:
                if word.isalpha():
                    narrowing.append(set(self.index.name_positions(word)))
        address = claims.get("address")
        if isinstance(address, str):
            for word in set(address_tokens(address)) - STOP_WORDS:
                narrowing.append(set(self.index.word_positions(word)))
        if not narrowing:
            return range(len(self.ids))
        narrowing.sort(key=len)
        return sorted(narrowing[0].intersection(*narrowing[1:]))
