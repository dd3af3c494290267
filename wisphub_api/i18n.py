"""Say every human sentence in the caller's language: Spanish or English, by ``Accept-Language``.

Sentences are written in English in the code, marked with ``N_`` (or ``gettext``/``ngettext``
where they are built with values), and looked up in the gettext catalogues of
``wisphub_api/translations`` only when an answer renders one. The language is chosen then, once
per request (flask-babel keeps it): the best of ``LANGUAGES`` for ``Accept-Language``, else
``DEFAULT_LANGUAGE``. An answer that holds a sentence says which language (``Content-Language``)
and that it varies with ``Accept-Language``; codes, field names and statuses never change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from babel import Locale
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext, ngettext

from wisphub_api.config import LANGUAGES
from wisphub_api.translatable import N_, best_language

__all__ = ["LANGUAGES", "N_", "plural", "translate", "translate_message", "translate_messages"]
_CHOSEN = "wisphub_api_language"  # in ``g``: the language of this request, once chosen
# Parsed once: flask-babel takes a Locale from the selector as it is.
_LOCALES = {language: Locale.parse(language) for language in LANGUAGES}


def select_language() -> Locale:
    """Return the request's language (flask-babel calls this at most once per request)."""
    default = current_app.config["DEFAULT_LANGUAGE"]
    if not has_request_context():
        return _LOCALES[default]
    language = best_language(request.headers.get("Accept-Language", ""), default)
    setattr(g, _CHOSEN, language)
    return _LOCALES[language]


def current_language() -> str:
    """Return the language of this request's sentences (choosing it if not chosen yet)."""
    return str(get_locale() or current_app.config["DEFAULT_LANGUAGE"])


def language_chosen() -> bool:
    """Tell whether this request has said a sentence yet (so its answer holds one)."""
    return g.get(_CHOSEN) is not None


def translate(text: str) -> str:
    """Return ``text`` (an English msgid) in the request's language; unknown text as it is."""
    return gettext(text) if text else text


def plural(singular: str, plural_text: str, number: int, **values: Any) -> str:
    """Return the sentence for ``number`` things in the request's language, values filled.

    The sentences use gettext's ``%(num)d`` (``number``) and ``%(name)s`` placeholders.
    """
    return str(ngettext(singular, plural_text, number, **values))


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
    rendered = {}
    for language in LANGUAGES:
        with force_locale(language):
            rendered[language] = render()
    return rendered


def init_app(app: Flask) -> None:
    """Bind flask-babel to ``app`` with the catalogues of this package."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LANGUAGE"])
    Babel(app, locale_selector=select_language, configure_jinja=False)
    app.after_request(say_language)
