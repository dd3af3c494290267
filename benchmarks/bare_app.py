"""The bare stack: a minimal Flask app that serves fixed bytes, for comparison with the API.

    BARE_BODIES=<dir> gunicorn -c gunicorn.conf.py "benchmarks.bare_app:create_app()"

``<dir>`` holds the bodies read once from the running API (benchmarks/saturation.py writes them):
``internet-plans.json``, ``clients.json`` and ``search.json``. Same gunicorn configuration,
worker class and worker count as the API; no authentication, hooks, logging or metrics. What the
API does beyond this is its cost per request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response

# Route -> the file holding its body.
ROUTES = {
    "/api/v1/internet-plans/": "internet-plans.json",
    "/api/v1/clients/": "clients.json",
    "/api/v1/clients/search": "search.json",
}
HEALTH = b'{"status":"ok"}'


def create_app() -> Flask:
    """Serve each body of BARE_BODIES at its route, and GET /health."""
    bodies = Path(os.environ["BARE_BODIES"])
    return serve_bodies({route: (bodies / name).read_bytes() for route, name in ROUTES.items()})


def serve_bodies(bodies: Mapping[str, bytes]) -> Flask:
    """Serve each body at its route (route -> bytes), and GET /health."""
    app = Flask(__name__)
    for number, (route, body) in enumerate(bodies.items()):
        app.add_url_rule(route, f"route_{number}", _view(body))
    app.add_url_rule("/health", "health", _view(HEALTH))
    app.add_url_rule("/health/ready", "ready", _view(HEALTH))
    return app


def _view(body: bytes):
    def view() -> Response:
        return Response(body, mimetype="application/json")

    return view
