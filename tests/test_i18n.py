"""Sentences in Spanish or English by Accept-Language; the catalogues complete and up to date."""

from __future__ import annotations

import inspect
import json
import re
import shlex
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from tests.conftest import AUTH
from wisphub_api import errors
from wisphub_api.blueprints.idempotency import idempotent
from wisphub_api.config import LANGUAGES, ConfigError, load_config, validate_config
from wisphub_api.services.outage import OPEN_TICKETS, ROUTER_FAILURE, WHY
from wisphub_api.services.payments import PROMISES
from wisphub_api.services.verdict import MESSAGES
from wisphub_api.serving import answers
from wisphub_api.serving.settings import ServingSettings
from wisphub_api.translatable import best_language
from wisphub_api.upstream.errors import UpstreamTimeout

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "wisphub_api" / "translations"
POT = CATALOGUES / "messages.pot"
ES = Translations.load(str(CATALOGUES), ["es"])
ES_HEADERS = {**AUTH, "Accept-Language": "es-CO,es;q=0.9"}
EN_HEADERS = {**AUTH, "Accept-Language": "en-US,en;q=0.8"}
_BRACES = re.compile(r"\{(\w*)[^{}]*\}")
_PERCENT = re.compile(r"%\((\w+)\)[ds]")


def _read_po(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    strings = message.string
    return tuple(strings) if isinstance(strings, tuple | list) else (strings,)


def _extracted() -> set[str]:
    """Extract the package's marked sentences as `make translations` does (mk/i18n.mk)."""
    makefile = (ROOT / "mk" / "i18n.mk").read_text()
    flags = shlex.split(re.search(r"^I18N_KEYWORDS = (.*)$", makefile, re.M).group(1))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(flags[1::2])}
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(str(ROOT / "wisphub_api"), method_map, options_map, keywords=keywords)
    return {message[2] if isinstance(message[2], str) else message[2][0] for message in found}


