"""Decide whether a caller's claims about a client truly match it (identity verification).

Rules (README.md, the "Verification" decision), thinking of an attacker who guesses:

- Text is folded (case, accents, punctuation) and compared by whole words, in any order. A claim
  matches when every one of its words is a word of the stored value *and* it covers enough of it,
  so "B", "BELLA", "CALLE", "10", "%" or "" never match "CALLE 10 # 5-20" nor "BELLAVISTA".
- address, city, locality: address prefixes dropped (see text.address_tokens); every significant
  stored word (not an article, not a lone letter) must be claimed; the claim must carry at least
  ``MIN_TEXT_CHARS`` significant characters. Street types are prefixes, so "Calle 10 # 5-20" and
  "Carrera 10 # 5-20" are the same claim: the numbers identify, the prefix spelling varies too much.
- internet_plan_name: the same rule, with the word "plan" optional ("10MB" matches "PLAN 10MB").
- name: at least two claimed words, covering at least half of the stored name's words; a stored
  one-word name needs that word. A first name alone never matches a full name.
- document: ASCII digits only, exact, at least ``MIN_DOCUMENT_DIGITS`` digits.
- phone: normalize_phone of the claim is one of the client's phones.
- internet_plan_price: a real number (not a bool, not a string) within ``price_tolerance``.
- service_status, payment_status and the other fields are not identity: anyone can guess "Activo".

Claims are compiled once (claim words folded once) and the folded stored values are cached, so
``resolve_candidates`` over a whole directory stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from wisphub_api.services.text import STOP_WORDS, address_tokens, digits, split_alnum, tokens
from wisphub_api.translatable import N_plural
from wisphub_api.upstream.models import Client
from wisphub_api.upstream.phones import normalize_phone

SUPPORTED_FIELDS: tuple[str, ...] = (
    "name",
    "document",
    "phone",
    "address",
    "city",
    "locality",
    "internet_plan_name",
    "internet_plan_price",
)
# The fields POST /clients/resolve accepts: the cheapest, then the most selective check first.
RESOLVE_FIELDS: tuple[str, ...] = ("internet_plan_price", "name", "address", "internet_plan_name")

# Shared by most subscribers of one ISP: they may match, but never count toward the minimum,
# or "my town and my village" would verify anyone.
WEAK_FIELDS: frozenset[str] = frozenset({"city", "locality"})

MAX_CLAIM_CHARS = 256  # longer than any real value; refusing early keeps hostile input cheap
MIN_TEXT_CHARS = 3  # "PAZ" identifies a barrio; "10" or "B" identify nothing
MIN_DOCUMENT_DIGITS = 5  # a shorter stored document is a placeholder, not an identity

Predicate = Callable[[Client], bool]
_PLAN_WORDS = STOP_WORDS | {"plan"}


@dataclass(frozen=True, slots=True)
class Wording:
    """A sentence with numbers, as gettext's ``ngettext`` takes it (``num`` picks the form)."""

    singular: str
    plural: str
    num: int
    values: tuple[tuple[str, int], ...] = ()

    def english(self) -> str:
        """Return the sentence in English, the catalogues' source language."""
        text = self.singular if self.num == 1 else self.plural
        return text % {"num": self.num, **dict(self.values)}


# The verdict's sentences (``%(num)d``: the fields counted; ``%(matched)d``: those that matched).
VERIFIED = N_plural(
    "Identity verified: %(num)d field matched.", "Identity verified: %(num)d fields matched."
)
NOT_VERIFIED = N_plural(
    "Identity not verified: %(matched)d of the required %(num)d field matched.",
    "Identity not verified: %(matched)d of the required %(num)d fields matched.",
)
NOT_VERIFIED_WEAK = N_plural(
    "Identity not verified: %(matched)d of the required %(num)d field matched "
    "(city and locality do not count).",
    "Identity not verified: %(matched)d of the required %(num)d fields matched "
    "(city and locality do not count).",
)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The answer of an identity check; ``unmatched_count`` is for the limiter, not the caller.

    ``message`` is English; ``wording`` lets the HTTP layer say it in the caller's language.
    """

    is_valid: bool
    matched_fields: list[str]
    message: str
    unmatched_count: int = field(default=0)
    wording: Wording | None = field(default=None, compare=False)


def _words(kind: str, text: str) -> frozenset[str]:
    """Return the comparable words of a value of one kind (name, place or plan)."""
    if kind == "name":
        return frozenset(tokens(text)) - STOP_WORDS
    if kind == "plan":
        return frozenset(split_alnum(tokens(text))) - _PLAN_WORDS
    return frozenset(address_tokens(text)) - STOP_WORDS


# A verification reads a handful of one client's stored values, and splitting one again costs
# microseconds; 65,536 entries filled from a 50,000-client tenant held 33 MiB per worker (about
# 550 bytes an entry), longer than the snapshot they came from. 4,096 (about 2 MiB) keep the
# values of the last thousand or so clients verified.
@lru_cache(maxsize=1 << 12)
def _stored_words(kind: str, text: str) -> frozenset[str]:
    """Return ``_words`` of a stored value, cached: the directory repeats across requests."""
    return _words(kind, text)


def _significant(word: str) -> bool:
    """Tell whether a word identifies something (a lone letter does not; a number does)."""
    return len(word) > 1 or word.isdigit()


def _place_covers(claim: frozenset[str], stored: frozenset[str]) -> bool:
    """Tell whether a place or plan claim names exactly the stored value's significant words."""
    weight = sum(len(word) for word in claim if _significant(word))
    if weight < MIN_TEXT_CHARS or not claim <= stored:
        return False
    return all(word in claim for word in stored if _significant(word))


