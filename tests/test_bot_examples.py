"""The bridges in docs/examples run: against the API under gunicorn over the sandbox.

README's "For bot builders" shows them; this module is why they cannot rot. The Twilio webhook is
driven with the form posts Twilio sends; the Kommo widget_request bridge with Kommo's JSON, its
answer caught by a stand-in for Kommo's continue URL on loopback; the n8n workflow is checked
against the API's own OpenAPI document (n8n itself is not run here).
"""

from __future__ import annotations

import importlib
import json
import queue
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
import pytest
import requests

from tests.support.servers import GunicornServer, free_port, start_api_over_sandbox
from wisphub_api.errors import ANSWERS

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
KEY = "examples-bot-key"
NESTOR_PHONE = "whatsapp:+573020762722"  # service 67 of the sandbox, as Twilio's From gives it
ESPERANZA_DOCUMENT = "1019473144"  # service 7


def load(name: str) -> ModuleType:
    """Import an example as its own file would be run (its folder on the path)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))


client_module = load("wisphub_client")
twilio = load("twilio_whatsapp")
kommo = load("kommo_salesbot")


@pytest.fixture(scope="module")
def api(sandbox, tmp_path_factory) -> Iterator[GunicornServer]:
    server = start_api_over_sandbox(sandbox, tmp_path_factory.mktemp("bot-examples"), KEY)
    yield server
    server.stop()
    sandbox.reset()


@pytest.fixture
def wisphub(api) -> Any:
    return client_module.WispHubApi(f"{api.url}/api/v1", KEY)


def reply(response) -> str:
    """The text of a TwiML answer."""
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    body = response.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    return body.split("<Message>", 1)[1].split("</Message>", 1)[0]


def owes_sentence(wisphub, service_id: int) -> str:
    """What the bridge must say of a balance, from the API's own answer."""
    balance = wisphub.balance(service_id).body
    if balance["outstanding_balance"] <= 0 or not balance["pending_invoices"]:
        return twilio.NOTHING_OWED
    return twilio.OWES.format(
        amount=twilio.pesos(balance["outstanding_balance"]),
        due=balance["pending_invoices"][-1]["due_on"],
    )