# -- the catalogues ---------------------------------------------------------------------------
def test_every_marked_sentence_is_in_the_pot_and_nothing_else():
    in_pot = {_ids(message)[0] for message in _read_po(POT) if message.id}
    assert _extracted() == in_pot, "run `make translations` and translate what it added"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_has_a_translation_that_is_not_fuzzy(language):
    catalogue = _read_po(CATALOGUES / language / "LC_MESSAGES" / "messages.po")
    for template in _read_po(POT):
        if not template.id:
            continue
        message = catalogue.get(template.id)
        assert message is not None, f"{language} lacks {template.id!r}"
        assert not message.fuzzy, f"{language}: fuzzy {template.id!r}"
        assert all(s.strip() for s in _strings(message)), f"{language}: empty {template.id!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    catalogue = _read_po(CATALOGUES / language / "LC_MESSAGES" / "messages.po")
    for message in catalogue:
        if not message.id:
            continue
        for pattern in (_BRACES, _PERCENT):
            wanted = set(pattern.findall(_ids(message)[-1]))
            for string in _strings(message):
                assert set(pattern.findall(string)) == wanted, (language, message.id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_po(language):
    folder = CATALOGUES / language / "LC_MESSAGES"
    with (folder / "messages.mo").open("rb") as handle:
        compiled = {_ids(m): tuple(_strings(m)) for m in read_mo(handle) if m.id}
    written = {_ids(m): tuple(_strings(m)) for m in _read_po(folder / "messages.po") if m.id}
    assert compiled == written, "run `make translations` to compile the catalogues"


def test_spanish_differs_from_english_for_every_sentence():
    catalogue = _read_po(CATALOGUES / "es" / "LC_MESSAGES" / "messages.po")
    same = [m.id for m in catalogue if m.id and _strings(m)[0] == _ids(m)[0]]
    assert same == []


# -- every error answer, in both languages ----------------------------------------------------
_SAMPLE_VALUES = {
    "retry_after": 1.0,
    "what": "phone",
    "feature": PROMISES,
    "why": WHY[OPEN_TICKETS],
    "reason": OPEN_TICKETS,
    "count": 3,
    "limit": 5242880,
}


def _sample(kind: type[Exception]) -> Exception:
    """Return an instance of ``kind`` with realistic values for its required arguments."""
    if kind.__init__ is Exception.__init__:
        return kind()
    parameters = inspect.signature(kind).parameters.values()
    values = {
        p.name: _SAMPLE_VALUES[p.name]
        for p in parameters
        if p.name in _SAMPLE_VALUES or p.default is inspect.Parameter.empty
    }
    return kind(**values)


API_ERRORS = [errors.ApiError, *errors.ApiError.__subclasses__()]


@pytest.fixture
def raising(make_app):
    """Return a factory of apps with a route that raises the error it is given."""

    def factory(error: Exception, **settings):
        app = make_app(**settings)

        @app.get("/api/v1/_raise")
        def raise_it():
            raise error

        return app.test_client()

    return factory


def _answers(client):
    return (
        client.get("/api/v1/_raise", headers=ES_HEADERS),
        client.get("/api/v1/_raise", headers=EN_HEADERS),
    )


@pytest.mark.parametrize("kind", [*errors.ANSWERS, *API_ERRORS], ids=lambda kind: kind.__name__)
def test_every_error_answers_in_spanish_or_english_with_the_same_code(raising, kind):
    error = kind() if kind in API_ERRORS else _sample(kind)
    spanish, english = _answers(raising(error))
    assert spanish.status_code == english.status_code >= 400
    assert spanish.json["code"] == english.json["code"]
    english_detail = (
        error.detail if kind in API_ERRORS else errors.ANSWERS[kind].detail
    ).format_map({**vars(error), "what": "phone", "why": "its zone already has 3 open tickets"})
    assert english.json["detail"] == english_detail
    assert spanish.json["detail"] != english_detail
    assert "{" not in spanish.json["detail"] and spanish.json["detail"].endswith(".")
    assert (spanish.headers["Content-Language"], english.headers["Content-Language"]) == (
        "es",
        "en",
    )
    assert "Accept-Language" in spanish.headers["Vary"]


@pytest.mark.parametrize("accept", [None, "fr-FR,fr;q=0.9", "*", "de"])
@pytest.mark.parametrize("default", LANGUAGES)
def test_no_or_an_unsupported_language_gets_the_default(raising, accept, default):
    client = raising(errors.Unauthorized(), DEFAULT_LANGUAGE=default)
    headers = {**AUTH, "Accept-Language": accept} if accept else AUTH
    answer = client.get("/api/v1/_raise", headers=headers)
    expected = {"es": ES.gettext(errors.Unauthorized.detail), "en": errors.Unauthorized.detail}
    assert answer.status_code == 401 and answer.json["code"] == "unauthorized"
    assert answer.json["detail"] == expected[default]
    assert answer.headers["Content-Language"] == default


def test_the_first_language_the_caller_accepts_wins(raising):
    client = raising(errors.PayloadTooLarge(), DEFAULT_LANGUAGE="es")
    headers = {**AUTH, "Accept-Language": "fr, en;q=0.9, es;q=0.5"}
    answer = client.get("/api/v1/_raise", headers=headers)
    assert answer.json["detail"] == "The request body is too large."


# -- placeholders -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "spanish", "english"),
    [
        (
            errors.ClientNotFound("phone"),
            "Ningún cliente tiene este teléfono.",
            "No client has this phone.",
        ),
        (
            errors.ClientNotFound("document"),
            "Ningún cliente tiene este documento.",
            "No client has this document.",
        ),
        (
            errors.ClientNotFound("service id"),
            "Ningún cliente tiene este número de servicio.",
            "No client has this service id.",
        ),
        (
            errors.KnownOutage(WHY[OPEN_TICKETS], OPEN_TICKETS, count=4),
            "Una falla conocida afecta este servicio (su zona ya tiene 4 tickets abiertos); "
            "no se abrió ningún ticket.",
            "A known outage affects this service (its zone already has 4 open tickets); "
            "no ticket was opened.",
        ),
        (
            errors.KnownOutage(WHY[ROUTER_FAILURE], ROUTER_FAILURE),
            "Una falla conocida afecta este servicio (WispHub Net marca con falla general el "
            "router que lo atiende); no se abrió ningún ticket.",
            "A known outage affects this service (WispHub Net marks the router serving it with "
            "a general failure); no ticket was opened.",
        ),
        (
            errors.FeatureDisabled(PROMISES),
            "La función de promesas de pago está desactivada en este servicio.",
            "Payment promises are turned off on this service.",
        ),
        (
            errors.ReceiptTooLarge(1024),
            "El comprobante supera los 1024 bytes.",
            "The receipt is over 1024 bytes.",
        ),
    ],
)
def test_placeholders_are_filled_in_both_languages(raising, error, spanish, english):
    es, en = _answers(raising(error))
    assert (es.json["detail"], en.json["detail"]) == (spanish, english)


