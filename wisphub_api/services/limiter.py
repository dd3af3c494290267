"""Limit failed identity verifications, per caller and per service, in the shared store.

An attempt is judged first (locally, in microseconds) and then decided in one atomic step of the
shared store (``SharedStore.limit_attempt``):

- when the service is locked for this caller, the answer is 429 whatever the verdict was, so a
  lock reveals nothing, and the refused attempt neither counts nor extends any window;
- otherwise a failure adds one to the caller's counter and to the service's, and the verdict is
  answered. Honest checks never take a slot, so any number of them at once all succeed.

Who is "the caller": bots may send ``X-End-User``, an opaque id of the person in the conversation
(the WhatsApp number, say), kept only as a keyed hash. Failures then count per (service, end
user) under ``max_failures`` and per service across everyone under ``max_failures_per_service``:
a stranger locks out only themselves, many strangers still hit a ceiling, and the subscriber's
own conversation keeps working until that ceiling. Without the header every caller shares one
counter of the service under ``max_failures`` (the ceiling applies too).

Windows open at a counter's first failure and last ``window_seconds``. A success does not reset
a count: resetting would let anyone who knows one valid pair of fields launder the counter between
guesses of the others. When the shared store cannot be reached, verification fails closed
(``SharedStateUnavailable``, answered 503), never open.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from wisphub_api.state.guard import Guarded

# X-End-User: 1-128 printable ASCII characters (WhatsApp ids and CRM contact ids are far
# shorter; a header is ASCII on the wire anyway).
END_USER_PATTERN = r"^[\x20-\x7E]{1,128}$"


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """How many failures are answered before the lock, and for how long it holds."""

    max_failures: int = 5
    max_failures_per_service: int = 20
    window_seconds: float = 900.0

    def __post_init__(self) -> None:
        if min(self.max_failures, self.max_failures_per_service) < 1 or self.window_seconds <= 0:
            raise ValueError("failure limits must be at least 1 and the window positive")


class FailureLimiter:
    """Decide verification attempts against the per-caller and per-service failure counters."""

    def __init__(self, store: Guarded, policy: LimitPolicy, *, secret: bytes) -> None:
        if not secret:
            raise ValueError("the end-user hashing secret must not be empty")
        self.store = store
        self.policy = policy
        self._secret = secret

    def caller_key(self, end_user: str | None) -> str:
        """Return the counter name of one caller: a keyed hash, never the id itself."""
        if end_user is None:
            return "anonymous"
        digest = hmac.new(self._secret, end_user.encode(), hashlib.sha256).hexdigest()
        return "user:" + digest[:32]

    def decide(self, service_id: int, end_user: str | None, *, failed: bool) -> float:
        """Count a failed attempt or let a good one through; return the lock's wait, else 0.

        Raises ``SharedStateUnavailable`` when the counters cannot be reached.
        """
        tag = f"verify:{{svc:{service_id}}}"  # one hash tag: both keys live on one Redis node
        keys = [f"{tag}:{self.caller_key(end_user)}", f"{tag}:all"]
        limits = [self.policy.max_failures, self.policy.max_failures_per_service]
        return self.store.limit_attempt(keys, limits, self.policy.window_seconds, failed)
