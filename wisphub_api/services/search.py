"""Free-text client search over name, address, document and phones, from inverted indexes.

Semantics:
- Case, accents, punctuation and word order do not matter (text.fold); letters and digits glued
  together are two words ("7A"), as in addresses.
- AND: every query word must match a word of the client (name, address, document or phones).
  Articles and address prefixes ("la", "de", "calle", "vda", …) are optional: they filter nothing,
  because people add or leave them out, but inside each tier the clients that have them come
  first ("pedro calle" ranks Pedro Calle before Pedro Gómez); a query made only of them uses them
  as required words (so "Calle" still finds the Calle family).
- A query word matches a whole word; failing that, a longer word it is a prefix of (3+ characters;
  4+ for pure digits, which are dense in phones), or a word at Damerau-Levenshtein distance one
  when the query word has 5+ characters and a letter in it.
- Ranking, in tiers (MatchKind): the whole query is a document or phone; every (required) word is
  a whole word of the name; every word is a whole word somewhere; some word matched by prefix or
  typo only.
  Inside a tier, by service id, so answers are deterministic and cacheable.
- Prefix and typo expansion is only computed when the exact tiers leave room under ``limit``.
- Queries are cut at ``MAX_QUERY_CHARS`` characters and ``MAX_QUERY_WORDS`` distinct words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from enum import IntEnum
from itertools import chain, filterfalse

from wisphub_api.services.postings import Postings
from wisphub_api.services.text import (
    ADDRESS_PREFIXES,
    STOP_WORDS,
    address_tokens,
    digits,
    fold,
    split_alnum,
    tokens,
)
from wisphub_api.upstream.models import Client
from wisphub_api.upstream.phones import normalize_phone

MAX_QUERY_CHARS = 200  # the schema allows 100; the index protects itself anyway
MAX_QUERY_WORDS = 12  # more words than any name plus address; extra words are ignored
MIN_PREFIX_CHARS = 3
MIN_DIGIT_PREFIX_CHARS = 4  # "300" would be a prefix of a tenth of all mobile numbers
MIN_TYPO_CHARS = 5
OPTIONAL_WORDS: frozenset[str] = STOP_WORDS | ADDRESS_PREFIXES
_EMPTY: frozenset[int] = frozenset()


class MatchKind(IntEnum):
    """How a client matched a query; lower ranks first."""

    EXACT_ID = 0  # the whole query is its document or one of its phones
    NAME = 1  # every query word is a whole word of its name
    WHOLE_WORDS = 2  # every query word is a whole word of its name, address, document or phones
    PARTIAL = 3  # some query word matched only as a prefix or with one typo


def within_one_edit(a: str, b: str) -> bool:
    """Tell whether ``a`` becomes ``b`` with at most one insertion, deletion, change or swap."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    if len(a) > len(b):
        return a[i + 1 :] == b[i:]
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    swapped = a[i + 1 : i + 2] == b[i : i + 1] and a[i : i + 1] == b[i + 1 : i + 2]
    return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])


def _deletions(word: str) -> Iterable[str]:
    """Yield ``word`` without each one of its characters."""
    return (word[:i] + word[i + 1 :] for i in range(len(word)))


def _id_keys(client: Client) -> set[str]:
    """Return the exact keys of a client: its phones and its document (digits and as written)."""
    keys = set(client.phones)
    keys.update(
        key for key in (digits(client.document), fold(client.document).replace(" ", "")) if key
    )
    return keys


def _typo_eligible(word: str, shortest: int) -> bool:
    """Tell whether ``word`` may be reached or used through a one-character typo."""
    return len(word) >= shortest and not word.isdigit()


class _Collector:
    """Positions per key, appended in increasing order (clients are indexed in id order)."""

    def __init__(self) -> None:
        self.lists: dict[str, list[int]] = {}

    def add(self, key: str, position: int) -> None:
        found = self.lists.get(key)
        if found is None:
            self.lists[key] = [position]
        elif found[-1] != position:
            found.append(position)


