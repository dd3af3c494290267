"""A WhatsApp bot through Twilio: identify the sender, verify them, tell them what they owe.

Twilio posts every incoming WhatsApp message to a webhook of yours (form fields ``From``,
``Body``, ``MessageSid``, signed in ``X-Twilio-Signature``) and sends back the TwiML you answer,
within 15 seconds. This bridge is that webhook; it follows docs/bot-flows.md (identify by phone,
then by document; verify with ``X-End-User``; then the balance) and branches on statuses and
codes only.

Run it (beside `make serve`, which prints the demo key):

    WISPHUB_API_URL=http://127.0.0.1:8000/api/v1 WISPHUB_API_KEY=demo-bot-key-change-me \
    TWILIO_AUTH_TOKEN=... PUBLIC_URL=https://bot.my-isp.example/twilio/whatsapp \
    python docs/examples/twilio_whatsapp.py

and set ``PUBLIC_URL`` as the number's "A message comes in" webhook in Twilio's console.
Conversations are kept in memory, which is right for one process only: with several, keep them
in Redis with a TTL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sys
from typing import Any
from xml.sax.saxutils import escape

from flask import Flask, Response, abort, request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wisphub_client import Answer, WispHubApi

ASK_FACTS = (
    "Para proteger sus datos, escriba la dirección de su servicio y el valor mensual de su plan, "
    "separados por una coma. Ejemplo: Calle 5 # 10-20, 40000"
)
ASK_DOCUMENT = "No encontramos su número. Escriba el número de documento del titular del servicio."
NO_DOCUMENT = "No encontramos ese documento. Un asesor le escribirá pronto."
NO_MATCH = "Los datos no coinciden con los del servicio. Intente de nuevo."
LOCKED = "Demasiados intentos. Intente de nuevo en {minutes} minutos o escriba ASESOR."
BUSY = "Nuestro sistema está lento en este momento. Intente de nuevo en unos minutos."
NOTHING_OWED = "Gracias. Su servicio está al día: no tiene saldo pendiente."
OWES = "Gracias. Su saldo pendiente es ${amount}, con vencimiento el {due}."


def twilio_signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """Twilio's request signature: HMAC-SHA1 of the URL and the sorted form fields, in base64."""
    payload = url + "".join(key + form[key] for key in sorted(form))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twiml(text: str) -> Response:
    """One WhatsApp reply, as TwiML."""
    body = f"<Response><Message>{escape(text)}</Message></Response>"
    body = '<?xml version="1.0" encoding="UTF-8"?>' + body
    return Response(body, mimetype="application/xml")


def pesos(amount: float) -> str:
    """40000 -> '40.000' (Colombian thousands separator)."""
    return f"{amount:,.0f}".replace(",", ".")


def parse_facts(text: str) -> dict[str, Any] | None:
    """'Calle 5 # 10-20, 40000' -> address and plan price, as the person said them."""
    address, _, price = text.rpartition(",")
    digits = "".join(ch for ch in price if ch.isdigit())
    if not address.strip() or not digits:
        return None
    return {"address": address.strip(), "internet_plan_price": float(digits)}


def create_app(api: WispHubApi, auth_token: str | None, public_url: str | None = None) -> Flask:
    """The webhook; ``auth_token`` None turns the signature check off (local tries only)."""
    app = Flask(__name__)
    conversations: dict[str, dict[str, Any]] = {}  # by the sender's WhatsApp id

    def failure(answer: Answer, sender: str) -> str:
        if answer.code == "verification_locked":
            conversations.pop(sender, None)
            return LOCKED.format(minutes=answer.retry_after_minutes)
        return BUSY  # 503, 504, timeouts: say so, keep the conversation where it was

    @app.post("/twilio/whatsapp")
    def incoming() -> Response:
        form = request.form.to_dict()
        if auth_token is not None:
            expected = twilio_signature(auth_token, public_url or request.url, form)
            if not hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", "")):
                abort(403)
        sender, text = form.get("From", ""), form.get("Body", "").strip()
        state = conversations.setdefault(sender, {"step": "identify"})

        if state["step"] == "identify":
            found = api.by_phone(sender)  # "whatsapp:+57..." is accepted as Twilio gives it
            if found.status == 200:
                state.update(step="facts", service_id=found.body["service_id"])
                return twiml(ASK_FACTS)
            if found.code == "client_not_found":
                state["step"] = "document"
                return twiml(ASK_DOCUMENT)
            return twiml(failure(found, sender))

        if state["step"] == "document":
            found = api.by_document(text)
            if found.status == 200:
                state.update(step="facts", service_id=found.body["service_id"])
                return twiml(ASK_FACTS)
            if found.code == "client_not_found":
                conversations.pop(sender, None)
                return twiml(NO_DOCUMENT)
            return twiml(failure(found, sender))

        if state["step"] == "facts":
            facts = parse_facts(text)
            if facts is None:
                return twiml(ASK_FACTS)
            verdict = api.verify(state["service_id"], facts, end_user=sender)
            if verdict.status != 200:
                return twiml(failure(verdict, sender))
            if not verdict.body["is_valid"]:
                return twiml(NO_MATCH)  # never say which fact was right
            state["step"] = "verified"

        # Verified for this service, in this conversation: the balance may be told.
        balance = api.balance(state["service_id"])
        if balance.status != 200:
            return twiml(failure(balance, sender))
        pending = balance.body["pending_invoices"]
        if balance.body["outstanding_balance"] <= 0 or not pending:
            return twiml(NOTHING_OWED)
        due = pending[-1]["due_on"] or "-"  # newest first: the oldest is due first
        return twiml(OWES.format(amount=pesos(balance.body["outstanding_balance"]), due=due))

    return app


if __name__ == "__main__":
    if not os.environ.get("TWILIO_AUTH_TOKEN"):
        print("TWILIO_AUTH_TOKEN is not set: requests are NOT checked as Twilio's", file=sys.stderr)
    bridge = create_app(
        WispHubApi(os.environ["WISPHUB_API_URL"], os.environ["WISPHUB_API_KEY"]),
        os.environ.get("TWILIO_AUTH_TOKEN"),
        os.environ.get("PUBLIC_URL"),
    )
    bridge.run(port=int(os.environ.get("BRIDGE_PORT", "5000")))
