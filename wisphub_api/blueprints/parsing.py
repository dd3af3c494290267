"""The project's blueprint: flask-smorest's, with a JSON parser that never lets a body crash."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
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
