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

    def parse(self, argmap: Any, req: flask.Request | None = None, **kwargs: Any) -> Any:
        """Parse as webargs does; a memoised query schema answers a query string seen before."""
        memo: QueryMemo | None = getattr(argmap, QueryMemo.ATTRIBUTE, None)
        if memo is None or kwargs.get("location") != "query" or kwargs.get("validate"):
            return super().parse(argmap, req, **kwargs)
        req = req if req is not None else flask.request
        key = (req.query_string, kwargs.get("unknown"))
        found = memo.get(key)
        if found is not None:
            return dict(found)  # a copy: the view may change its arguments
        loaded = super().parse(argmap, req, **kwargs)  # invalid ones raise, never kept
        memo.keep(key, loaded)
        return loaded


class QueryMemo:
    """The arguments a query schema loaded, by raw query string (plain values only)."""

    ATTRIBUTE = "_wisphub_query_memo"
    SIZE = 1024  # distinct query strings kept per schema before starting over

    def __init__(self) -> None:
        self._loaded: dict[tuple[bytes, Any], dict[str, Any]] = {}

    def get(self, key: tuple[bytes, Any]) -> dict[str, Any] | None:
        """Return the arguments loaded from this query string before, if kept."""
        return self._loaded.get(key)

    def keep(self, key: tuple[bytes, Any], loaded: Any) -> None:
        """Keep what a query string loaded, if it is a dict of immutable plain values."""
        if not isinstance(loaded, dict) or not all(
            isinstance(value, _PLAIN) for value in loaded.values()
        ):
            return
        if len(self._loaded) >= self.SIZE:
            self._loaded = {}
        self._loaded[key] = dict(loaded)


_PLAIN = (str, int, float, bool, type(None))


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose arguments go through ``SafeJsonParser``."""

    ARGUMENTS_PARSER = SafeJsonParser()

    def arguments(self, schema: Any, *args: Any, memo: bool = False, **kwargs: Any) -> Any:
        """Parse a view's arguments with ``schema``: one instance, made once, not per request.

        webargs instantiates a Schema class on every request; an instance is reused (loading
        keeps no state on it, ``unknown`` goes to each load) and documents the same. With
        ``memo`` (query strings only, for a schema whose load depends on nothing but the query
        string: no defaults taken from the clock or the settings), a query string loaded before
        is not loaded again.
        """
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            schema = schema()
        if memo:
            if kwargs.get("location") != "query":
                raise ValueError("memo=True is for query-string arguments")
            setattr(schema, QueryMemo.ATTRIBUTE, QueryMemo())
        return super().arguments(schema, *args, **kwargs)
