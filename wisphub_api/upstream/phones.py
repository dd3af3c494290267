"""Phone numbers as WispHub stores them (free text) turned into display text and lookup keys."""

from __future__ import annotations

import re

# Staff separate several numbers with commas, semicolons, slashes or the Spanish "y" ("and").
_SEPARATORS = re.compile(r"[,;/]|\s+y\s+", re.IGNORECASE)
# An extension at the end: "ext 12", "ext. 12", "extensión 12", "x12", "#12".
_EXTENSION = re.compile(r"\s*(?:ext(?:ensi[oó]n)?\.?|x|#)\s*\d{1,6}\s*$", re.IGNORECASE)
_NON_DIGITS = re.compile(r"\D")
# National numbers (Colombia, Mexico) have 10 digits; a longer string carries a country prefix.
_NATIONAL_DIGITS = 10
# Fewer digits than a 7-digit landline cannot identify anyone.
_MIN_DIGITS = 7
# A country code plus a national number never passes 13 digits ("521" + 10 for Mexican mobiles);
# more digits in one piece means two numbers written side by side.
_MAX_SINGLE_DIGITS = 13


def normalize_phone(raw: str) -> str | None:
    """Return the digits that identify a phone, or None when too few remain."""
    if not raw:
        return None
    digits = _NON_DIGITS.sub("", _EXTENSION.sub("", raw))
    if len(digits) > _NATIONAL_DIGITS:
        digits = digits[-_NATIONAL_DIGITS:]
    return digits if len(digits) >= _MIN_DIGITS else None


def split_phone_text(raw: str | None) -> tuple[str, ...]:
    """Split a free-text phone field into its trimmed numbers, as written (for display)."""
    if not raw:
        return ()
    parts: list[str] = []
    for part in _SEPARATORS.split(raw):
        parts.extend(_split_side_by_side(part.strip()))
    return tuple(part for part in parts if part)


def split_phones(raw: str | None) -> tuple[str, ...]:
    """Split a free-text phone field and return its distinct normalised numbers, in order."""
    keys: dict[str, None] = {}
    for part in split_phone_text(raw):
        key = normalize_phone(part)
        if key is not None:
            keys.setdefault(key)
    return tuple(keys)


def display_phones(raw: str | None) -> str | None:
    """Return the numbers of a phone field joined with "," (None when there is none)."""
    return ",".join(split_phone_text(raw)) or None


def _split_side_by_side(part: str) -> list[str]:
    """Split "3001234567 3119876543" into two numbers; leave "+57 300 123 4567" whole."""
    if len(_NON_DIGITS.sub("", part)) <= _MAX_SINGLE_DIGITS:
        return [part]
    tokens = [token for token in part.split() if _NON_DIGITS.sub("", token)]
    if all(len(_NON_DIGITS.sub("", token)) >= _MIN_DIGITS for token in tokens):
        return tokens
    return [part]
