"""JSON logs: one line per request with the route template, and masking of personal data."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from tests.conftest import AUTH
from wisphub_api.observability.logging import (
    APP_LOGGER,
    MASKING_FILTER,
    JsonFormatter,
    MaskingFilter,
)


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _request_lines(capsys) -> list[dict]:
    return [e for e in _lines(capsys.readouterr().err) if e["logger"] == "wisphub_api.request"]


def test_logging_request_line_has_route_template_not_raw_values(client, capsys):
    capsys.readouterr()
    response = client.get(
        "/api/v1/clients/by-phone/3001234567?x=1",
        headers={"X-Request-ID": "log-1", "X-API-Key": "wrong-key-9876"},
    )
    assert response.status_code == 401
    lines = _request_lines(capsys)
    assert len(lines) == 1
    entry = lines[0]
    assert entry["route"] == "/api/v1/clients/by-phone/<phone>"
    assert (entry["method"], entry["status"], entry["request_id"]) == ("GET", 401, "log-1")
    assert entry["remote_addr"] == "127.0.0.1"
    assert isinstance(entry["duration_ms"], float)
    assert {"ts", "level", "message", "cache"} <= set(entry)
    assert "3001234567" not in json.dumps(entry) and "wrong-key" not in json.dumps(entry)


def test_logging_unmatched_path_is_not_logged_raw(client, capsys):
    capsys.readouterr()
    assert client.get("/nowhere/1234567890").status_code == 404
    (entry,) = _request_lines(capsys)
    assert entry["route"] == "<unmatched>"


def test_logging_health_checks_stay_out_of_info_logs(client, capsys):
    capsys.readouterr()
    assert client.get("/health").status_code == 200
    assert _request_lines(capsys) == []


def test_logging_level_setting_silences_request_lines(make_app, capsys):
    client = make_app(LOG_LEVEL="WARNING").test_client()
    capsys.readouterr()
    assert client.get("/api/v1/clients/").status_code == 401
    assert _request_lines(capsys) == []


def test_logging_handler_installed_once_for_many_apps(make_app):
    make_app()
    make_app()
    ours = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert len(ours) == 1
    assert MASKING_FILTER in ours[0].filters


@pytest.mark.parametrize(
    ("proxies", "expected"), [(0, "127.0.0.1"), (1, "5.6.7.8"), (2, "1.2.3.4")]
)
def test_logging_remote_addr_trusts_only_the_configured_proxies(
    make_app, capsys, proxies, expected
):
    client = make_app(TRUSTED_PROXY_COUNT=proxies).test_client()
    capsys.readouterr()
    client.get("/api/v1/clients/", headers={"X-Forwarded-For": "1.2.3.4, 5.6.7.8"})
    (entry,) = _request_lines(capsys)
    assert entry["remote_addr"] == expected


def _masked(message: str, *args, secrets=()) -> str:
    masking = MaskingFilter()
    masking.add_secrets(secrets)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, args, None)
    assert masking.filter(record) is True
    return record.getMessage()


@pytest.mark.parametrize(
    ("message", "args", "hidden"),
    [
        ("lookup of %s", ("1061653306",), "1061653306"),
        ("phone +57 3162710343 called", (), "3162710343"),
        ("contact ana.perez+bot@example.com.co now", (), "ana.perez+bot@example.com.co"),
        ("headers {'X-API-Key': 'demo-bot-key-change-me'}", (), "demo-bot-key-change-me"),
        (
            "Authorization: Api-Key Sbx4Demo.W1spHubSandboxKey000000000000001",
            (),
            "Sbx4Demo.W1spHubSandboxKey000000000000001",
        ),
        ("api_key=abcdefgh12", (), "abcdefgh12"),
    ],
)
def test_masking_filter_hides_personal_values_and_keys(message, args, hidden):
    masked = _masked(message, *args)
    assert hidden not in masked
    assert "***" in masked


def test_masking_filter_hides_configured_secrets_anywhere():
    assert _masked("key was shortkey-xyz", secrets=["shortkey-xyz"]) == "key was ***"


def test_masking_filter_keeps_ordinary_text():
    text = "refreshed clients in 809 ms (7252 rows); api_key is required"
    assert _masked(text) == text


def test_masking_filter_masks_tracebacks():
    masking = MaskingFilter()
    try:
        raise ValueError("no client with document 1061653306")
    except ValueError:
        record = logging.getLogger(APP_LOGGER).makeRecord(
            APP_LOGGER, logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info()
        )
    masking.filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert "1061653306" not in line["exc"]
    assert "ValueError" in line["exc"]


def test_json_formatter_writes_request_fields_and_no_request_id_outside_requests():
    record = logging.LogRecord(
        "wisphub_api.x", logging.WARNING, __file__, 1, "hello %s", ("world",), None
    )
    record.route = "/health"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello world"
    assert entry["level"] == "WARNING" and entry["logger"] == "wisphub_api.x"
    assert entry["route"] == "/health"
    assert entry["request_id"] is None


class _ThreadLines(logging.Handler):
    """Keep each record as its JSON line (formatted when emitted) and the thread that logged it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[int, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.thread or 0, json.loads(JsonFormatter().format(record))))


def test_logging_app_logs_carry_the_request_id(client):
    # A cold lookup calls WispHub in the request itself. It also starts a snapshot build in the
    # builder's thread, whose lines belong to no request: only the request's thread is judged.
    capture = _ThreadLines()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        client.get("/api/v1/clients/by-service-id/7", headers={**AUTH, "X-Request-ID": "corr-9"})
    finally:
        root.removeHandler(capture)
    entries = [entry for thread, entry in capture.lines if thread == threading.get_ident()]
    assert {e["logger"] for e in entries} >= {"wisphub_api.upstream", "wisphub_api.request"}
    assert {e["request_id"] for e in entries} == {"corr-9"}
