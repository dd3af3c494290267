"""A WSGI app that fails outside any framework, to see what the server itself answers."""

from __future__ import annotations

from typing import Any


def create_app() -> Any:
    """Return a WSGI callable that raises before it starts an answer."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("the app crashed")

    return app
