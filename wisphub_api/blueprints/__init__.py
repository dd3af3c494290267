"""Register every blueprint under ``/api/v1`` and, for existing bots, under ``/api``."""

from __future__ import annotations

from flask import Flask

# Versioned prefix (documented in OpenAPI) and the alias kept for bots written against the
# public FastAPI middleware; both serve the same handlers.
API_PREFIXES = ("/api/v1", "/api")


def register_blueprints(app: Flask, api) -> None:
    """Register the blueprints of ``app`` on ``api``."""
    from wisphub_api.blueprints import clients, health, plans, search, verification

    api.register_blueprint(health.bp)
    # search and verification routes start with /clients/ too: register them before the
    # clients blueprint's converters would see them (Flask orders rules by specificity anyway).
    for module, prefix in (
        (search, "/clients"),
        (verification, "/clients"),
        (clients, "/clients"),
        (plans, "/internet-plans"),
    ):
        versioned, alias = API_PREFIXES
        api.register_blueprint(module.bp, url_prefix=versioned + prefix)
        app.register_blueprint(module.bp, url_prefix=alias + prefix, name=f"alias_{module.bp.name}")
    # The "at least N fields" rules are settings, checked in the schemas: say them in OpenAPI.
    schemas = api.spec.components.schemas
    schemas["VerifyRequest"]["minProperties"] = app.config["VERIFY_MIN_FIELDS"]
    schemas["ResolveRequest"]["minProperties"] = app.config["RESOLVE_MIN_FIELDS"]
    schemas["ClientUpdate"]["minProperties"] = 1
