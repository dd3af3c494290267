"""Build the services of one app from its settings: the one place that knows how they fit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wisphub_api.services.billing import WRITE_LOG as INVOICES_LOG
from wisphub_api.services.billing import BillingServices, build_billing
from wisphub_api.services.breaker import CircuitBreaker
from wisphub_api.services.directory import ClientDirectory, ClientSnapshot
from wisphub_api.services.idempotency import IdempotencyRecords
from wisphub_api.services.identity import IdentityService
from wisphub_api.services.limiter import FailureLimiter, LimitPolicy
from wisphub_api.services.plans import PlanCatalog, PlanSnapshot, load_plans
from wisphub_api.services.snapshots import SnapshotStore
from wisphub_api.services.support import WRITE_LOG as TICKETS_LOG
from wisphub_api.services.support import SupportServices, build_support
from wisphub_api.services.writelog import WriteFollower, WriteLog
from wisphub_api.state.factory import end_user_secret
from wisphub_api.state.guard import Guarded
from wisphub_api.upstream.client import WispHubClient


@dataclass(frozen=True)
class Services:
    """Everything a view needs, wired from the app's settings."""

    upstream: WispHubClient
    state: Guarded
    clients: SnapshotStore[ClientSnapshot]
    plan_store: SnapshotStore[PlanSnapshot]
    directory: ClientDirectory
    plans: PlanCatalog
    identity: IdentityService
    idempotency: IdempotencyRecords
    follower: WriteFollower
    support: SupportServices
    billing: BillingServices
    write_logs: dict[str, WriteLog] = field(default_factory=dict)

    def write_log(self, name: str) -> WriteLog:
        """Return the write log ``name`` (made on first use), followed by this worker."""
        if name not in self.write_logs:
            log = WriteLog(self.state, name, retention=self.follower.retention, cap=WRITE_LOG_CAP)
            self.write_logs[name] = log
            self.follower.logs.append(log)
        return self.write_logs[name]

    @property
    def stores(self) -> dict[str, SnapshotStore[Any]]:
        """Return the snapshot stores by name."""
        return {store.name: store for store in (self.clients, self.plan_store)}

    def start_background(self) -> None:
        """Warm the snapshots now and keep them fresh, and follow the other workers' writes."""
        for store in self.stores.values():
            store.start()
        self.follower.start()

    def stop_background(self) -> None:
        """Stop every background refresh and the write follower (tests, shutdown)."""
        for store in self.stores.values():
            store.stop()
        self.follower.stop()

    def close(self) -> None:
        """Stop the background work and close every connection (tests, shutdown)."""
        self.stop_background()
        self.state.close()
        self.upstream.close()


# Entries a write log keeps at most: writes are rare (a few hundred a day at a busy ISP).
WRITE_LOG_CAP = 10_000


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


def _store(
    name: str,
    config: Mapping[str, Any],
    backend: Any,
    load: Callable[[], Any],
    build: Callable[[Any, float], Any],
    ttl: int,
) -> SnapshotStore[Any]:
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


def build_services(config: Mapping[str, Any], backend: Any, state: Guarded) -> Services:
    """Wire the upstream client, the client and plan snapshots and the identity checks."""
    upstream = build_upstream(config)
    clients: SnapshotStore[ClientSnapshot] = _store(
        "clients",
        config,
        backend,
        upstream.list_clients,
        ClientSnapshot,
        config["CLIENTS_CACHE_TTL"],
    )
    plans: SnapshotStore[PlanSnapshot] = _store(
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
    policy = LimitPolicy(
        max_failures=config["VERIFY_MAX_FAILURES"],
        max_failures_per_service=config["VERIFY_MAX_FAILURES_PER_SERVICE"],
        window_seconds=config["VERIFY_WINDOW_SECONDS"],
    )
    limiter = FailureLimiter(state, policy, secret=end_user_secret(config))
    identity = IdentityService(
        directory,
        limiter,
        min_fields=config["VERIFY_MIN_FIELDS"],
        resolve_min_fields=config["RESOLVE_MIN_FIELDS"],
        price_tolerance=config["VERIFY_PRICE_TOLERANCE"],
    )
    # A write must stay visible for as long as any worker may serve a snapshot older than it.
    retention = config["STALE_MAX_AGE"] + config["CLIENTS_CACHE_TTL"]
    services = Services(
        upstream=upstream,
        state=state,
        clients=clients,
        plan_store=plans,
        directory=directory,
        plans=PlanCatalog(plans),
        identity=identity,
        idempotency=IdempotencyRecords(
            state, ttl=config["IDEMPOTENCY_TTL"], pending_ttl=upstream_budget(config)
        ),
        follower=WriteFollower([], interval=config["STATE_POLL_SECONDS"], retention=retention),
        support=build_support(
            config, backend, state, upstream, directory, budget=upstream_budget(config)
        ),
        billing=build_billing(
            config, backend, state, upstream, directory, budget=upstream_budget(config)
        ),
    )
    services.support.follow(services.write_log(TICKETS_LOG))
    services.billing.follow(services.write_log(INVOICES_LOG))
    return services
