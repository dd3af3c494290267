"""Mark English sentences for the catalogues, and choose a language, without Flask.

Services mark their sentences here, and the serving worker (which answers some requests before
the app) chooses the language of its own refusals here too.

``N_(text)`` returns ``text`` unchanged, ``N_plural(singular, plural)`` the pair: the sentence
stays English where it is kept (a table, a shared store), and ``wisphub_api.i18n`` translates it
when an answer says it. ``make translations`` extracts every ``N_``, ``N_plural``, ``gettext``
and ``ngettext`` of the package into the catalogues (mk/i18n.mk).
"""

from __future__ import annotations

from functools import lru_cache

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from wisphub_api.config import LANGUAGES

# Accept-Language values longer than this are judged each time instead of being remembered.
_MAX_REMEMBERED_HEADER = 256


def N_(text: str) -> str:
    """Mark ``text`` for the catalogues; it is translated where it is answered."""
    return text


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a sentence with a count (``%(num)d``) and its plural, for ``ngettext``."""
    return singular, plural


def best_language(header: str, default: str) -> str:
    """Return the best of ``LANGUAGES`` for an ``Accept-Language`` value, else ``default``."""
    if len(header) > _MAX_REMEMBERED_HEADER:
        return _best_language.__wrapped__(header, default)
    return _best_language(header, default)


@lru_cache(maxsize=512)
def _best_language(header: str, default: str) -> str:
    """Judge one ``Accept-Language`` value (bots send few distinct ones: each judged once)."""
    accepted = parse_accept_header(header, LanguageAccept)
    # "*" (any language) leaves the choice to the service: it is not a wish for the first one.
    named = LanguageAccept([(value, q) for value, q in accepted if value != "*"])
    return str(named.best_match(LANGUAGES, default=default))
