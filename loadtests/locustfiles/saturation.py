"""Saturation benchmark: the original 3/2/1/1 mix with no think time between requests."""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent
from locust import constant

from loadtests.common import gate  # noqa: F401  # gate registers the quitting listener

# The module, not the class: a class in this namespace would also be spawned by Locust.
from loadtests.locustfiles import original


class SaturationUser(original.WispHubAPIUser):
    """The original bot without pauses, to measure the most requests per second the API serves."""

    wait_time = constant(0)
