"""Per-app state of one sandbox: dataset, tickets, invoices, tasks, knobs, faults and stats."""

from __future__ import annotations

from wisphub_api.sandbox.billing import Billing
from wisphub_api.sandbox.dataset import Dataset
from wisphub_api.sandbox.directory import build_staff, router_items
from wisphub_api.sandbox.faults import Chaos, FaultControl
from wisphub_api.sandbox.knobs import Knobs
from wisphub_api.sandbox.options import SandboxOptions
from wisphub_api.sandbox.permissions import key_permissions
from wisphub_api.sandbox.stats import Stats
from wisphub_api.sandbox.tasks import TaskStore
from wisphub_api.sandbox.throttle import TokenBucket
from wisphub_api.sandbox.ticket_seed import seed_tickets
from wisphub_api.sandbox.ticket_store import TicketStore


class SandboxState:
    """Everything a running sandbox knows; `reset()` brings it back to its start."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.keys = key_permissions(options)
        # Latency and random faults draw from their own stream so the data never depends on them.
        self.chaos = Chaos(options.seed + 1)
        self.faults = FaultControl()
        self.stats = Stats()
        self.knobs = Knobs.from_options(options)
        self.bucket = TokenBucket()
        self.dataset = self._build()
        self._populate()

    def _build(self) -> Dataset:
        options = self.options
        return Dataset.build(options.seed, options.clients, options.plans)

    def _populate(self) -> None:
        # Staff, tickets and invoices draw from streams of their own: the client rows never move.
        options, infra = self.options, self.dataset.infra
        self.staff = build_staff(options.seed, infra)
        self.staff_by_id = {member.id: member for member in self.staff}
        self.router_ips = {router["id"]: router["ip"] for router in router_items(infra)}
        tickets = seed_tickets(options.seed, options.today, self.dataset, self.staff)
        self.tickets = TicketStore(tickets)
        self.billing = Billing(self.dataset, self.staff, options.seed, options.today)
        self.tasks = TaskStore()

    def reset(self) -> None:
        """Rebuild the data from the seed; clear writes, tasks, faults, stats and knobs."""
        if self.dataset.dirty:  # rebuilding takes ~0.1 s per 1500 clients; skip it when pristine
            self.dataset = self._build()
        self._populate()
        self.faults.clear()
        self.stats.reset()
        self.knobs = Knobs.from_options(self.options)
        self.bucket = TokenBucket()