def _name_covers(claim: frozenset[str], stored: frozenset[str]) -> bool:
    """Tell whether a name claim is part of the stored name and enough of it."""
    claimed = {word for word in claim if len(word) > 1}
    known = {word for word in stored if len(word) > 1}
    if not claimed or not claim <= stored:
        return False
    if len(known) == 1:
        return len(next(iter(known))) >= MIN_TEXT_CHARS
    return len(claimed) >= 2 and 2 * len(claimed) >= len(known)


_TEXT_RULES: dict[str, tuple[str, Callable[[frozenset[str], frozenset[str]], bool]]] = {
    "name": ("name", _name_covers),
    "address": ("place", _place_covers),
    "city": ("place", _place_covers),
    "locality": ("place", _place_covers),
    "internet_plan_name": ("plan", _place_covers),
}


def _never(client: Client) -> bool:
    """Match nothing (the claim is of the wrong type or hostile)."""
    return False


def _text_matcher(field_name: str, value: Any) -> Predicate:
    """Return the predicate of one text claim."""
    if not isinstance(value, str) or len(value) > MAX_CLAIM_CHARS:
        return _never
    kind, covers = _TEXT_RULES[field_name]
    claim = _words(kind, value)
    if not claim:
        return _never

    def match(client: Client) -> bool:
        stored = getattr(client, field_name)
        return isinstance(stored, str) and covers(claim, _stored_words(kind, stored))

    return match


def _number_text(value: Any) -> str | None:
    """Return a document or phone claim as text (bots send numbers too), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if len(text) <= MAX_CLAIM_CHARS else None


def _document_matcher(value: Any) -> Predicate:
    """Return the predicate of a document claim: the same digits, exactly."""
    claim = digits(_number_text(value))
    if len(claim) < MIN_DOCUMENT_DIGITS:
        return _never
    return lambda client: digits(client.document) == claim


def _phone_matcher(value: Any) -> Predicate:
    """Return the predicate of a phone claim: one of the client's numbers."""
    text = _number_text(value)
    key = normalize_phone(text) if text is not None else None
    if key is None:
        return _never
    return lambda client: key in client.phones


def _price_matcher(value: Any, tolerance: float) -> Predicate:
    """Return the predicate of a plan price claim: within ``tolerance`` of the stored price."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _never
    claim = float(value)
    if not math.isfinite(claim):
        return _never

    def match(client: Client) -> bool:
        stored = client.internet_plan_price
        return stored is not None and abs(stored - claim) <= tolerance

    return match


def _matcher(field_name: str, value: Any, tolerance: float) -> Predicate:
    """Return the predicate of one supported claim."""
    if field_name == "document":
        return _document_matcher(value)
    if field_name == "phone":
        return _phone_matcher(value)
    if field_name == "internet_plan_price":
        return _price_matcher(value, tolerance)
    return _text_matcher(field_name, value)


def _compile(claims: Mapping[str, Any], tolerance: float) -> list[tuple[str, Predicate]]:
    """Return (field, predicate) for every supported, non-null claim, in request order."""
    return [
        (name, _matcher(name, value, tolerance))
        for name, value in claims.items()
        if name in SUPPORTED_FIELDS and value is not None
    ]


def verify(
    client: Client, claims: Mapping[str, Any], *, min_fields: int, price_tolerance: float = 1.0
) -> VerificationResult:
    """Check ``claims``; valid when at least ``min_fields`` identifying claims match.

    City and locality (``WEAK_FIELDS``) are reported when they match but do not count.
    """
    compiled = _compile(claims, price_tolerance)
    matched = [name for name, matches in compiled if matches(client)]
    identifying = sum(name not in WEAK_FIELDS for name in matched)
    required = max(1, min_fields)
    unmatched = len(compiled) - len(matched)
    if identifying >= required:
        wording = Wording(*VERIFIED, identifying)
        return VerificationResult(True, matched, wording.english(), unmatched, wording)
    sentences = NOT_VERIFIED_WEAK if identifying < len(matched) else NOT_VERIFIED
    wording = Wording(*sentences, required, (("matched", identifying),))
    return VerificationResult(False, matched, wording.english(), unmatched, wording)


def resolve_candidates(
    clients: Iterable[Client],
    claims: Mapping[str, Any],
    *,
    min_fields: int = 3,
    price_tolerance: float = 1.0,
) -> list[Client]:
    """Return every client that all the given resolve claims match (none when too few given)."""
    given = {name: claims[name] for name in RESOLVE_FIELDS if claims.get(name) is not None}
    if len(given) < max(1, min_fields):
        return []
    predicates = [matches for _, matches in _compile(given, price_tolerance)]
    return [client for client in clients if all(matches(client) for matches in predicates)]
