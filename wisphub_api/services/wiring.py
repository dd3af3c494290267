"""Build the services of one app from its settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from wisphub_api.extensions import cache
from wisphub_api.services import Services
from wisphub_api.services.breaker import CircuitBreaker
from wisphub_api.services.directory import ClientDirectory, ClientSnapshot
from wisphub_api.services.identity import IdentityService
from wisphub_api.services.limiter import FailureLimiter, MemoryCounter, RedisCounter
from wisphub_api.services.plans import PlanCatalog, PlanSnapshot, load_plans
from wisphub_api.services.snapshots import SnapshotStore
from wisphub_api.upstream.client import WispHubClient


def upstream_budget(config: Mapping[str, Any]) -> float:
    """Return the longest a full upstream load may take: every attempt timing out, plus slack."""
    attempts = config["UPSTREAM_RETRIES"] + 1
    per_call = config["UPSTREAM_CONNECT_TIMEOUT"] + config["UPSTREAM_READ_TIMEOUT"]
    return attempts * per_call * 2 + 5


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


def _store(name: str, config: Mapping[str, Any], backend: Any, load, build, ttl: int):
    return SnapshotStore(
        name,
        backend=backend,
        load=load,
        build=build,
        ttl=ttl,
        stale_max_age=config["STALE_MAX_AGE"],
        refresh_fraction=config["REFRESH_AHEAD_FRACTION"],
        breaker=CircuitBreaker(
            threshold=config["CIRCUIT_FAILURE_THRESHOLD"],
            reset_seconds=config["CIRCUIT_RESET_SECONDS"],
        ),
        wait_seconds=upstream_budget(config),
    )


def build_services(app: Flask) -> Services:
    """Wire the upstream client, the client and plan snapshots and the identity checks."""
    config = app.config
    with app.app_context():
        backend = cache.cache  # the cachelib backend, usable outside a request
    upstream = build_upstream(config)
    clients = _store(
        "clients",
        config,
        backend,
        upstream.list_clients,
        ClientSnapshot,
        config["CLIENTS_CACHE_TTL"],
    )
    plans = _store(
        "plans",
        config,
        backend,
        lambda: load_plans(upstream, config["UPSTREAM_MAX_PARALLEL_PAGES"]),
        PlanSnapshot,
        config["PLANS_CACHE_TTL"],
    )
    directory = ClientDirectory(
        clients,
        upstream,
        backend,
        lookup_ttl=config["LOOKUP_CACHE_TTL"],
        not_found_ttl=config["NOT_FOUND_CACHE_TTL"],
    )
    limiter = FailureLimiter(
        _counter(config, backend),
        max_failures=config["VERIFY_MAX_FAILURES"],
        window_seconds=config["VERIFY_WINDOW_SECONDS"],
    )
    identity = IdentityService(
        directory,
        limiter,
        min_fields=config["VERIFY_MIN_FIELDS"],
        resolve_min_fields=config["RESOLVE_MIN_FIELDS"],
        price_tolerance=config["VERIFY_PRICE_TOLERANCE"],
    )
    return Services(
        upstream=upstream,
        directory=directory,
        plans=PlanCatalog(plans),
        identity=identity,
        stores=[clients, plans],
    )


def _counter(config: Mapping[str, Any], backend: Any):
    """Share failure counts through Redis when the cache is Redis, else keep them in process."""
    if config["CACHE_TYPE"] == "RedisCache":
        return RedisCounter(backend._write_client, prefix=config["CACHE_KEY_PREFIX"] + "verify:")
    return MemoryCounter()
