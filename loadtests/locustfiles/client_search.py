"""Search-only traffic: bots looking subscribers up by name."""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent
from locust import between, task

from loadtests.common import checks, gate  # noqa: F401  # gate registers the quitting listener
from loadtests.common.queries import random_search_term
from loadtests.common.users import ApiUser

# One stats row for every term, so the percentiles describe the route, not a name.
SEARCH_NAME = "/api/v1/clients/search?q=[term]"


class ClientSearchUser(ApiUser):
    """A bot that searches for one of a few common names."""

    wait_time = between(1, 2)

    @task
    def search_clients(self) -> None:
        """Search for a random common name."""
        path = f"/api/v1/clients/search?q={random_search_term()}"
        self.get_json(path, SEARCH_NAME, checks.search_results)
