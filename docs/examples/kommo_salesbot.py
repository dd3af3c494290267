"""A Kommo Salesbot step that identifies the person writing, through a widget_request bridge.

Kommo's Salesbot reaches outside services with its ``widget_request`` handler: it POSTs JSON to
your URL — ``{"token": <a JWT signed with your integration's secret key>, "data": {...the step's
data...}, "return_url": "https://<subdomain>.kommo.com/api/v4/salesbot/<bot>/continue/<id>"}`` —
expects a quick 200, and waits until you POST the result to ``return_url`` (with the account's
access token). The result's ``data`` is read by the next steps as ``{{json.<field>}}``, and its
``execute_handlers`` can make the bot say something.

The Salesbot step (in the bot's code editor):

    {"handler": "widget_request",
     "params": {"url": "https://bot.my-isp.example/kommo/identify",
                "data": {"phone": "{{contact.phone}}"}}}

This bridge answers 200 at once, looks the number up in the WispHub API and posts back
``{"found": true|false, "service_id": ..., "code": ...}`` (nothing else about the person: the
next step must still verify them, see docs/bot-flows.md).

Run it (beside `make serve`):

    WISPHUB_API_URL=http://127.0.0.1:8000/api/v1 WISPHUB_API_KEY=demo-bot-key-change-me \
    KOMMO_ACCOUNT_URL=https://my-isp.kommo.com KOMMO_SECRET_KEY=... KOMMO_ACCESS_TOKEN=... \
    python docs/examples/kommo_salesbot.py
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
from typing import Any

import requests
from flask import Flask, abort, request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wisphub_client import WispHubApi

BUSY = "Nuestro sistema está lento; un asesor le escribirá pronto."


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def valid_token(token: str, secret: str) -> bool:
    """Whether ``token`` is an HS256 JWT signed with the integration's secret key."""
    try:
        header, payload, signature = token.split(".")
        if json.loads(_b64url(header)).get("alg") != "HS256":
            return False
        expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
        return hmac.compare_digest(expected.digest(), _b64url(signature))
    except (ValueError, AttributeError):
        return False


def identify(api: WispHubApi, phone: str) -> dict[str, Any]:
    """What the next Salesbot steps get: found or not, the service id, the API's code."""
    found = api.by_phone(phone)
    if found.status == 200:
        return {"data": {"found": True, "service_id": found.body["service_id"], "code": None}}
    if found.code == "client_not_found":
        return {"data": {"found": False, "service_id": None, "code": found.code}}
    # 503, 504, a timeout: tell the person, and let the bot branch on the code.
    return {
        "data": {"found": False, "service_id": None, "code": found.code},
        "execute_handlers": [{"handler": "show", "params": {"type": "text", "value": BUSY}}],
    }


def create_app(api: WispHubApi, secret_key: str, access_token: str, account_url: str) -> Flask:
    """The widget_request endpoint; ``account_url`` is ``https://<subdomain>.kommo.com``."""
    continue_prefix = account_url.rstrip("/") + "/api/v4/"
    app = Flask(__name__)

    def answer_kommo(return_url: str, phone: str) -> None:
        result = identify(api, phone)
        requests.post(
            return_url,
            json=result,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=(3.05, 10),
        )

    @app.post("/kommo/identify")
    def widget_request() -> tuple[dict[str, bool], int]:
        body = request.get_json(silent=True) or {}
        if not valid_token(str(body.get("token", "")), secret_key):
            abort(401)
        phone = str((body.get("data") or {}).get("phone") or "")
        return_url = str(body.get("return_url") or "")
        # The access token goes only to the account's own continue URL, never elsewhere.
        if not phone or not return_url.startswith(continue_prefix):
            abort(400)
        # Kommo wants the 200 at once; the answer goes to return_url when it is ready.
        threading.Thread(target=answer_kommo, args=(return_url, phone), daemon=True).start()
        return {"accepted": True}, 200

    return app


if __name__ == "__main__":
    create_app(
        WispHubApi(os.environ["WISPHUB_API_URL"], os.environ["WISPHUB_API_KEY"]),
        os.environ["KOMMO_SECRET_KEY"],
        os.environ["KOMMO_ACCESS_TOKEN"],
        os.environ["KOMMO_ACCOUNT_URL"],
    ).run(port=int(os.environ.get("BRIDGE_PORT", "5001")))
