"""The original WispHub API load test: list, search, verify and plans in a 3/2/1/1 mix."""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent
from locust import between, task

from loadtests.common import checks, gate  # noqa: F401  # gate registers the quitting listener
from loadtests.common.users import ApiUser


class WispHubAPIUser(ApiUser):
    """A bot that mostly reads the client list and searches, and sometimes verifies an identity."""

    wait_time = between(1, 3)

    @task(3)
    def list_clients(self) -> None:
        """List every client."""
        self.get_json("/api/v1/clients/", "/api/v1/clients/", checks.client_list)

    @task(2)
    def search_clients(self) -> None:
        """Search for Esperanza."""
        path = "/api/v1/clients/search?q=Esperanza"
        self.get_json(path, path, checks.search_results)

    @task(1)
    def verify_client(self) -> None:
        """Verify client 7 (Esperanza Benitez) with a payload that always matches."""
        payload = {"address": "BELLAVISTA", "internet_plan_price": 40000.0}
        path = "/api/v1/clients/7/verify"
        self.post_json(path, payload, path, checks.verification_passed)

    @task(1)
    def list_plans(self) -> None:
        """List the internet plans."""
        self.get_json("/api/v1/internet-plans/", "/api/v1/internet-plans/", checks.plan_list)
