"""WispHub Net endpoints of support conversations: tickets, staff, zones, routers, ping, tasks."""

from __future__ import annotations

from .core import ClientCore


class SupportEndpoints(ClientCore):
    """One method per support endpoint of WispHub Net (see WISPHUB_UPSTREAM.md §7, §9, §15)."""
