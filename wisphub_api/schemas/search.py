"""Schemas of the search route."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

# Largest page of search results: a bot shows a handful; 100 bounds the work of one request.
MAX_SEARCH_LIMIT = 100


class SearchQuerySchema(Schema):
    """The query string of ``GET /clients/search``."""

    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Free text: name, address, document or phone, any order. Text with no "
            "letter or digit matches nobody (an empty list)."
        },
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_SEARCH_LIMIT))
