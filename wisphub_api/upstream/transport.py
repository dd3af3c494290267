"""The requests.Session a WispHubClient owns: auth, headers, pool, retries, base URL."""

from __future__ import annotations

from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.util.retry import Retry

# 502/503/504 come from gateways in front of WispHub and clear within seconds; a 500 is more often
# a real bug (e.g. OPTIONS on registrar-pago/) that a retry would only repeat.
RETRY_STATUSES = (502, 503, 504)
# Retry-After is honoured, but a worker must never park for urllib3's default of six hours.
RETRY_AFTER_MAX = 5
# Canonical paths need no redirect; Django's slash fix-up needs one. More: a misconfigured host.
MAX_REDIRECTS = 3
# A client talks to one WispHub host; one spare pool absorbs a redirect to a sibling host.
POOL_HOSTS = 2


class ApiKeyAuth(AuthBase):
    """Send `Authorization: Api-Key <key>`; as session auth it also keeps ~/.netrc out."""

    def __init__(self, api_key: str) -> None:
        self._header = f"Api-Key {api_key}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self) -> str:
        return "ApiKeyAuth(<hidden>)"


class GetOnlyRetry(Retry):
    """A Retry that never repeats a method outside allowed_methods, even after a connect error.

    Nor does it retry a 429: the client's RateGate honours Retry-After for every caller at once.
    """

    RETRY_AFTER_STATUS_CODES = frozenset({503})

    def increment(
        self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any
    ) -> Self:
        if method is not None and not self._is_method_retryable(method):
            # urllib3 would retry a failed connect for any method; a write is sent at most once.
            spent = self.new(total=0)
            return super(GetOnlyRetry, spent).increment(method, url, *args, **kwargs)
        return super().increment(method, url, *args, **kwargs)


def build_retry(retries: int, backoff: float) -> Retry:
    """Return the Retry policy: idempotent GETs only, gateway errors and transport failures."""
    return GetOnlyRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        # Up to one backoff factor of noise keeps many greenlets from retrying in lockstep; zero
        # when backoff is zero so that tests never sleep.
        backoff_jitter=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX,
    )


def configure_session(
    session: requests.Session, api_key: str, retry: Retry, pool_size: int
) -> requests.Session:
    """Mount the pooled, retrying adapter and set the key and JSON headers on session."""
    adapter = HTTPAdapter(
        pool_connections=POOL_HOSTS, pool_maxsize=pool_size, max_retries=retry, pool_block=False
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.auth = ApiKeyAuth(api_key)
    session.headers["Accept"] = "application/json"
    session.max_redirects = MAX_REDIRECTS
    return session


def api_root(base_url: str) -> str:
    """Return "{scheme}://{host}[/prefix]/api" from a base URL with or without /api or "/"."""
    text = base_url.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError("base_url must be an http(s) URL such as https://api.wisphub.net")
    path = parts.path.rstrip("/")
    path = path.removesuffix("/api")
    return f"{parts.scheme}://{parts.netloc}{path}/api"
