"""WispHub Net endpoints of billing conversations: invoices, balance, payment methods, promises."""

from __future__ import annotations

from .core import ClientCore


class BillingEndpoints(ClientCore):
    """One method per billing endpoint of WispHub Net (see WISPHUB_UPSTREAM.md §8, §15)."""
