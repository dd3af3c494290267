"""Idempotency records: a retried write with the same key gets the first answer, once.

Webhooks (Twilio, WhatsApp, Kommo) retry a request whose answer was slow or lost. A client that
sends ``Idempotency-Key`` on a write is protected from doing it twice: the first request claims
the key in the shared store (every worker and host sees the claim), runs, and records its answer;
a retry with the same key and the same request gets that answer back without running again; the
same key with a different request is refused; a retry while the first still runs is told to wait.

Only the key's hash and the answer are kept, for ``ttl`` seconds.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from wisphub_api.services.errors import IdempotencyKeyReused, IdempotencyPending
from wisphub_api.state.guard import Guarded


@dataclass(frozen=True, slots=True)
class Recorded:
    """The first answer given for a key."""

    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to run a request under a key, held until ``complete`` or ``release``."""

    key: str
    marker: bytes
    fingerprint: str


def fingerprint(*parts: str | bytes) -> str:
    """Return a digest that tells two requests apart (method, path, body...)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class IdempotencyRecords:
    """Claim, complete and replay idempotency keys in the shared store."""

    def __init__(self, store: Guarded, *, ttl: float, pending_ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self.pending_ttl = pending_ttl

    @staticmethod
    def _key(scope: str, key: str) -> str:
        return f"idem:{scope}:" + hashlib.sha256(key.encode()).hexdigest()

    def claim(self, scope: str, key: str, request_fingerprint: str) -> Claim | Recorded:
        """Claim ``key`` for this request, or return the answer already recorded for it.

        Raises ``IdempotencyKeyReused`` (the key was used for another request),
        ``IdempotencyPending`` (the first request still runs) or ``SharedStateUnavailable``.
        """
        record_key = self._key(scope, key)
        marker = json.dumps(
            {"pending": uuid.uuid4().hex, "fingerprint": request_fingerprint}
        ).encode()
        if self.store.add(record_key, marker, self.pending_ttl):
            return Claim(record_key, marker, request_fingerprint)
        raw = self.store.get(record_key)
        if raw is None:  # the holder released it just now: claim again
            return self.claim(scope, key, request_fingerprint)
        record = json.loads(raw)
        if record.get("fingerprint") != request_fingerprint:
            raise IdempotencyKeyReused()
        if "pending" in record:
            raise IdempotencyPending(retry_after=1.0)
        return Recorded(status=int(record["status"]), body=record["body"])

    def complete(self, claim: Claim, answer: Recorded) -> None:
        """Record the answer of a claimed request for ``ttl`` seconds."""
        record = {"fingerprint": claim.fingerprint, "status": answer.status, "body": answer.body}
        self.store.set(claim.key, json.dumps(record, ensure_ascii=False).encode(), self.ttl)

    def release(self, claim: Claim) -> None:
        """Give the key back: the request certainly did nothing, so a retry may run it."""
        self.store.delete(claim.key, only_if=claim.marker)
