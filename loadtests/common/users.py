"""The abstract base user: sends the API key and fails answers of the wrong status or shape."""

from __future__ import annotations

from typing import Any

from locust import HttpUser
from locust.clients import ResponseContextManager

from loadtests.common import config
from loadtests.common.checks import Check, response_problem


class ApiUser(HttpUser):
    """A bot calling WispHub API; every request is judged on its status and its body's shape."""

    abstract = True
    host = config.host()

    def on_start(self) -> None:
        """Authenticate every request of this user and fix its timeouts."""
        self.client.headers.update({"X-API-Key": config.api_key(), "Accept": "application/json"})
        self.request_timeout = config.timeout()

    def get_json(self, path: str, name: str, check: Check, expected_status: int = 200) -> None:
        """GET path, recorded under name, failed unless the status and the body shape are right."""
        with self.client.get(
            path, name=name, timeout=self.request_timeout, catch_response=True
        ) as response:
            judge(response, expected_status, check)

    def post_json(
        self, path: str, payload: Any, name: str, check: Check, expected_status: int = 200
    ) -> None:
        """POST payload as JSON, recorded under name, failed unless status and shape are right."""
        with self.client.post(
            path, json=payload, name=name, timeout=self.request_timeout, catch_response=True
        ) as response:
            judge(response, expected_status, check)


def judge(response: ResponseContextManager, expected_status: int, check: Check) -> None:
    """Mark a caught response as a success or as a failure with a reason free of personal data."""
    error = getattr(response, "error", None)
    if not response.status_code and error is not None:
        response.failure(f"no answer ({type(error).__name__})")
        return
    problem = response_problem(response.status_code, response.content, expected_status, check)
    if problem is None:
        response.success()
    else:
        response.failure(problem)
