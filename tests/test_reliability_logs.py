"""No document, phone, address, name or key in the logs, whatever the traffic and the faults.

One run replays the original load-test scenario many times, looks clients up by document and by
phone (in the spellings bots use, cold and warm), updates a profile, fails verifications until
the lockout, crashes on a hostile body, then meets every upstream fault. Every log record is kept
twice: raw, as the logging call made it (before any masking), and as the JSON lines written to
stderr. Each test searches one of them for every value that was sent or looked up.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.support.upstream_data import first_row, phone_owner_count, raw_clients
from wisphub_api import create_app
from wisphub_api.config import config_for_tests
from wisphub_api.upstream.phones import split_phones

FAULTS = ("error", "stall", "down", "invalid_json", "missing_fields", "short_count", "forbidden")
ROUNDS = 15  # how many times the original scenario is replayed
WRONG_CLAIMS = {"address": "CALLE FALSA 123 SUR", "internet_plan_price": 1.0}
NEW_PROFILE = {"phone": "3215550199", "address": "CALLE SECRETA 42 SUR"}
APP_LOGGERS = ("wisphub_api", "gunicorn")


class RawRecords(logging.Handler):
    """Keep each record's text as logged, before another handler's filter can mask it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        extras = [str(v) for k, v in vars(record).items() if k in {"route", "remote_addr"}]
        self.lines.append((record.name, " ".join([text, *extras])))


@dataclass
class Captured:
    """The raw records and the JSON lines of the run, and every value that must not show."""

    raw: list[tuple[str, str]] = field(default_factory=list)
    json_lines: list[str] = field(default_factory=list)
    sensitive: set[str] = field(default_factory=set)

    def leaks(self, texts: list[str]) -> dict[str, int]:
        """Return each sensitive value found in ``texts`` with how often it appears."""
        haystack = "\n".join(texts).lower()
        found = {value: haystack.count(value.lower()) for value in self.sensitive}
        return {value: n for value, n in found.items() if n}


def pick_clients(rows: list[dict]) -> list[dict]:
    """Return three clients with a document and a single phone that are theirs alone."""
    documents = [r["cedula"] for r in rows]

    def own(row: dict) -> bool:
        phones = split_phones(row["telefono"])
        return (
            bool(row["cedula"])
            and documents.count(row["cedula"]) == 1
            and len(phones) == 1
            and phone_owner_count(rows, phones[0]) == 1
        )

    picked = [first_row(rows, own)]
    for _ in range(2):
        picked.append(first_row(rows, lambda r: own(r) and r not in picked))
    return picked


def spellings(row: dict) -> tuple[list[str], list[str]]:
    """Return the document and phone spellings a bot may send for ``row``."""
    document, phone = row["cedula"], split_phones(row["telefono"])[0]
    documents = [document, f"{document[:-3]}.{document[-3:]}"]
    phones = [
        phone,
        f"+57 {phone[:3]} {phone[3:6]} {phone[6:]}",
        f"{phone[:3]}-{phone[3:]}",
        f"57{phone}",
    ]
    return documents, phones


def sensitive_values(
    rows: list[dict], client_7: dict, keys: list[str], upstream_key: str, wrong_keys: list[str]
) -> set[str]:
    """Return every personal value and key the run sends or looks up."""
    values = {
        upstream_key,
        *upstream_key.split("."),
        *keys,
        *wrong_keys,
        "Esperanza",
        *WRONG_CLAIMS.values(),
        *NEW_PROFILE.values(),
        client_7["direccion"],
    }
    for row in rows:
        documents, phones = spellings(row)
        values |= {*documents, *phones, row["telefono"], row["direccion"], row["nombre"]}
    return {str(v) for v in values if v and len(str(v)) >= 4}


def replay_original(client, auth: dict) -> None:
    """Replay the load test's four requests ROUNDS times."""
    for _ in range(ROUNDS):
        assert client.get("/api/v1/clients/", headers=auth).status_code == 200
        assert client.get("/api/v1/clients/search?q=Esperanza", headers=auth).status_code == 200
        verified = client.post(
            "/api/v1/clients/7/verify",
            headers=auth,
            json={"address": "BELLAVISTA", "internet_plan_price": 40000.0},
        )
        assert verified.json["is_valid"] is True
        assert client.get("/api/v1/internet-plans/", headers=auth).status_code == 200


def look_up(client, auth: dict, rows: list[dict]) -> None:
    """Find each client by every spelling of its document and phone, and verify it."""
    for row in rows:
        documents, phones = spellings(row)
        for value in documents:
            found = client.get(f"/api/v1/clients/by-document/{value}", headers=auth)
            assert found.status_code == 200
        for value in phones:
            assert client.get(f"/api/v1/clients/by-phone/{value}", headers=auth).status_code == 200
        claims = {"document": row["cedula"], "phone": phones[1], "name": row["nombre"]}
        assert (
            client.post(
                f"/api/v1/clients/{row['id_servicio']}/verify", json=claims, headers=auth
            ).status_code
            == 200
        )


