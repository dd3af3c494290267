"""The sandbox as a WSGI application."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from wisphub_api.sandbox import (
    catalogs,
    clients,
    control,
    diagnostics,
    invoices,
    payments,
    plans,
    tickets,
)
from wisphub_api.sandbox.options import SandboxOptions
from wisphub_api.sandbox.pipeline import after_api, before_api
from wisphub_api.sandbox.state import SandboxState
from wisphub_api.sandbox.web import (
    NOT_FOUND_BODY,
    STATE_KEY,
    DropMiddleware,
    json_response,
    server_error,
)

MAX_BODY_BYTES = 10 * 1024 * 1024  # bigger uploads (receipts) get a JSON 413


def _http_error(error: HTTPException) -> Response | HTTPException:
    if isinstance(error, NotFound):
        return json_response(NOT_FOUND_BODY, 404)
    if isinstance(error, MethodNotAllowed):
        return json_response({"detail": f'Método "{request.method}" no permitido.'}, 405)
    if error.code is not None and error.code < 400:
        return error  # routing redirects keep werkzeug's own answer
    return json_response({"detail": error.description}, error.code or 500)


def _crash(_error: Exception) -> Response:
    return server_error()


def create_app(options: SandboxOptions | None = None) -> Flask:
    """Build the sandbox's WSGI application (the `down` fault needs the sandbox's own server)."""
    app = Flask("wisphub_api.sandbox")
    app.url_map.merge_slashes = False  # "//" is a 404 upstream, not a redirect
    app.extensions[STATE_KEY] = SandboxState(options or SandboxOptions())
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    blueprints = (clients.bp, plans.bp, catalogs.bp, tickets.bp, diagnostics.bp)
    for blueprint in (*blueprints, invoices.bp, payments.bp, control.bp):
        app.register_blueprint(blueprint)
    app.before_request(before_api)
    app.after_request(after_api)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
