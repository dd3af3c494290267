"""A mixed run: the original, verification-heavy and search-only bots together (equal weights)."""

from __future__ import annotations

import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent

from loadtests.common import gate  # noqa: F401  # gate registers the quitting listener
from loadtests.locustfiles.client_search import ClientSearchUser
from loadtests.locustfiles.heavy_verification import HeavyVerificationUser
from loadtests.locustfiles.original import WispHubAPIUser

__all__ = ["ClientSearchUser", "HeavyVerificationUser", "WispHubAPIUser"]
