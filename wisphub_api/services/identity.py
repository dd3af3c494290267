"""Identity checks a bot runs before it talks about a subscriber's account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.errors import (
    AmbiguousClient,
    NoClientMatches,
    VerificationLocked,
    VerificationUnavailable,
)
from wisphub_api.services.limiter import FailureLimiter
from wisphub_api.services.snapshots import CacheState
from wisphub_api.services.verification import VerificationResult, resolve_candidates, verify
from wisphub_api.state.base import SharedStateUnavailable
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

    def verify(
        self, service_id: int, claims: Mapping[str, Any], *, end_user: str | None = None
    ) -> tuple[VerificationResult, CacheState]:
        """Check ``claims`` against a service's client; count and limit failed attempts.

        The claims are judged first, then one atomic step of the limiter decides: a locked
        service answers ``VerificationLocked`` whatever the verdict (the lock reveals nothing),
        and only an answered failure counts.
        """
        client, state = self.directory.by_service_id(service_id)
        result = verify(
            client, claims, min_fields=self.min_fields, price_tolerance=self.price_tolerance
        )
        # A valid answer with a wrong extra claim still counts: otherwise two known fields plus
        # one guess would test guesses for free.
        failed = not result.is_valid or result.unmatched_count > 0
        try:
            wait = self.limiter.decide(service_id, end_user, failed=failed)
        except SharedStateUnavailable as exc:
            raise VerificationUnavailable(exc.retry_after) from None
        if wait > 0:
            raise VerificationLocked(wait)
        return result, state

    def resolve(self, claims: Mapping[str, Any]) -> tuple[Client, CacheState]:
        """Return the one client matching every claim; raise when none or several match."""
        state = self.directory.state()
        matches = resolve_candidates(
            self.directory.candidates(claims, self.price_tolerance),
            claims,
            min_fields=self.resolve_min_fields,
            price_tolerance=self.price_tolerance,
        )
        if not matches:
            raise NoClientMatches()
        if len(matches) > 1:
            raise AmbiguousClient()
        return matches[0], state