def test_validation_messages_by_field_are_translated_with_their_values(api):
    answer = api.get("/api/v1/clients/search?q=&limit=0", headers=ES_HEADERS)
    assert answer.status_code == 422 and answer.json["code"] == "validation_error"
    assert answer.json["detail"] == "Algunos campos tienen valores no válidos."
    messages = [m for field in answer.json["errors"].values() for m in field]
    assert "Debe ser mayor o igual que 1 y menor o igual que 100." in messages
    english = api.get("/api/v1/clients/search?q=&limit=0", headers=EN_HEADERS).json
    assert set(english["errors"]) == set(answer.json["errors"])  # field names never change


def test_missing_fields_stay_400_and_wrong_values_422_in_spanish(api):
    missing = api.post("/api/v1/clients/resolve", json={}, headers=ES_HEADERS)
    wrong = api.post("/api/v1/clients/7/verify", json={"address": 3, "city": 4}, headers=ES_HEADERS)
    assert (missing.status_code, missing.json["code"]) == (400, "bad_request")
    assert missing.json["detail"] == "Faltan campos obligatorios."
    assert missing.json["errors"] == {"_schema": ["Se requieren al menos 3 campos."]}
    assert (wrong.status_code, wrong.json["code"]) == (422, "validation_error")
    assert wrong.json["errors"]["address"] == ["No es un texto válido."]


def test_a_bad_id_in_the_url_is_explained_in_spanish(client):
    answer = client.get("/api/v1/clients/by-service-id/abc", headers=ES_HEADERS)
    assert answer.status_code == 422
    assert answer.json["detail"] == "El service_id de la URL debe ser un número entero."
    assert answer.json["errors"] == {
        "service_id": ["Debe ser un número entero entre 1 y 2147483647."]
    }


# -- verification and diagnostics -------------------------------------------------------------
VERIFY = "/api/v1/clients/7/verify"


@pytest.mark.parametrize(
    ("claims", "spanish", "english"),
    [
        (
            {"address": "BELLAVISTA", "internet_plan_price": 40000.0},
            "Identidad verificada: coinciden 2 campos.",
            "Identity verified: 2 fields matched.",
        ),
        (
            {"address": "BELLAVISTA", "internet_plan_price": 1.0},
            "Identidad no verificada: se necesitan 2 campos que coincidan y coinciden 1.",
            "Identity not verified: 1 of the required 2 fields matched.",
        ),
    ],
)
def test_verification_message_in_both_languages(api, claims, spanish, english):
    es = api.post(VERIFY, json=claims, headers=ES_HEADERS)
    en = api.post(VERIFY, json=claims, headers=EN_HEADERS)
    assert es.status_code == en.status_code == 200
    assert (es.json["message"], en.json["message"]) == (spanish, english)
    assert es.json["matched_fields"] == en.json["matched_fields"]
    assert es.headers["Content-Language"] == "es" and "Accept-Language" in es.headers["Vary"]


