"""Bench-only locustfile: saturate one path with no think time (the ceiling phase of bench.py).

BENCH_PATH is the path to request (default /health), WISPHUB_API_KEY the key sent. Choose the client
on the command line: FastPathUser (geventhttpclient, little client CPU per request) or
RequestsPathUser (requests, the client of the load-test scenarios). Only the status is judged
(non-2xx fails): no body is parsed, so the client spends as little CPU as it can per request.
"""

from __future__ import annotations

import os

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent
from locust import FastHttpUser, HttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/health")
HEADERS = {"X-API-Key": os.environ.get("WISPHUB_API_KEY", ""), "Accept": "application/json"}


class FastPathUser(FastHttpUser):
    """Request BENCH_PATH in a loop with geventhttpclient."""

    wait_time = constant(0)

    @task
    def hit(self) -> None:
        """GET the path once."""
        self.client.get(PATH, name=PATH, headers=HEADERS)


class RequestsPathUser(HttpUser):
    """Request BENCH_PATH in a loop with requests, to show what the client itself costs."""

    wait_time = constant(0)

    @task
    def hit(self) -> None:
        """GET the path once."""
        self.client.get(PATH, name=PATH, headers=HEADERS)