def misbehave(client, auth: dict, rows: list[dict], wrong_keys: list[str]) -> None:
    """Fail verifications until the lockout, send wrong keys, update, and crash on a body."""
    service = rows[0]["id_servicio"]
    statuses = [
        client.post(
            f"/api/v1/clients/{service}/verify", json=WRONG_CLAIMS, headers=auth
        ).status_code
        for _ in range(7)
    ]
    assert statuses[-1] == 429
    for key in wrong_keys:
        assert client.get("/api/v1/clients/", headers={"X-API-Key": key}).status_code == 401
    update = client.put(f"/api/v1/clients/{rows[1]['id_servicio']}", json=NEW_PROFILE, headers=auth)
    assert update.status_code == 200
    hostile = f'{{"document": "{rows[2]["cedula"]}", "internet_plan_price": {"9" * 309}}}'
    client.post(
        f"/api/v1/clients/{service}/verify",
        data=hostile,
        headers={**auth, "Content-Type": "application/json"},
    )  # 500 today; see input


def meet_faults(sandbox, auth: dict, rows: list[dict], keys: list[str]) -> None:
    """Look clients up on cold apps while WispHub fails in every way."""
    for mode in FAULTS:
        app = make(sandbox, keys, UPSTREAM_READ_TIMEOUT=0.5, UPSTREAM_CONNECT_TIMEOUT=0.5)
        client = app.test_client()
        sandbox.fault(mode)
        documents, phones = spellings(rows[2])
        client.get(f"/api/v1/clients/by-document/{documents[1]}", headers=auth)
        client.get(f"/api/v1/clients/by-phone/{phones[1]}", headers=auth)
        client.get("/api/v1/clients/search?q=Esperanza", headers=auth)
        sandbox.fault("ok")
        app.extensions["wisphub_api.services"].close()


def make(sandbox, keys: list[str], **overrides):
    return create_app(
        config_for_tests(
            WISPHUB_NET_HOST=sandbox.url,
            WISPHUB_NET_KEY=sandbox.api_key,
            WISPHUB_INTERNAL_API_KEY=keys,
            LOG_LEVEL="DEBUG",
            **overrides,
        )
    )


@contextlib.contextmanager
def capture_everything() -> Iterator[tuple[RawRecords, io.StringIO]]:
    """Capture every record at DEBUG from every logger, raw and as written to stderr."""
    root, raw, stderr = logging.getLogger(), RawRecords(), io.StringIO()
    levels = {name: logging.getLogger(name).level for name in ("", "wisphub_api")}
    root.handlers.insert(0, raw)  # first: it sees records before any masking filter runs
    root.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stderr(stderr):
            yield raw, stderr
    finally:
        root.removeHandler(raw)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module")
def captured(sandbox) -> Captured:
    """Run the whole scenario once for this module and return what the logs hold."""
    sandbox.reset()
    rows = pick_clients(raw_clients(sandbox))
    client_7 = first_row(raw_clients(sandbox), lambda r: r["id_servicio"] == 7)
    keys = [f"bot-{secrets.token_hex(12)}", f"bot-{secrets.token_hex(12)}"]
    wrong_keys = [f"bot-{secrets.token_hex(12)}", keys[0][:-1]]
    auth = {"X-API-Key": keys[0]}
    with capture_everything() as (raw, stderr):
        app = make(sandbox, keys)
        client = app.test_client()
        look_up(client, auth, rows)  # cold first: one filtered upstream call per lookup
        replay_original(client, auth)
        look_up(client, auth, rows)  # warm
        misbehave(client, auth, rows, wrong_keys)
        meet_faults(sandbox, auth, rows, keys)
        app.extensions["wisphub_api.services"].close()
    sandbox.reset()
    return Captured(
        raw=raw.lines,
        json_lines=stderr.getvalue().splitlines(),
        sensitive=sensitive_values(rows, client_7, keys, sandbox.api_key, wrong_keys),
    )


def test_logs_capture_the_whole_run(captured):
    requests = [line for line in captured.json_lines if '"wisphub_api.request"' in line]
    assert len(requests) >= ROUNDS * 4 + 30
    assert all(json.loads(line) for line in captured.json_lines if line.startswith("{"))
    loggers = {name for name, _ in captured.raw}
    assert {
        "wisphub_api.request",
        "wisphub_api.upstream",
        "wisphub_api.errors",
    } <= loggers  # DEBUG from every logger reached us
    # urllib3 writes upstream URLs with their query (documents, phones): it is kept quiet.
    assert not any(name.startswith("urllib3") for name in loggers)
    assert len(captured.sensitive) >= 30


def test_json_log_lines_hold_no_personal_data_or_keys(captured):
    assert captured.leaks(captured.json_lines) == {}


def test_app_log_records_hold_no_personal_data_or_keys_even_before_masking(captured):
    ours = [text for name, text in captured.raw if name.startswith(APP_LOGGERS)]
    assert ours
    assert captured.leaks(ours) == {}


def test_every_raw_log_record_at_debug_holds_no_personal_data(captured):
    assert captured.leaks([text for _, text in captured.raw]) == {}
