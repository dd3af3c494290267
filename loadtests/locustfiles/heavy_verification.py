"""Verification-heavy traffic: bots confirming identities, with a few searches in between."""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent
from locust import between, task

from loadtests.common import checks, gate  # noqa: F401  # gate registers the quitting listener
from loadtests.common.users import ApiUser


class HeavyVerificationUser(ApiUser):
    """A bot that verifies client 7 over and over; the payload is valid, so it never hits 429."""

    wait_time = between(0.5, 1.5)

    @task(10)
    def verify_client(self) -> None:
        """Verify client 7 (Esperanza Benitez) with a payload that always matches."""
        payload = {"address": "BELLAVISTA", "internet_plan_price": 40000.0}
        path = "/api/v1/clients/7/verify"
        self.post_json(path, payload, path, checks.verification_passed)

    @task(1)
    def search_clients(self) -> None:
        """Search for "Test"; an empty list is a correct answer."""
        path = "/api/v1/clients/search?q=Test"
        self.get_json(path, path, checks.search_results)
