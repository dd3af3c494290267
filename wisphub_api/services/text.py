"""Fold free text (names, addresses, queries) into comparable tokens.

Folding removes what people and bots vary without meaning anything: case, accents, punctuation and
spacing. ``address_tokens`` also drops the usual Colombian address prefixes and connectors, so that
"CRA 7 #12-34" and "Carrera 7 No. 12-34" give the same tokens.

Single letters are ambiguous: "B/ La Paz" is "Barrio La Paz", but "Manzana B" names a block. The
letters B, V and N are therefore dropped only in their prefix forms: "B/" and "V/" (a slash after
the letter, seen on the raw text before folding removes it) and "N" directly before a number
("N 12-34", "N° 12", "N.12"). Everywhere else a single letter is kept as a token.

Articles ("la", "el", "de", …) are kept by the tokenisers; the identity matcher and the search index
treat them as optional words (see ``STOP_WORDS``), so "LA ESPERANZA" and "ESPERANZA" are the same
place but "LA" alone is nothing.
"""

from __future__ import annotations

import re
import unicodedata

# Words that never identify anything on their own: a claim or query made only of them is empty.
STOP_WORDS: frozenset[str] = frozenset({"de", "del", "la", "el", "los", "las", "y"})

# Address prefixes and connectors, as they look after folding ("No." → "no", "V/" handled apart).
ADDRESS_PREFIXES: frozenset[str] = frozenset(
    {
        "vda",
        "vereda",
        "barrio",
        "brr",
        "calle",
        "cl",
        "cll",
        "carrera",
        "cra",
        "kr",
        "kra",
        "cr",
        "avenida",
        "av",
        "avda",
        "diagonal",
        "dg",
        "transversal",
        "tv",
        "no",
        "nro",
        "numero",
    }
)

_WORD = re.compile(r"[^\W_]+")
_LATIN_MARKS = re.compile("[\u0300-\u036f]")
# A letter and a digit glued together ("7A", "10MB", "N12") are two tokens.
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# "B/" and "V/" (barrio, vereda) before any folding removes the slash.
_SLASH_PREFIX = re.compile(r"(?<!\w)[bBvV]\s*/")
_ASCII_DIGITS = re.compile(r"[^0-9]")


def fold(text: str | None) -> str:
    """Return ``text`` without case, accents or punctuation, words separated by single spaces."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(_WORD.findall(text.lower()))
    # casefold after NFKD (black-letter H → "H" → "h"), then NFKD again ("İ" → "i" + a mark).
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    folded = _LATIN_MARKS.sub("", folded)  # Spanish accents, the common case, at C speed
    if not folded.isascii():
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_WORD.findall(folded))


def tokens(text: str | None) -> list[str]:
    """Return the folded words of ``text``, in order."""
    return fold(text).split()


def split_alnum(words: list[str]) -> list[str]:
    """Split every word where letters and digits meet ("7a" → "7", "a")."""
    return _LETTER_DIGIT.sub(" ", " ".join(words)).split()


def address_tokens(text: str | None, *, keep_prefixes: bool = False) -> list[str]:
    """Return the folded words of an address without its prefixes and connectors, in order.

    ``keep_prefixes`` keeps the prefix words (a search query may mean the surname "Calle") but
    still drops the "B/", "V/" and "N 12" forms, which are never words.
    """
    if not text:
        return []
    words = split_alnum(tokens(_SLASH_PREFIX.sub(" ", text)))
    kept: list[str] = []
    for position, word in enumerate(words):
        if word in ADDRESS_PREFIXES and not keep_prefixes:
            continue
        following = words[position + 1] if position + 1 < len(words) else ""
        if word == "n" and following[:1].isdigit():
            continue  # "N 12-34", "N° 12": the number sign, not a block named N
        kept.append(word)
    return kept


def digits(text: str | None) -> str:
    """Return only the ASCII digits of ``text`` (fullwidth and similar digits folded first)."""
    if not text:
        return ""
    return _ASCII_DIGITS.sub("", unicodedata.normalize("NFKD", text))
