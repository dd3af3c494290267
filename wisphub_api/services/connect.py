"""The upstream client and its time budget, from an app's settings (workers and the builder)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wisphub_api.upstream.client import WispHubClient


def upstream_budget(config: Mapping[str, Any]) -> float:
    """Return the longest a full upstream load may take: every attempt timing out, plus slack."""
    attempts = config["UPSTREAM_RETRIES"] + 1
    per_call = config["UPSTREAM_CONNECT_TIMEOUT"] + config["UPSTREAM_READ_TIMEOUT"]
    return float(attempts * per_call * 2 + 5)


def build_upstream(config: Mapping[str, Any]) -> WispHubClient:
    """Return the WispHub Net client configured by ``config``."""
    return WispHubClient(
        config["WISPHUB_NET_HOST"],
        config["WISPHUB_NET_KEY"],
        connect_timeout=config["UPSTREAM_CONNECT_TIMEOUT"],
        read_timeout=config["UPSTREAM_READ_TIMEOUT"],
        retries=config["UPSTREAM_RETRIES"],
        backoff=config["UPSTREAM_BACKOFF"],
        pool_size=config["UPSTREAM_POOL_SIZE"],
        page_size=config["UPSTREAM_PAGE_SIZE"],
        max_parallel_pages=config["UPSTREAM_MAX_PARALLEL_PAGES"],
    )