def test_verification_with_one_field_needed_is_singular(make_app, sandbox_clean):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        VERIFY_MIN_FIELDS=1,
    )
    answer = app.test_client().post(VERIFY, json={"address": "BELLAVISTA"}, headers=ES_HEADERS)
    assert answer.json["message"] == "Identidad verificada: coincide 1 campo."


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_diagnostic_message_has_a_spanish_sentence(app, kind):
    from wisphub_api.blueprints.diagnostics import public_diagnostic
    from wisphub_api.services.diagnostics import Diagnostic
    from wisphub_api.services.verdict import Verdict

    diagnostic = Diagnostic("0" * 32, 7, False, Verdict("done", "x", 1, 1, 1.0, MESSAGES[kind]))
    with app.test_request_context(headers={"Accept-Language": "es"}):
        spanish = public_diagnostic(diagnostic)["message"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = public_diagnostic(diagnostic)["message"]
    assert english == MESSAGES[kind]
    assert spanish == ES.gettext(MESSAGES[kind]) != english


def test_a_diagnostic_is_read_in_each_readers_language(make_app, sandbox_clean):
    sandbox_clean.latency(task_seconds=0.2)
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        DIAGNOSTIC_POLL_SECONDS=0.1,
        DIAGNOSTIC_MAX_SECONDS=5,
    )
    api = app.test_client()
    headers = {**ES_HEADERS, "Idempotency-Key": "diag-es"}
    first = api.post("/api/v1/clients/21/diagnostics?wait=10", json={}, headers=headers)
    assert first.status_code == 200 and first.json["verdict"] == "stable"
    assert first.json["message"] == ES.gettext(MESSAGES["stable"])
    read = api.get(f"/api/v1/diagnostics/{first.json['diagnostic_id']}", headers=EN_HEADERS)
    assert read.json["message"] == MESSAGES["stable"]
    # The replay of the first answer is said in the retry's language, all else the same.
    replay = api.post(
        "/api/v1/clients/21/diagnostics?wait=10",
        json={},
        headers={**EN_HEADERS, "Idempotency-Key": "diag-es"},
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == {**first.json, "message": MESSAGES["stable"]}
    assert replay.headers["Content-Language"] == "en"


def test_a_replayed_error_is_said_in_the_retrys_language(app):
    @app.post("/api/v1/_write")
    @idempotent("i18n-test")
    def write():
        raise UpstreamTimeout()  # WispHub may have acted: the answer is kept for retries

    api = app.test_client()
    first = api.post("/api/v1/_write", headers={**ES_HEADERS, "Idempotency-Key": "w-1"})
    again = api.post("/api/v1/_write", headers={**EN_HEADERS, "Idempotency-Key": "w-1"})
    assert first.status_code == again.status_code == 504
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json == {
        "detail": "WispHub Net no respondió a tiempo.",
        "code": "upstream_timeout",
    }
    assert again.json == {
        "detail": "WispHub Net did not answer in time.",
        "code": "upstream_timeout",
    }


# -- cost and headers -------------------------------------------------------------------------
def test_an_answer_without_a_sentence_names_no_language(client):
    answer = client.get("/health", headers={"Accept-Language": "es"})
    assert answer.status_code == 200
    assert "Content-Language" not in answer.headers
    assert "Accept-Language" not in answer.headers.get("Vary", "")


def test_a_cached_listing_is_the_same_in_every_language(api):
    es = api.get("/api/v1/internet-plans/", headers=ES_HEADERS)
    en = api.get("/api/v1/internet-plans/", headers=EN_HEADERS)
    assert es.status_code == en.status_code == 200 and es.data == en.data
    assert "Content-Language" not in es.headers


def test_a_plan_note_is_said_in_the_callers_language(api):
    plans = api.get("/api/v1/internet-plans/", headers=AUTH).json
    notes = {}
    for plan in plans:
        body = api.get(f"/api/v1/internet-plans/{plan['plan_id']}", headers=ES_HEADERS).json
        if "note" in body:
            notes[plan["plan_id"]] = body["note"]
    assert notes, "the sandbox has no plan without detail"
    assert set(notes.values()) == {
        ES.gettext("WispHub Net publishes no price or speeds for this plan.")
    }


# -- the worker's own refusals (before the app) ----------------------------------------------
@pytest.mark.parametrize("refusal", [answers.OVERLOADED, answers.BAD_REQUEST, answers.URI_TOO_LONG])
def test_worker_refusals_are_said_in_the_chosen_language(refusal):
    head, _, body = answers.json_answer(refusal, language="es").partition(b"\r\n\r\n")
    assert json.loads(body) == {"detail": ES.gettext(refusal[3]), "code": refusal[2]}
    assert b"Content-Language: es\r\n" in head
    english = json.loads(answers.json_answer(refusal, language="en").partition(b"\r\n\r\n")[2])
    assert english == {"detail": refusal[3], "code": refusal[2]}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "es"),
        ("en", "en"),
        ("fr, en-GB;q=0.5", "en"),
        ("*", "es"),
        ("pt-BR", "es"),
        ("x" * 300, "es"),
    ],
)
def test_worker_chooses_its_language_like_the_app(header, expected):
    assert best_language(header, "es") == expected


def test_worker_default_language_is_spanish():
    assert ServingSettings().default_language == "es"


# -- the setting ------------------------------------------------------------------------------
REQUIRED = {
    "WISPHUB_NET_HOST": "http://wisphub.test",
    "WISPHUB_NET_KEY": "k",
    "WISPHUB_INTERNAL_API_KEY": "bot",
}


def test_default_language_is_spanish_for_a_new_install():
    assert load_config(environ=dict(REQUIRED))["DEFAULT_LANGUAGE"] == "es"


@pytest.mark.parametrize("value", ["fr", "spanish", "", "es-CO"])
def test_an_unknown_default_language_stops_the_start(value):
    with pytest.raises(ConfigError, match="DEFAULT_LANGUAGE"):
        validate_config(load_config(environ={**REQUIRED, "DEFAULT_LANGUAGE": value}))


def test_default_language_is_read_in_any_case():
    config = load_config(environ={**REQUIRED, "DEFAULT_LANGUAGE": " EN "})
    validate_config(config)
    assert config["DEFAULT_LANGUAGE"] == "en"
