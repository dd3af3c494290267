"""Idempotency-Key: a retried write gets its first answer, and WispHub sees it once."""

from __future__ import annotations

import time

import pytest
from flask import request

from tests.conftest import AUTH
from tests.support.state import FakeClock
from wisphub_api.blueprints.idempotency import idempotent
from wisphub_api.services.errors import IdempotencyKeyReused, IdempotencyPending
from wisphub_api.services.idempotency import Claim, IdempotencyRecords, Recorded, fingerprint
from wisphub_api.state.guard import Guarded
from wisphub_api.state.local import LocalStore

PERFIL = "/api/clientes/9/perfil/"


def put(api, body, key: str | None = "retry-1"):
    headers = dict(AUTH)
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.put("/api/v1/clients/9", headers=headers, json=body)


def puts_sent(sandbox) -> int:
    return sandbox.stats()["by_path"].get(PERFIL, 0)


def test_retry_with_the_same_key_replays_and_sends_once(api, sandbox_clean):
    first = put(api, {"city": "CALI"})
    again = put(api, {"city": "CALI"})
    assert first.status_code == again.status_code == 200
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert puts_sent(sandbox_clean) == 1


def test_the_same_key_with_another_body_is_refused(api, sandbox_clean):
    assert put(api, {"city": "CALI"}).status_code == 200
    reused = put(api, {"city": "POPAYAN"})
    assert reused.status_code == 422
    assert reused.json["code"] == "idempotency_key_reused"
    assert puts_sent(sandbox_clean) == 1


def test_without_a_key_every_request_runs(api, sandbox_clean):
    for _ in range(2):
        assert put(api, {"city": "CALI"}, key=None).status_code == 200
    assert puts_sent(sandbox_clean) == 2


def test_a_write_that_timed_out_is_not_sent_again(make_app, sandbox_clean):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        UPSTREAM_READ_TIMEOUT=0.5,
    )
    api = app.test_client()
    assert api.get("/api/v1/clients/by-service-id/9", headers=AUTH).status_code == 200
    sandbox_clean.fault("stall", path=PERFIL, count=1)
    first = put(api, {"city": "CALI"})
    assert first.status_code == 504  # WispHub may have applied it: unknown outcome
    sandbox_clean.fault("ok")
    again = put(api, {"city": "CALI"})
    assert again.status_code == 504 and again.headers["Idempotent-Replayed"] == "true"
    assert puts_sent(sandbox_clean) == 1  # the retry was never sent


def test_a_write_wisphub_refused_gives_the_key_back(api, sandbox_clean):
    assert api.get("/api/v1/clients/by-service-id/9", headers=AUTH).status_code == 200
    sandbox_clean.fault("rate_limited", path=PERFIL, count=1, retry_after=1)
    refused = put(api, {"city": "CALI"})
    assert refused.status_code == 503  # a 429 upstream: WispHub did nothing
    assert refused.json["code"] == "upstream_rate_limited"
    time.sleep(1.1)  # the Retry-After WispHub asked for
    retried = put(api, {"city": "CALI"})
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert puts_sent(sandbox_clean) == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ñ"])
def test_a_malformed_key_is_422(api, key):
    answer = put(api, {"city": "CALI"}, key=key.encode().decode("latin-1"))
    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.json["errors"]


@pytest.fixture
def records(tmp_path) -> IdempotencyRecords:
    store = Guarded(LocalStore(tmp_path / "s.sqlite3", clock=FakeClock(10.0)), retry_seconds=5)
    return IdempotencyRecords(store, ttl=60, pending_ttl=30)


def test_records_a_second_claim_while_the_first_runs_is_told_to_wait(records):
    first = records.claim("tickets", "k", fingerprint("POST", "/x", b"{}"))
    assert isinstance(first, Claim)
    with pytest.raises(IdempotencyPending):
        records.claim("tickets", "k", fingerprint("POST", "/x", b"{}"))


def test_records_complete_then_replay_and_release_lets_a_retry_run(records):
    print_ = fingerprint("POST", "/x", b"{}")
    claim = records.claim("tickets", "k", print_)
    assert isinstance(claim, Claim)
    records.complete(claim, Recorded(201, {"id": 1}))
    assert records.claim("tickets", "k", print_) == Recorded(201, {"id": 1})
    with pytest.raises(IdempotencyKeyReused):
        records.claim("tickets", "k", fingerprint("POST", "/x", b"{ }"))
    other = records.claim("tickets", "k2", print_)
    assert isinstance(other, Claim)
    records.release(other)
    assert isinstance(records.claim("tickets", "k2", print_), Claim)


def test_records_keep_only_a_hash_of_the_key(records, tmp_path):
    records.claim("tickets", "whatsapp-msg-3001112233", fingerprint("POST"))
    assert b"3001112233" not in (tmp_path / "s.sqlite3").read_bytes()


def test_a_fingerprint_hook_stands_for_the_body_it_replaces(app):
    runs = []

    @app.post("/hooked")
    @idempotent("hooked", fingerprint=lambda: request.headers["X-Part"].encode())
    def hooked():
        runs.append(request.get_data())
        return {"run": len(runs)}, 201

    def send(part: str, body: bytes):
        headers = {"Idempotency-Key": "k", "X-Part": part}
        return app.test_client().post("/hooked", data=body, headers=headers)

    assert (send("a", b"one").status_code, runs) == (201, [b"one"])
    replayed = send("a", b"two")  # the hook, not the raw body, tells the requests apart
    assert (replayed.status_code, replayed.json, replayed.headers["Idempotent-Replayed"]) == (
        201,
        {"run": 1},
        "true",
    )
    reused = send("b", b"one")
    assert (reused.status_code, reused.json["code"]) == (422, "idempotency_key_reused")
    assert runs == [b"one"]
