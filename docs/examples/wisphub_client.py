"""A small client of the WispHub API for bot bridges (the examples beside it use it).

Copy it into your bridge. It sends the bot key on every request, uses the timeouts of
docs/bot-flows.md ("Rules for every step") and never raises on an HTTP error: a bot branches on
the status and the ``code``, so every answer comes back as an ``Answer``. A connection error or a
timeout comes back as status 0 with the code ``api_unreachable`` or ``api_timeout``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

CONNECT_SECONDS = 3.05
READ_SECONDS = 10  # lookups, verification and billing reads
WRITE_READ_SECONDS = 15  # tickets, promises, receipts


@dataclass
class Answer:
    """One answer of the API: the status, the JSON body and the headers a bot branches on."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        """The error ``code`` of a 4xx/5xx answer (``None`` on success)."""
        if self.status == 0 or self.status >= 400:
            return (self.body or {}).get("code")
        return None

    @property
    def retry_after_minutes(self) -> int:
        """``Retry-After`` in whole minutes (at least 1), to tell a person when to come back."""
        seconds = float(self.headers.get("Retry-After") or 60)
        return max(1, math.ceil(seconds / 60))


class WispHubApi:
    """Calls of the WispHub API a conversation needs."""

    def __init__(self, base_url: str, api_key: str, *, language: str = "es") -> None:
        self.base_url = base_url.rstrip("/")  # e.g. https://api.my-isp.example/api/v1
        self.session = requests.Session()
        self.session.headers.update({"X-API-Key": api_key, "Accept-Language": language})

    def by_phone(self, phone: str) -> Answer:
        """``GET /clients/by-phone/<phone>``: the number as the channel gives it."""
        return self._call("GET", f"/clients/by-phone/{quote(phone, safe='')}")

    def by_document(self, document: str) -> Answer:
        """``GET /clients/by-document/<document>``: as the person typed it."""
        return self._call("GET", f"/clients/by-document/{quote(document, safe='')}")

    def verify(self, service_id: int, facts: dict[str, Any], end_user: str) -> Answer:
        """``POST /clients/<id>/verify`` with what the person said, failures counted per person."""
        return self._call(
            "POST", f"/clients/{service_id}/verify", json=facts, headers={"X-End-User": end_user}
        )

    def balance(self, service_id: int) -> Answer:
        """``GET /clients/<id>/balance``: only once the person is verified."""
        return self._call("GET", f"/clients/{service_id}/balance")

    def _call(self, method: str, path: str, **kwargs: Any) -> Answer:
        read = (
            WRITE_READ_SECONDS if method != "GET" and not path.endswith("/verify") else READ_SECONDS
        )
        try:
            response = self.session.request(
                method, self.base_url + path, timeout=(CONNECT_SECONDS, read), **kwargs
            )
        except requests.Timeout:
            return Answer(0, {"code": "api_timeout"})
        except requests.RequestException:
            return Answer(0, {"code": "api_unreachable"})
        try:
            body = response.json()
        except ValueError:
            body = {"code": "api_bad_answer"}
        return Answer(response.status_code, body, dict(response.headers))
