"""Identity checks a bot runs before it talks about a subscriber's account."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from wisphub_api.errors import Conflict, NotFound, TooManyRequests
from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.limiter import FailureLimiter
from wisphub_api.services.verification import VerificationResult, resolve_candidates, verify
from wisphub_api.upstream.models import Client


class IdentityService:
    """Verify claims about one service and resolve claims to one client, with limits."""

    def __init__(
        self,
        directory: ClientDirectory,
        limiter: FailureLimiter,
        *,
        min_fields: int,
        resolve_min_fields: int,
        price_tolerance: float,
    ) -> None:
        self.directory = directory
        self.limiter = limiter
        self.min_fields = min_fields
        self.resolve_min_fields = resolve_min_fields
        self.price_tolerance = price_tolerance

    def verify(self, service_id: int, claims: Mapping[str, Any]) -> VerificationResult:
        """Check ``claims`` against a service's client; count and limit failures per service."""
        key = f"service:{service_id}"
        # The lookup may wait for WispHub; do it before reserving, so that a reservation is
        # held only for the instant of the comparison and honest concurrent checks never see
        # each other's slots.
        client, _ = self.directory.by_service_id(service_id)
        # Reserve the attempt atomically: concurrent guesses cannot all pass a check-then-count.
        wait = self.limiter.attempt(key)
        if wait is not None:
            raise TooManyRequests(
                "Too many failed verifications for this service; retry later.",
                code="verification_locked",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        result = verify(
            client, claims, min_fields=self.min_fields, price_tolerance=self.price_tolerance
        )
        # A valid answer with a wrong extra claim still counts: otherwise two known fields plus
        # one guess would test guesses for free.
        if result.is_valid and not result.unmatched_count:
            self.limiter.release(key)
        return result

    def resolve(self, claims: Mapping[str, Any]) -> Client:
        """Return the one client matching every claim; 404 for none, 409 for several."""
        snapshot, _ = self.directory.snapshot()
        matches = resolve_candidates(
            snapshot.clients,
            claims,
            min_fields=self.resolve_min_fields,
            price_tolerance=self.price_tolerance,
        )
        if not matches:
            raise NotFound("No client matches these details.", code="client_not_found")
        if len(matches) > 1:
            raise Conflict(
                "More than one client matches these details; add another field.",
                code="ambiguous_client",
            )
        return matches[0]