class SearchIndex:
    """An immutable search index over one list of clients, by position in service-id order.

    Positions index the clients sorted by service id; every posting is sorted, so the answer
    order of a tier (by service id) is the postings' own order. The index holds no client:
    callers map positions to what they answer.
    """

    def __init__(
        self, size: int, words: Postings, names: Postings, ids: Postings, neighbours: Postings
    ) -> None:
        self.size = size
        self._words = words  # word → positions of clients with that whole word anywhere
        self._names = names  # word → positions of clients with that word in their name
        self._ids = ids  # document or phone key → positions
        self._longest = words.longest()  # in UTF-8 bytes: a bound on the characters too
        self._neighbours = neighbours  # word minus one character → ranks of vocabulary words

    @classmethod
    def build(cls, clients: Sequence[Client]) -> SearchIndex:
        """Index ``clients`` by the words of name and address, documents and phones.

        Positions are those of ``sorted(clients, key=service_id)``; in id order already, that
        sort costs one pass.
        """
        ordered = sorted(clients, key=lambda client: client.service_id)
        words, names, ids = _Collector(), _Collector(), _Collector()
        for position, client in enumerate(ordered):
            keys = _id_keys(client)
            for key in keys:
                ids.add(key, position)
            for word in split_alnum(tokens(client.name)):
                names.add(word, position)
                words.add(word, position)
            for word in keys.union(address_tokens(client.address)):
                words.add(word, position)
        vocabulary = Postings.build(words.lists)
        neighbours = _Collector()
        for rank, word in enumerate(vocabulary.keys()):
            if _typo_eligible(word, MIN_TYPO_CHARS - 1):
                for variant in set(_deletions(word)):
                    neighbours.add(variant, rank)
        return cls(
            len(ordered),
            vocabulary,
            Postings.build(names.lists),
            Postings.build(ids.lists),
            Postings.build(neighbours.lists),
        )

    def dump(self) -> list[bytes]:
        """Serialise for an artifact, one part per posting list (see ``load``)."""
        parts = (self._words, self._names, self._ids, self._neighbours)
        return [str(self.size).encode(), *(part.dump() for part in parts)]

    @classmethod
    def load(cls, parts: Sequence[bytes]) -> SearchIndex:
        """Rebuild what ``dump`` wrote."""
        size, words, names, ids, neighbours = parts
        return cls(
            int(size),
            Postings.load(words),
            Postings.load(names),
            Postings.load(ids),
            Postings.load(neighbours),
        )

    def __len__(self) -> int:
        return self.size

    def name_positions(self, word: str) -> Sequence[int]:
        """Return the positions of the clients with ``word`` (folded) in their name."""
        return self._names.get(word)

    def word_positions(self, word: str) -> Sequence[int]:
        """Return the positions of the clients with ``word`` (folded) anywhere."""
        return self._words.get(word)

    def search(self, query: str, limit: int = 20) -> list[int]:
        """Return the positions of up to ``limit`` clients matching ``query``, best first."""
        return [position for position, _ in self.search_scored(query, limit)]

    def search_scored(self, query: str, limit: int = 20) -> list[tuple[int, MatchKind]]:
        """Return up to ``limit`` (position, how it matched) pairs for ``query``, best first."""
        text = query[:MAX_QUERY_CHARS]
        words = list(dict.fromkeys(address_tokens(text, keep_prefixes=True)))[:MAX_QUERY_WORDS]
        if limit <= 0 or not words:
            return []
        ranked: dict[int, MatchKind] = {}
        _add(ranked, sorted(self._exact_ids(text, words)), MatchKind.EXACT_ID, limit)
        required = [word for word in words if word not in OPTIONAL_WORDS]
        optional = [word for word in words if word in OPTIONAL_WORDS] if required else []
        # Optional words filter nothing but put the clients that have them first in each tier.
        preferred = (
            _intersect([self._set(self._words, word) for word in optional]) if optional else None
        )
        whole = self._whole(ranked, required or words, preferred, limit)
        if len(ranked) < limit:
            _add(
                ranked,
                _prefer(self._partial(required or words, whole), preferred),
                MatchKind.PARTIAL,
                limit,
            )
        return list(ranked.items())

    @staticmethod
    def _set(postings: Postings, key: str) -> AbstractSet[int]:
        found = postings.get(key)
        return frozenset(found) if found else _EMPTY

    def _exact_ids(self, text: str, words: list[str]) -> AbstractSet[int]:
        """Return the clients whose document or phone is the whole query."""
        compact = fold(text).replace(" ", "")
        found = self._set(self._ids, compact)
        if all(word.isdigit() for word in words):
            phone = normalize_phone(compact)
            if phone is not None and phone != compact:
                found = found | self._set(self._ids, phone)
        return found

    def _whole(
        self,
        ranked: dict[int, MatchKind],
        required: list[str],
        preferred: AbstractSet[int] | None,
        limit: int,
    ) -> AbstractSet[int]:
        """Add the whole-word tiers to ``ranked``; return every whole-word match."""
        if len(required) == 1:  # the common case, answered from the sorted postings
            word = required[0]
            names = self._names.get(word)
            _add(ranked, _prefer(names, preferred), MatchKind.NAME, limit)
            whole = self._set(self._words, word)
            if len(ranked) < limit:
                named = frozenset(names)
                others = [p for p in self._words.get(word) if p not in named]
                _add(ranked, _prefer(others, preferred), MatchKind.WHOLE_WORDS, limit)
            return whole
        whole = _intersect([self._set(self._words, word) for word in required])
        in_name = _intersect([self._set(self._names, word) for word in required] if whole else [])
        _add(ranked, _prefer(sorted(in_name), preferred), MatchKind.NAME, limit)
        _add(ranked, _prefer(sorted(whole - in_name), preferred), MatchKind.WHOLE_WORDS, limit)
        return whole

    def _partial(self, required: list[str], whole: AbstractSet[int]) -> Sequence[int]:
        """Return, sorted, the clients that match every word only with prefixes or typos."""
        if len(required) == 1:
            others = self._prefixed(required[0]) + self._typos(required[0])
            if len(others) == 1:  # one posting, already sorted: no set, no sort
                return list(filterfalse(whole.__contains__, self._words.at(others[0])))
        return sorted(_intersect([self._expand(word) for word in required]) - whole)

    def _expand(self, word: str) -> set[int]:
        """Return the clients with ``word`` as a whole word, a prefix or within one typo."""
        found = set(self._words.get(word))
        for rank in self._prefixed(word) + self._typos(word):
            found.update(self._words.at(rank))
        return found

    def _prefixed(self, word: str) -> list[int]:
        """Return the ranks of the longer vocabulary words that start with ``word``."""
        shortest = MIN_DIGIT_PREFIX_CHARS if word.isdigit() else MIN_PREFIX_CHARS
        if len(word) < shortest:
            return []
        own = self._words.index(word)
        return [rank for rank in self._words.prefixed_ranks(word) if rank != own]

    def _typos(self, word: str) -> list[int]:
        """Return the ranks of the vocabulary words one edit away from ``word``."""
        if not _typo_eligible(word, MIN_TYPO_CHARS) or len(word) > self._longest + 1:
            return []
        words = self._words
        candidates = set(self._neighbours.get(word))
        for variant in _deletions(word):
            rank = words.index(variant)
            if rank >= 0:
                candidates.add(rank)
            candidates.update(self._neighbours.get(variant))
        candidates.discard(words.index(word))
        return [rank for rank in candidates if within_one_edit(word, words.key(rank))]


def _intersect(sets: Sequence[AbstractSet[int]]) -> AbstractSet[int]:
    """Return the intersection of ``sets``, starting from the smallest."""
    if not sets:
        return _EMPTY
    smallest, *others = sorted(sets, key=len)
    return frozenset(smallest).intersection(*others)


def _prefer(ordered: Sequence[int], preferred: AbstractSet[int] | None) -> Iterable[int]:
    """Return ``ordered`` with the positions in ``preferred`` first, lazily."""
    if preferred is None:
        return ordered
    return chain(
        filter(preferred.__contains__, ordered), filterfalse(preferred.__contains__, ordered)
    )


def _add(
    ranked: dict[int, MatchKind], positions: Iterable[int], kind: MatchKind, limit: int
) -> None:
    """Add ``positions`` not ranked yet, in order, until ``ranked`` holds ``limit``."""
    for position in positions:
        if len(ranked) >= limit:
            return
        ranked.setdefault(position, kind)
