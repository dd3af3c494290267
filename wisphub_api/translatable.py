"""Mark English sentences for the gettext catalogues, without importing Flask (services use it).

``N_(text)`` returns ``text`` unchanged, ``N_plural(singular, plural)`` the pair: the sentence
stays English where it is kept (a table, a shared store), and ``wisphub_api.i18n`` translates it
when an answer says it. ``make translations`` extracts every ``N_``, ``N_plural``, ``gettext``
and ``ngettext`` of the package into the catalogues (mk/i18n.mk).
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark ``text`` for the catalogues; it is translated where it is answered."""
    return text


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a sentence with a count (``%(num)d``) and its plural, for ``ngettext``."""
    return singular, plural
