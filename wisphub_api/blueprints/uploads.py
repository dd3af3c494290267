"""Routes that take a file: multipart parsing, their own body limit, an idempotency fingerprint.

The app refuses bodies over MAX_CONTENT_LENGTH (64 KB) and anything but JSON; a route that takes
a receipt declares ``http.takes_multipart`` and limits its body with ``receipt_body_limit``
instead: a Content-Length over the receipt limit is refused (413) before a byte is read, and
werkzeug stops reading past it. The uploaded file is spooled by werkzeug (to disk past 500 KB),
read from there once, and never copied into memory whole.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import current_app, request
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from wisphub_api.blueprints.parsing import Blueprint, SafeJsonParser
from wisphub_api.errors import InvalidParameters
from wisphub_api.i18n import N_
from wisphub_api.services.errors import ReceiptTooLarge

# Room for the form's other fields and the multipart framing, beside the receipt itself.
FORM_OVERHEAD = 64 * 1024
_CHUNK = 64 * 1024


class FormAndFilesParser(SafeJsonParser):
    """Read the ``files`` location as the form's fields and files together (one schema)."""

    def load_files(self, req: Any, schema: ma.Schema) -> Any:
        """Return the multipart fields and files as one MultiDictProxy."""
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class UploadBlueprint(Blueprint):
    """A blueprint whose ``files`` arguments are the whole multipart form."""

    ARGUMENTS_PARSER = FormAndFilesParser()


def receipt_body_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """Limit this request's body to RECEIPT_MAX_BYTES plus the form, before it is read."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        receipt_limit = current_app.config["RECEIPT_MAX_BYTES"]
        limit = receipt_limit + FORM_OVERHEAD
        if (request.content_length or 0) > limit:
            raise ReceiptTooLarge(receipt_limit)
        request.max_content_length = limit
        return view(*args, **kwargs)

    return wrapper


def _digest(upload: FileStorage) -> str:
    digest, stream = hashlib.sha256(), upload.stream
    stream.seek(0)
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def single_valued_form(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse a form that gives one of its fields (or files) more than once (422)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        counts = Counter(name for name, _ in request.form.items(multi=True))
        counts.update(name for name, _ in request.files.items(multi=True))
        repeated = sorted(name for name, count in counts.items() if count > 1)
        if repeated:
            errors = {name: [N_("Given more than once.")] for name in repeated}
            raise InvalidParameters(N_("A form field was given more than once."), errors=errors)
        return view(*args, **kwargs)

    return wrapper


def form_fingerprint() -> bytes:
    """Return what stands for a parsed multipart body: its fields and each file's digest.

    ``@idempotent(..., fingerprint=form_fingerprint)``: ``request.get_data()`` is empty once
    werkzeug parsed the form, so a key reused with another receipt is refused like a key
    reused with another JSON body.
    """
    fields = sorted(request.form.items())
    files = sorted((name, _digest(upload)) for name, upload in request.files.items())
    return repr((fields, files)).encode()