class TestTwilioWebhook:
    URL = "https://bot.example/twilio/whatsapp"
    TOKEN = "twilio-auth-token"

    @pytest.fixture
    def bridge(self, wisphub):
        return twilio.create_app(wisphub, self.TOKEN, self.URL).test_client()

    def send(self, bridge, sender: str, text: str, signature: str | None = None):
        form = {"From": sender, "Body": text, "MessageSid": "SM" + "0" * 32}
        if signature is None:
            signature = twilio.twilio_signature(self.TOKEN, self.URL, form)
        return bridge.post("/twilio/whatsapp", data=form, headers={"X-Twilio-Signature": signature})

    def test_a_known_number_is_verified_then_told_its_balance(self, bridge, wisphub):
        assert reply(self.send(bridge, NESTOR_PHONE, "hola")) == twilio.ASK_FACTS
        assert reply(self.send(bridge, NESTOR_PHONE, "Calle 5 # 10-20, 30000")) == twilio.NO_MATCH
        said = reply(self.send(bridge, NESTOR_PHONE, "barrio bellavista mz 11 cs 20, $30.000"))
        assert said == owes_sentence(wisphub, 67)

    def test_an_unknown_number_is_asked_for_the_document(self, bridge, wisphub):
        sender = "whatsapp:+573000000001"
        assert reply(self.send(bridge, sender, "buenas")) == twilio.ASK_DOCUMENT
        assert reply(self.send(bridge, sender, ESPERANZA_DOCUMENT)) == twilio.ASK_FACTS
        said = reply(self.send(bridge, sender, "BELLAVISTA, 40000"))
        assert said == owes_sentence(wisphub, 7)
        assert "40.000" in said  # the sandbox's Esperanza owes one month of her plan

    def test_facts_it_cannot_read_are_asked_again_without_a_verification(self, bridge):
        assert reply(self.send(bridge, NESTOR_PHONE, "hola")) == twilio.ASK_FACTS
        assert reply(self.send(bridge, NESTOR_PHONE, "no me acuerdo")) == twilio.ASK_FACTS

    def test_a_wrong_signature_is_refused_before_the_api_is_called(self, bridge):
        response = self.send(bridge, NESTOR_PHONE, "hola", signature="forged")
        assert response.status_code == 403

    def test_the_signature_covers_every_field(self, bridge):
        form = {"From": NESTOR_PHONE, "Body": "hola", "MessageSid": "SM1"}
        signed = twilio.twilio_signature(self.TOKEN, self.URL, form)
        response = bridge.post(
            "/twilio/whatsapp",
            data={**form, "Body": "changed"},
            headers={"X-Twilio-Signature": signed},
        )
        assert response.status_code == 403

    def test_an_unreachable_api_is_said_and_the_conversation_kept(self):
        down = client_module.WispHubApi(f"http://127.0.0.1:{free_port()}/api/v1", KEY)
        bridge = twilio.create_app(down, None).test_client()
        form = {"From": NESTOR_PHONE, "Body": "hola"}
        assert reply(bridge.post("/twilio/whatsapp", data=form)) == twilio.BUSY
        assert reply(bridge.post("/twilio/whatsapp", data=form)) == twilio.BUSY

    def test_a_locked_verification_tells_when_to_come_back(self, bridge):
        sender = "whatsapp:+573000000002"  # failures count for this person only (X-End-User)
        self.send(bridge, sender, "hola")
        self.send(bridge, sender, ESPERANZA_DOCUMENT)
        said = [reply(self.send(bridge, sender, "Calle Falsa 123, 99000")) for _ in range(6)]
        assert said[:5] == [twilio.NO_MATCH] * 5
        assert said[5].startswith("Demasiados intentos. Intente de nuevo en ")
        # The conversation starts over after a lockout.
        assert reply(self.send(bridge, sender, "hola")) == twilio.ASK_DOCUMENT


