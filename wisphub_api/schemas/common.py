"""Schemas and fields shared by several blueprints."""

from __future__ import annotations

import math
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from wisphub_api.translatable import N_

# Longest free-text value accepted in a request field: longer than any real name or address,
# short enough that a hostile value costs nothing to normalise.
MAX_TEXT = 200


class ErrorSchema(Schema):
    """The one shape of every error answer."""

    detail = fields.String(required=True, metadata={"description": "A human sentence."})
    code = fields.String(required=True, metadata={"description": "A stable machine code."})
    errors = fields.Dict(metadata={"description": "Messages by field (validation errors)."})


class StrictNumber(fields.Float):
    """A JSON number: refuses strings, booleans, NaN and infinities."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(N_("Must be a number."))
        try:
            number = float(value)  # a huge JSON integer overflows here
        except OverflowError:
            raise ValidationError(N_("Must be a finite number.")) from None
        if not math.isfinite(number):
            raise ValidationError(N_("Must be a finite number."))
        return number


# "Not only spaces", written so that Python and the ECMA regexes of JSON Schema agree: their
# \s differ (Unicode vs ASCII classes), an explicit set of ASCII whitespace does not.
NOT_BLANK = r"[\s\S]*[^ \t\n\r\f\v]"


def text_field(**kwargs: Any) -> fields.String:
    """Return a free-text request field: 1 to MAX_TEXT characters, not only spaces."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=MAX_TEXT),
            validate.Regexp(NOT_BLANK, error=N_("Must not be blank.")),
        ],
        **kwargs,
    )


def money_field(**kwargs: Any) -> StrictNumber:
    """Return a money request field (a JSON number between 0 and a billion)."""
    return StrictNumber(validate=validate.Range(min=0, max=1_000_000_000), **kwargs)
