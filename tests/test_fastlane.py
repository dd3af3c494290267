"""The fast lane (wisphub_api/fastlane.py) answers exactly as the app does without it."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import AUTH
from wisphub_api.extensions import METRICS_KEY
from wisphub_api.fastlane import FastLane

PLANS = "/api/v1/internet-plans/"
SEARCH = "/api/v1/clients/search?q=Esperanza"
CLIENTS = "/api/v1/clients/"
GZIP = {"Accept-Encoding": "gzip"}
# (method, path, headers): the same sequence goes to both apps, after a warm-up of each route.
REQUESTS = [
    ("GET", PLANS, AUTH),
    ("GET", PLANS, {}),
    ("GET", PLANS, {"X-API-Key": "wrong"}),
    ("GET", PLANS, {**AUTH, **GZIP}),
    ("GET", PLANS, {**AUTH, "Accept-Encoding": "gzip;q=0, identity"}),
    ("GET", PLANS, {**AUTH, "Accept-Encoding": "*"}),
    ("HEAD", PLANS, AUTH),
    ("HEAD", PLANS, {**AUTH, **GZIP}),
    ("GET", PLANS + "?x=1", AUTH),
    ("GET", PLANS, {**AUTH, "Accept-Language": "en"}),
    ("GET", PLANS, {**AUTH, "Accept-Language": "es"}),
    ("GET", PLANS, {**AUTH, "X-Request-ID": "bot-42.a"}),
    ("GET", PLANS, {**AUTH, "X-Request-ID": "not valid!"}),
    ("GET", PLANS, {**AUTH, "If-None-Match": "etag"}),  # replaced by the answer's ETag
    ("GET", PLANS, {**AUTH, "If-None-Match": '"other"'}),
    ("GET", PLANS, {**AUTH, "Range": "bytes=0-10"}),
    ("GET", PLANS, {**AUTH, "Origin": "https://bot.example"}),
    ("POST", PLANS, AUTH),
    ("GET", "/api/v1/internet-plans", AUTH),
    ("GET", "/api/internet-plans/", AUTH),
    ("GET", CLIENTS, AUTH),
    ("GET", CLIENTS, {**AUTH, **GZIP}),
    ("GET", CLIENTS, {}),
    ("HEAD", CLIENTS, {**AUTH, **GZIP}),
    ("GET", "/api/v1/clients", AUTH),
    ("GET", "/api/clients/", {**AUTH, "Accept-Language": "en"}),
    ("GET", CLIENTS + "?limit=2", AUTH),
    ("GET", CLIENTS + "?limit=2&offset=1", {**AUTH, **GZIP}),
    ("GET", CLIENTS + "?limit=0", AUTH),
    ("GET", CLIENTS, {**AUTH, "If-None-Match": "etag"}),
    ("GET", CLIENTS, {**AUTH, "Origin": "https://bot.example"}),
    ("POST", CLIENTS, AUTH),
    ("GET", SEARCH, AUTH),
    ("GET", SEARCH, {}),
    ("GET", SEARCH, {**AUTH, **GZIP}),
    ("HEAD", SEARCH, AUTH),
    ("GET", SEARCH, {**AUTH, "If-None-Match": '"x"', "Accept-Language": "en"}),
    ("GET", SEARCH, {**AUTH, "X-Request-ID": "r-1"}),
    ("GET", SEARCH + "&limit=2", AUTH),
    ("GET", SEARCH + "&limit=2", AUTH),
    ("GET", SEARCH + "&limit=0", AUTH),
    ("GET", SEARCH + "&q=other", AUTH),
    ("GET", SEARCH + "&unknown=1", AUTH),
    ("GET", "/api/clients/search?q=Esperanza", AUTH),
    ("GET", "/api/v1/clients/search", AUTH),
    ("DELETE", SEARCH, AUTH),
]
# Chosen per request when the caller sends none, or sent by the clock.
VARYING = {"Date", "X-Request-ID"}


def _answers(app, caplog) -> tuple[list, list, list]:
    client = app.test_client()
    client.get(PLANS, headers=AUTH)  # warm: the first request loads the snapshot
    client.get(SEARCH, headers=AUTH)
    etag = client.get(PLANS, headers=AUTH).headers["ETag"]
    answers, lines = [], []
    for method, path, headers in REQUESTS:
        if headers.get("If-None-Match") == "etag":
            headers = {**headers, "If-None-Match": etag}
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="wisphub_api.request"):
            answer = client.open(path, method=method, headers=headers)
        given_id = headers.get("X-Request-ID") == answer.headers.get("X-Request-ID")
        kept = [(k, v) for k, v in answer.headers if k not in VARYING or (given_id and k != "Date")]
        answers.append((method, path, answer.status, kept, answer.get_data()))
        for record in caplog.records:
            if record.name == "wisphub_api.request":
                line = json.loads(record.json_line)
                for key in ("ts", "duration_ms") + (() if given_id else ("request_id",)):
                    line.pop(key)
                lines.append(line)
    metrics = app.extensions[METRICS_KEY]
    samples = [
        (sample.name, sorted(sample.labels.items()), sample.value)
        for family in metrics.registry.collect()
        if family.name.startswith(("wisphub_api_http_requests", "wisphub_api_errors"))
        or family.name == "wisphub_api_cache_events"
        for sample in family.samples
        if not sample.name.endswith("_created")
        # A background refresh may finish during either run: its events are not the requests'.
        and not sample.labels.get("event", "").startswith("refresh")
    ]
    return answers, lines, samples


@pytest.mark.parametrize("cors", ["", "https://bot.example"])
def test_fast_lane_answers_as_the_app_does(make_app, sandbox_clean, caplog, cors):
    def app_with(fast: bool):
        return make_app(
            WISPHUB_NET_HOST=sandbox_clean.url,
            WISPHUB_NET_KEY=sandbox_clean.api_key,
            FAST_LANE=fast,
            CORS_ORIGINS=[cors] if cors else [],
        )

    fast = app_with(True)
    assert isinstance(fast.wsgi_app.app, FastLane)  # inside the request clock
    fast_answers, fast_lines, fast_metrics = _answers(fast, caplog)
    sandbox_clean.reset()
    slow = app_with(False)
    assert not isinstance(slow.wsgi_app.app, FastLane)
    slow_answers, slow_lines, slow_metrics = _answers(slow, caplog)
    for on, off in zip(fast_answers, slow_answers, strict=True):
        assert on == off
    assert fast_lines == slow_lines
    assert len(fast_lines) == len(REQUESTS)
    assert fast_metrics == slow_metrics


def test_fast_lane_takes_the_plain_cached_gets(make_app, sandbox_clean, monkeypatch):
    app = make_app(WISPHUB_NET_HOST=sandbox_clean.url, WISPHUB_NET_KEY=sandbox_clean.api_key)
    client = app.test_client()
    client.get(PLANS, headers=AUTH)
    client.get(SEARCH, headers=AUTH)
    lane = app.wsgi_app.app
    monkeypatch.setattr(lane, "wsgi", None)  # the app is never called from here on
    assert client.get(PLANS, headers={**AUTH, **GZIP}).headers["Content-Encoding"] == "gzip"
    assert client.get(SEARCH, headers=AUTH).headers["X-Cache"] == "HIT"
    listed = client.get(CLIENTS, headers={**AUTH, **GZIP})
    assert listed.headers["Content-Encoding"] == "gzip"
    assert int(listed.headers["X-Total-Count"]) > 0
    assert client.head("/api/internet-plans", headers=AUTH).status_code == 200
