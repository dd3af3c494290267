"""WispHub Net upstream layer: HTTP client, typed errors, models, field mapping (no Flask)."""

from __future__ import annotations

from .client import WispHubClient
from .errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
    error_for_status,
)
from .mapping import client_from_row, plan_type_from_upstream, profile_payload
from .models import Client, Listing, PlanDetail, PlanSummary
from .phones import normalize_phone, split_phones

__all__ = [
    "Client",
    "Listing",
    "PlanDetail",
    "PlanSummary",
    "UpstreamAuthError",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamNotFound",
    "UpstreamRateLimited",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "WispHubClient",
    "client_from_row",
    "error_for_status",
    "normalize_phone",
    "plan_type_from_upstream",
    "profile_payload",
    "split_phones",
]
