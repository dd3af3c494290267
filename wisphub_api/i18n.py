"""Say every human sentence in the caller's language: Spanish or English, by ``Accept-Language``.

Sentences are written in English in the code, marked with ``N_`` (or ``gettext``/``ngettext``
where they are built with values), and looked up in the gettext catalogues of
``wisphub_api/translations`` only when an answer renders one. The language is chosen then, once
per request: the best of ``LANGUAGES`` for ``Accept-Language``, else ``DEFAULT_LANGUAGE`` (the
same choice flask-babel's locale selector makes). A request that says no sentence pays nothing
but one lookup in ``g`` after it. An answer that holds a sentence says which language
(``Content-Language``) and that it varies with ``Accept-Language``; codes, field names and
statuses never change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale

from wisphub_api.config import LANGUAGES
from wisphub_api.translatable import N_, best_language

__all__ = ["LANGUAGES", "N_", "plural", "translate", "translate_message", "translate_messages"]
_CHOSEN = "wisphub_api_language"  # in ``g``: the language of this request, once chosen
_CATALOGUE = "wisphub_api_catalogue"  # in ``g``: its catalogue, once a sentence is said
CATALOGUES_KEY = "wisphub_api.catalogues"  # in ``app.extensions``: each language's catalogue
_ENGLISH = NullTranslations()  # outside an app: the msgids as they are
# Parsed once: flask-babel takes a Locale from the selector as it is.
_LOCALES = {language: Locale.parse(language) for language in LANGUAGES}


def _choose() -> str:
    """Choose the request's language (the best of LANGUAGES, else DEFAULT_LANGUAGE)."""
    default = str(current_app.config["DEFAULT_LANGUAGE"])
    if not has_request_context():
        return default
    language = best_language(request.headers.get("Accept-Language", ""), default)
    setattr(g, _CHOSEN, language)
    return language


def select_language() -> Locale:
    """Return the request's language as flask-babel's locale selector."""
    return _LOCALES[g.get(_CHOSEN) or _choose()]


def current_language() -> str:
    """Return the language of this request's sentences (choosing it if not chosen yet)."""
    return str(g.get(_CHOSEN) or _choose())


def language_chosen() -> bool:
    """Tell whether this request has said a sentence yet (so its answer holds one)."""
    return g.get(_CHOSEN) is not None


def _catalogue() -> NullTranslations:
    """Return this request's catalogue, chosen on the first sentence and then kept in ``g``.

    The same catalogues as flask-babel's (its directories and domain), read once per app: its
    per-call lookup costs about 15 µs, this one a dictionary lookup.
    """
    if not has_app_context():
        return _ENGLISH
    catalogue = g.get(_CATALOGUE)
    if catalogue is None:
        catalogues = current_app.extensions[CATALOGUES_KEY]
        catalogue = catalogues[g.get(_CHOSEN) or _choose()]
        setattr(g, _CATALOGUE, catalogue)
    return catalogue


def translate(text: str) -> str:
    """Return ``text`` (an English msgid) in the request's language; unknown text as it is."""
    return _catalogue().gettext(text) if text else text


def plural(singular: str, plural_text: str, number: int, **values: Any) -> str:
    """Return the sentence for ``number`` things in the request's language, values filled.

    The sentences use gettext's ``%(num)d`` (``number``) and ``%(name)s`` placeholders.
    """
    return _catalogue().ngettext(singular, plural_text, number) % {"num": number, **values}


# The sentences marshmallow (and the schemas' validators) write into ``errors``; the ones with
# values are matched by pattern so that the values survive translation.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
)
MESSAGE_TEMPLATES = (
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Longer than maximum length {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Must be one of: {choices}."),
    N_("At least {needed} fields are required."),
)
_FIELD = re.compile(r"\\\{(\w+)\\\}")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    compiled = []
    for template in MESSAGE_TEMPLATES:
        regex = _FIELD.sub(lambda m: f"(?P<{m.group(1)}>.+?)", re.escape(template))
        compiled.append((re.compile(f"^{regex}$"), template))
    return tuple(compiled)


def translate_message(text: str) -> str:
    """Translate one validation message, refilling the values of a message that has some."""
    translated = translate(text)
    if translated != text:
        return translated
    for pattern, template in _patterns():
        found = pattern.match(text)
        if found:
            return translate(template).format_map(found.groupdict())
    return text


def translate_messages(node: Any, each: Callable[[str], str] = translate_message) -> Any:
    """Return ``errors`` (messages by field, nested) with every message translated."""
    if isinstance(node, dict):
        return {key: translate_messages(value, each) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [translate_messages(value, each) for value in node]
    return each(node) if isinstance(node, str) else node


def say_language(response: Response) -> Response:
    """Name the language of an answer that holds a sentence (nothing for the others)."""
    language = g.get(_CHOSEN)
    if language is not None:
        response.headers["Content-Language"] = language
        response.vary.add("Accept-Language")
    return response


def in_every_language(render: Callable[[], Any]) -> dict[str, Any]:
    """Return what ``render`` gives in each of ``LANGUAGES`` (for an answer kept for replays)."""
    catalogues = current_app.extensions[CATALOGUES_KEY]
    kept = g.pop(_CATALOGUE, None)
    rendered = {}
    try:
        for language in LANGUAGES:
            setattr(g, _CATALOGUE, catalogues[language])
            with force_locale(language):  # for flask-babel's own functions, if any are used
                rendered[language] = render()
    finally:
        g.pop(_CATALOGUE, None)
        if kept is not None:
            setattr(g, _CATALOGUE, kept)
    return rendered


def _load(directories: list[str], language: str, domain: str) -> NullTranslations:
    """Read one language's catalogue from flask-babel's directories, as flask-babel merges them."""
    catalogue: NullTranslations = NullTranslations()
    for directory in directories:
        found = Translations.load(directory, [language], domain)
        if not isinstance(found, Translations):
            continue  # no catalogue of this language there
        if isinstance(catalogue, Translations):
            catalogue.merge(found)
        else:
            catalogue = found
    return catalogue


def init_app(app: Flask) -> None:
    """Bind flask-babel to ``app`` with the catalogues of this package, and read them once."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LANGUAGE"])
    Babel(app, locale_selector=select_language, configure_jinja=False)
    babel = app.extensions["babel"]
    app.extensions[CATALOGUES_KEY] = {
        language: _load(babel.translation_directories, language, babel.default_domain)
        for language in LANGUAGES
    }
    app.after_request(say_language)
