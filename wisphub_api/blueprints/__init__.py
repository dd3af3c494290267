"""Register every blueprint under ``/api/v1`` and, for existing bots, under ``/api``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import NotFound

if TYPE_CHECKING:
    from flask_smorest import Api

# Versioned prefix (documented in OpenAPI) and the alias kept for bots written against the
# public FastAPI middleware; both serve the same handlers.
API_PREFIXES = ("/api/v1", "/api")


def register_blueprints(app: Flask, api: Api) -> None:
    """Register the blueprints of ``app`` on ``api``."""
    from wisphub_api.blueprints import (
        billing,
        clients,
        compat_billing,
        compat_support,
        diagnostics,
        health,
        payment_methods,
        payments,
        plans,
        search,
        tickets,
        verification,
    )
    from wisphub_api.blueprints.common import (
        ID_CONVERTERS,
        id_param_schema,
        refuse_repeated_parameters,
    )

    for name, converter in ID_CONVERTERS.items():
        app.url_map.converters[name] = converter
        api.register_converter(converter, id_param_schema)
    app.before_request(refuse_repeated_parameters)
    app.register_error_handler(NotFound, _explain_not_found)
    api.register_blueprint(health.bp)
    # search and verification routes start with /clients/ too: register them before the
    # clients blueprint's converters would see them (Flask orders rules by specificity anyway).
    for module, prefix in (
        (search, "/clients"),
        (verification, "/clients"),
        (clients, "/clients"),
        (plans, "/internet-plans"),
        (tickets, ""),
        (diagnostics, ""),
        (billing, ""),
        (payments, ""),
    ):
        versioned, alias = API_PREFIXES
        api.register_blueprint(module.bp, url_prefix=versioned + prefix)
        app.register_blueprint(module.bp, url_prefix=alias + prefix, name=f"alias_{module.bp.name}")
    api.register_blueprint(compat_support.bp, url_prefix=API_PREFIXES[1])  # /api only
    # /api/payment-methods/ answers the FastAPI middleware's {id, name} too: one per prefix.
    api.register_blueprint(payment_methods.bp, url_prefix=API_PREFIXES[0] + "/payment-methods")
    api.register_blueprint(compat_billing.bp, url_prefix=API_PREFIXES[1])  # /api only
    tickets.document_settings(app, api)
    # The "at least N fields" rules are settings, checked in the schemas: say them in OpenAPI.
    schemas = api.spec.components.schemas
    schemas["VerifyRequest"]["minProperties"] = app.config["VERIFY_MIN_FIELDS"]
    schemas["ResolveRequest"]["minProperties"] = app.config["RESOLVE_MIN_FIELDS"]
    schemas["ClientUpdate"]["minProperties"] = 1


def _explain_not_found(error: NotFound) -> Response:
    """Answer a 404, or a 422 when the URL is an id route with a malformed id in it."""
    from wisphub_api import errors
    from wisphub_api.blueprints.common import bad_id_parameters

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    invalid = bad_id_parameters(app, request.path, request.method)
    if invalid is not None:
        return errors.handle_api_error(invalid)
    return errors.handle_http_exception(error)
