"""The project's blueprint: flask-smorest's, with a JSON parser that never lets a body crash."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser


class SafeJsonParser(FlaskParser):
    """Treat any body that JSON cannot load as invalid JSON (400), not only syntax errors."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError):
            # Nesting deeper than the interpreter's recursion limit, or an integer longer than
            # Python converts: webargs handles only JSONDecodeError, so make it one.
            raise json.JSONDecodeError("The body cannot be loaded", "(request body)", 0) from None


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose arguments go through ``SafeJsonParser``."""

    ARGUMENTS_PARSER = SafeJsonParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """Parse a view's arguments with ``schema``: one instance, made once, not per request.

        webargs instantiates a Schema class on every request; an instance is reused (loading
        keeps no state on it, ``unknown`` goes to each load) and documents the same.
        """
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)
