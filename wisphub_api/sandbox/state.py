"""Per-app state of one sandbox: dataset, knobs, faults and stats."""

from __future__ import annotations

from wisphub_api.sandbox.dataset import Dataset
from wisphub_api.sandbox.faults import Chaos, FaultControl, Knobs
from wisphub_api.sandbox.options import SandboxOptions
from wisphub_api.sandbox.stats import Stats


class SandboxState:
    """Everything a running sandbox knows; `reset()` brings it back to its start."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.keys = frozenset(options.api_keys)
        # Latency and random faults draw from their own stream so the data never depends on them.
        self.chaos = Chaos(options.seed + 1)
        self.faults = FaultControl()
        self.stats = Stats()
        self.knobs = Knobs.from_options(options)
        self.dataset = self._build()

    def _build(self) -> Dataset:
        options = self.options
        return Dataset.build(options.seed, options.clients, options.plans)

    def reset(self) -> None:
        """Rebuild the dataset from the seed, clear faults (freeing stalls), stats and knobs."""
        if self.dataset.dirty:  # rebuilding takes ~0.1 s per 1500 clients; skip it when pristine
            self.dataset = self._build()
        self.faults.clear()
        self.stats.reset()
        self.knobs = Knobs.from_options(self.options)
