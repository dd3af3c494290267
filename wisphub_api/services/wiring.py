"""Build the services of one app from its settings: the one place that knows how they fit."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wisphub_api.services.artifact import ArtifactPaths
from wisphub_api.services.billing import WRITE_LOG as INVOICES_LOG
from wisphub_api.services.billing import BillingServices, build_billing
from wisphub_api.services.builder import Builder, SharedCopies, process_runner, thread_runner
from wisphub_api.services.clientview import ClientView
from wisphub_api.services.connect import build_upstream, upstream_budget
from wisphub_api.services.datasets import DATASETS
from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.idempotency import IdempotencyRecords
from wisphub_api.services.identity import IdentityService
from wisphub_api.services.limiter import FailureLimiter, LimitPolicy
from wisphub_api.services.plans import PlanCatalog, PlanSnapshot
from wisphub_api.services.snapshots import SnapshotStore
from wisphub_api.services.support import WRITE_LOG as TICKETS_LOG
from wisphub_api.services.support import SupportServices, build_support
from wisphub_api.services.writelog import WriteFollower, WriteLog
from wisphub_api.state.factory import end_user_secret, state_dir
from wisphub_api.state.guard import Guarded
from wisphub_api.upstream.client import WispHubClient


@dataclass(frozen=True)
class Services:
    """Everything a view needs, wired from the app's settings."""

    upstream: WispHubClient
    state: Guarded
    clients: SnapshotStore[ClientView]
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

    def open(self) -> None:
        """Serve what the host already has: the snapshots on disk and the recorded writes."""
        for store in self.stores.values():
            store.open()
        self.follower.poll()

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


def gevent_patched() -> bool:
    """Tell whether gevent has patched threading (a gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def builder_mode(config: Mapping[str, Any]) -> str:
    """Return how snapshots are built: in a child process under gevent, else in a thread."""
    mode = str(config.get("SNAPSHOT_BUILDER") or "auto")
    if mode == "auto":
        return "process" if gevent_patched() else "thread"
    return mode


def builder_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the settings a builder process needs (the app's own, the state dir resolved)."""
    from wisphub_api.config import setting_names

    settings = {name: config[name] for name in setting_names() if name in config}
    settings["STATE_DIR"] = str(state_dir(config))
    return settings


def _store(
    name: str, config: Mapping[str, Any], upstream: WispHubClient, shared: Any
) -> SnapshotStore[Any]:
    dataset = DATASETS[name]
    paths = ArtifactPaths(state_dir(config), name)
    if builder_mode(config) == "process":
        run = process_runner(builder_settings(config), paths, timeout=upstream_budget(config) * 2)
    else:
        copies = SharedCopies(shared, config["CACHE_KEY_PREFIX"], name) if shared else None
        run = thread_runner(Builder(config, dataset, paths, upstream=upstream, shared=copies))
    return SnapshotStore(
        name,
        paths=paths,
        load=dataset.load,
        run_build=run,
        ttl=float(config[dataset.ttl_setting]),
        stale_max_age=config["STALE_MAX_AGE"],
        refresh_fraction=config["REFRESH_AHEAD_FRACTION"],
        cold_wait=config["COLD_WAIT_SECONDS"],
        failure_threshold=config["CIRCUIT_FAILURE_THRESHOLD"],
    )


def build_services(
    config: Mapping[str, Any], backend: Any, state: Guarded, redis_client: Any = None
) -> Services:
    """Wire the upstream client, the client and plan snapshots and the identity checks."""
    upstream = build_upstream(config)
    clients: SnapshotStore[ClientView] = _store("clients", config, upstream, redis_client)
    plans: SnapshotStore[PlanSnapshot] = _store("plans", config, upstream, redis_client)
    # A write must stay visible for as long as any worker may serve a snapshot older than it.
    retention = config["STALE_MAX_AGE"] + config["CLIENTS_CACHE_TTL"]
    client_writes = WriteLog(state, "clients", retention=retention, cap=WRITE_LOG_CAP)
    directory = ClientDirectory(
        clients,
        upstream,
        backend,
        client_writes,
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
        follower=WriteFollower(
            [client_writes], interval=config["STATE_POLL_SECONDS"], retention=retention
        ),
        write_logs={"clients": client_writes},
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