class KommoStandIn:
    """Kommo's continue URL on loopback: records what the bridge posts back."""

    def __init__(self) -> None:
        self.posts: queue.Queue[tuple[str, str, dict[str, Any]]] = queue.Queue()
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                posts.put((self.path, self.headers.get("Authorization", ""), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TestKommoWidgetRequest:
    SECRET = "kommo-integration-secret-of-32-bytes+"
    ACCESS = "kommo-access-token"

    @pytest.fixture
    def kommo_account(self) -> Iterator[KommoStandIn]:
        stand_in = KommoStandIn()
        yield stand_in
        stand_in.close()

    @pytest.fixture
    def bridge(self, wisphub, kommo_account):
        app = kommo.create_app(wisphub, self.SECRET, self.ACCESS, kommo_account.url)
        return app.test_client()

    def request(self, bridge, account, phone: str, *, secret: str | None = None, url=None):
        token = jwt.encode({"account_id": 1}, secret or self.SECRET, algorithm="HS256")
        return_url = url or f"{account.url}/api/v4/salesbot/321/continue/123"
        body = {"token": token, "data": {"phone": phone}, "return_url": return_url}
        return bridge.post("/kommo/identify", json=body)

    def test_a_known_number_continues_the_bot_with_its_service(self, bridge, kommo_account):
        response = self.request(bridge, kommo_account, "+57 302 076 2722")
        assert response.status_code == 200
        path, authorization, body = kommo_account.posts.get(timeout=15)
        assert path == "/api/v4/salesbot/321/continue/123"
        assert authorization == f"Bearer {self.ACCESS}"
        assert body == {"data": {"found": True, "service_id": 67, "code": None}}

    def test_an_unknown_number_continues_with_the_code(self, bridge, kommo_account):
        assert self.request(bridge, kommo_account, "573000000000").status_code == 200
        _, _, body = kommo_account.posts.get(timeout=15)
        assert body == {"data": {"found": False, "service_id": None, "code": "client_not_found"}}
        assert "client_not_found" in {answer.code for answer in ANSWERS.values()}

    def test_a_token_not_signed_by_the_integration_is_refused(self, bridge, kommo_account):
        response = self.request(
            bridge, kommo_account, "573020762722", secret="someone-else-with-a-long-enough-key"
        )
        assert response.status_code == 401
        with pytest.raises(queue.Empty):
            kommo_account.posts.get(timeout=1)

    def test_the_access_token_never_goes_to_another_host(self, bridge, kommo_account):
        elsewhere = f"http://127.0.0.1:{free_port()}/api/v4/salesbot/321/continue/123"
        response = self.request(bridge, kommo_account, "573020762722", url=elsewhere)
        assert response.status_code == 400

    def test_a_failing_api_makes_the_bot_say_so(self, kommo_account):
        down = client_module.WispHubApi(f"http://127.0.0.1:{free_port()}/api/v1", KEY)
        bridge = kommo.create_app(down, self.SECRET, self.ACCESS, kommo_account.url).test_client()
        assert self.request(bridge, kommo_account, "573020762722").status_code == 200
        _, _, body = kommo_account.posts.get(timeout=15)
        assert body["data"] == {"found": False, "service_id": None, "code": "api_unreachable"}
        assert body["execute_handlers"][0]["params"]["value"] == kommo.BUSY


@pytest.fixture(scope="module")
def operations(api) -> set[tuple[str, str]]:
    """Every (method, path) of the API's OpenAPI document, paths under /api/v1."""
    spec = requests.get(f"{api.url}/openapi.json", timeout=10).json()
    return {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in spec["paths"].items()
        for method in item
    }


class TestN8nWorkflow:
    WORKFLOW = json.loads((EXAMPLES / "n8n-identify-verify.json").read_text())
    BASE = "https://api.my-isp.example/api/v1"

    def nodes(self, kind: str) -> list[dict[str, Any]]:
        return [n for n in self.WORKFLOW["nodes"] if n["type"] == f"n8n-nodes-base.{kind}"]

    def test_every_request_is_an_operation_of_the_api(self, operations):
        requests_made = self.nodes("httpRequest")
        assert len(requests_made) == 2
        for node in requests_made:
            params = node["parameters"]
            url = params["url"].removeprefix("=")
            assert url.startswith(self.BASE + "/")
            path = url.removeprefix(self.BASE)
            # n8n's {{ expressions }} stand where the API has its path parameters.
            template = path.replace("{{ encodeURIComponent($json.body.phone) }}", "{phone}")
            template = template.replace("{{ $json.body.service_id }}", "{service_id}")
            assert (params["method"], template) in operations, template

    def test_every_request_sends_the_key_and_lets_the_flow_branch_on_the_status(self):
        for node in self.nodes("httpRequest"):
            params = node["parameters"]
            assert params["genericAuthType"] == "httpHeaderAuth"  # X-API-Key, from a credential
            assert params["options"]["response"]["response"] == {
                "fullResponse": True,
                "neverError": True,
            }
            assert 0 < params["options"]["timeout"] <= 15000  # docs/bot-flows.md's timeouts

    def test_verification_counts_failures_per_person(self):
        verify = next(n for n in self.nodes("httpRequest") if n["name"] == "Verify")
        headers = verify["parameters"]["headerParameters"]["parameters"]
        assert [h["name"] for h in headers] == ["X-End-User"]
        assert "address" in verify["parameters"]["jsonBody"]
        assert "internet_plan_price" in verify["parameters"]["jsonBody"]

    def test_the_graph_is_connected(self):
        names = {n["name"] for n in self.WORKFLOW["nodes"]}
        targets = {
            link["node"]
            for outputs in self.WORKFLOW["connections"].values()
            for branch in outputs["main"]
            for link in branch
        }
        assert set(self.WORKFLOW["connections"]) <= names
        assert targets == names - {"Webhook"}
