"""``Idempotency-Key`` on write routes: a retried webhook gets the first answer, nothing twice.

Put ``@idempotent("scope")`` right above a write view (below ``@bp.arguments``, so that a request
that fails validation never claims its key). With the header, the first request claims the key
and its answer is recorded once WispHub was asked; a retry with the same key and body gets that
answer back (``Idempotent-Replayed: true``) and nothing runs again. An answer that certainly sent
nothing upstream — our own refusals (a known outage, a 404), a shared store that is down, a
connection WispHub never accepted — gives the key back instead, so the retry may run.

A request is told apart by its method, path and body; a route whose body is gone once parsed (a
multipart upload) passes ``fingerprint=``, a function that returns what stands for its body.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, make_response, request

from wisphub_api import errors
from wisphub_api.errors import InvalidParameters
from wisphub_api.extensions import current_services
from wisphub_api.i18n import N_, current_language, in_every_language, language_chosen
from wisphub_api.services.errors import ServiceError, WritesUnavailable
from wisphub_api.services.idempotency import Claim, Recorded
from wisphub_api.services.idempotency import fingerprint as digest
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.upstream.errors import UpstreamError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# What clients send: UUIDs, webhook message ids. Printable ASCII keeps it safe to hash and log.
_KEY = re.compile(r"[\x21-\x7E]{1,255}")
# Headers of the first answer that a replay repeats.
_KEPT_HEADERS = ("Location",)


def _key() -> str | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise InvalidParameters(
            N_("Idempotency-Key must be 1 to 255 printable characters without spaces."),
            errors={HEADER: [N_("Must be 1 to 255 printable characters without spaces.")]},
        )
    return value


def _sent_nothing(error: Exception) -> bool:
    """Tell whether a failed request certainly changed nothing upstream."""
    if isinstance(error, ServiceError | SharedStateUnavailable):
        return True
    return isinstance(error, UpstreamError) and not error.sent


def _replay(recorded: Recorded) -> Response:
    # An answer that holds a sentence was kept in every language: this request's is given.
    bodies = recorded.body.get("bodies")
    body = bodies.get(current_language()) if bodies else None
    response = jsonify(recorded.body["body"] if body is None else body)
    response.status_code = recorded.status
    response.headers.update(recorded.body["headers"])
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _record(
    claim: Claim, response: Response, render: Callable[[], dict[str, Any]] | None = None
) -> None:
    """Keep the first answer; one that holds a sentence, in every language ``render`` gives."""
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    body: dict[str, Any] = {"body": response.get_json(silent=True), "headers": headers}
    localized = getattr(response, "localized", None)  # a success answer that holds a sentence
    if render is None and localized is not None:
        render = lambda: localized().get_json()  # noqa: E731
    if render is not None and language_chosen():
        body["bodies"] = in_every_language(render)
    # If the store fails now, the write still happened; only its replay is lost (the pending
    # claim expires).
    with contextlib.suppress(SharedStateUnavailable):
        current_services().idempotency.complete(claim, Recorded(response.status_code, body))


def _raw_body() -> bytes:
    return request.get_data()


def idempotent(
    scope: str, *, fingerprint: Callable[[], bytes] = _raw_body
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Protect a write view with ``Idempotency-Key`` (see the module docstring).

    ``fingerprint`` returns the bytes that stand for the request's body (the raw body by
    default); it is called only for a request that sends the header.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = _key()
            if key is None:
                return view(*args, **kwargs)
            records = current_services().idempotency
            request_print = digest(request.method, request.path, fingerprint())
            try:
                found = records.claim(scope, key, request_print)
            except SharedStateUnavailable as exc:
                raise WritesUnavailable(exc.retry_after) from None
            if isinstance(found, Recorded):
                return _replay(found)
            render = None
            try:
                response = make_response(view(*args, **kwargs))
            except Exception as exc:
                if _sent_nothing(exc):
                    with contextlib.suppress(SharedStateUnavailable):
                        records.release(found)  # else the claim simply expires
                    raise
                response = errors.render(exc)  # WispHub may have acted: keep this answer
                render = functools.partial(errors.body_of, exc)
            _record(found, response, render)
            return response

        return wrapper

    return decorator
