"""Per-key permissions: a WispHub key inherits its staff user's role, so some keys see less."""

from __future__ import annotations

from wisphub_api.sandbox.options import SandboxOptions

INVOICE_PDF = "facturas.pdf"
ALL_PERMISSIONS = frozenset({INVOICE_PDF})
# Endpoint (blueprint.view) -> the permission it needs; endpoints not listed need only a key.
REQUIRED = {"sandbox_invoices.invoice_pdf": INVOICE_PDF}


def key_permissions(options: SandboxOptions) -> dict[str, frozenset[str]]:
    """Map every accepted key to its permissions: full keys all, restricted keys no PDF."""
    keys = {key: ALL_PERMISSIONS - {INVOICE_PDF} for key in options.restricted_keys}
    keys.update({key: ALL_PERMISSIONS for key in options.api_keys})
    return keys


def allowed(permissions: frozenset[str], endpoint: str | None) -> bool:
    """Say whether a key with `permissions` may call `endpoint`."""
    required = REQUIRED.get(endpoint or "")
    return required is None or required in permissions
