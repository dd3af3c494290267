"""Query arguments loaded once per query string where a route asks for it (memo=True)."""

from __future__ import annotations

import pytest
from marshmallow import RAISE
from werkzeug.exceptions import HTTPException

from wisphub_api.blueprints.parsing import QueryMemo, SafeJsonParser
from wisphub_api.schemas.search import SearchQuerySchema


@pytest.fixture
def memoised(monkeypatch):
    schema = SearchQuerySchema()
    setattr(schema, QueryMemo.ATTRIBUTE, QueryMemo())
    loads = []
    load = schema.load

    def counted(*args, **kwargs):
        loads.append(args)
        return load(*args, **kwargs)

    monkeypatch.setattr(schema, "load", counted)
    return schema, loads


def parse(app, schema, url):
    with app.test_request_context(url):
        return SafeJsonParser().parse(schema, location="query", unknown=RAISE)


def test_a_query_string_seen_before_is_not_loaded_again(app, memoised):
    schema, loads = memoised
    first = parse(app, schema, "/x?q=Esperanza&limit=5")
    first["q"] = "changed by the view"  # each request gets its own copy
    again = parse(app, schema, "/x?q=Esperanza&limit=5")
    assert again == {"q": "Esperanza", "limit": 5} and len(loads) == 1
    assert parse(app, schema, "/x?q=Esperanza") == {"q": "Esperanza", "limit": 20}
    assert len(loads) == 2


def test_an_invalid_query_string_is_refused_every_time(app, memoised):
    schema, loads = memoised
    for _ in range(2):
        with pytest.raises(HTTPException) as refused:
            parse(app, schema, "/x?q=Esperanza&limit=0")
        assert refused.value.code == 422
    assert len(loads) == 2


def test_memo_is_for_query_strings_only():
    from wisphub_api.blueprints.parsing import Blueprint

    with pytest.raises(ValueError, match="query"):
        Blueprint("x", __name__).arguments(SearchQuerySchema, memo=True)
