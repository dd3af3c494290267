"""Turn every failure into one JSON shape: ``{"detail": ..., "code": ...}`` (+ ``errors``)."""

from __future__ import annotations

import logging
import math
import traceback
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from wisphub_api.i18n import N_, translate, translate_messages
from wisphub_api.services.errors import (
    AmbiguousClient,
    ClientInvoiceNotFound,
    ClientNotFound,
    DiagnosticNotFound,
    FeatureDisabled,
    IdempotencyKeyReused,
    IdempotencyPending,
    InvoiceAlreadyPaid,
    InvoiceNotFound,
    InvoiceNotPayable,
    InvoicesUnavailable,
    KnownOutage,
    NoClientMatches,
    NothingOwed,
    PaymentReportRefused,
    PlanNotFound,
    PromiseRefused,
    ReceiptTooLarge,
    ReceiptTypeUnsupported,
    ServiceError,
    TechnicianNotFound,
    TicketNotFound,
    UnknownPaymentMethod,
    UnknownSubject,
    VerificationLocked,
    VerificationUnavailable,
    WritesUnavailable,
    ZoneNotFound,
)
from wisphub_api.services.snapshots import SnapshotLoading, SnapshotUnavailable
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.upstream.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from wisphub_api.upstream.invoices import InvoicePdfForbidden, UpstreamRefused

logger = logging.getLogger("wisphub_api.errors")


@dataclass(frozen=True, slots=True)
class Answer:
    """The HTTP answer of one kind of error; ``detail`` may name the error's attributes.

    ``detail`` is the English msgid of the catalogues, translated when it is answered; an
    attribute it names is translated too when it is a sentence or a word of the catalogues.
    """

    status: int
    code: str
    detail: str


# Every error a service or the upstream client raises, and how it is answered. Looked up along the
# exception's class hierarchy, so a subclass without an entry is answered as its parent.
# Details never echo an upstream body or a caller's value. Sentences are the catalogues' msgids
# (wisphub_api/translations), answered in the request's language.
ANSWERS: dict[type[Exception], Answer] = {
    ClientNotFound: Answer(404, "client_not_found", N_("No client has this {what}.")),
    NoClientMatches: Answer(404, "client_not_found", N_("No client matches these details.")),
    AmbiguousClient: Answer(
        409,
        "ambiguous_client",
        N_("More than one client matches these details; add another field."),
    ),
    PlanNotFound: Answer(404, "plan_not_found", N_("No plan has this id.")),
    VerificationLocked: Answer(
        429,
        "verification_locked",
        N_("Too many failed verifications for this service; retry later."),
    ),
    VerificationUnavailable: Answer(
        503,
        "verification_unavailable",
        N_("Identity verification is unavailable right now; retry later."),
    ),
    WritesUnavailable: Answer(
        503,
        "writes_unavailable",
        N_("Changes cannot be recorded for every worker right now; nothing was sent. Retry later."),
    ),
    IdempotencyKeyReused: Answer(
        422,
        "idempotency_key_reused",
        N_("This Idempotency-Key was already used for a different request."),
    ),
    IdempotencyPending: Answer(
        409,
        "idempotency_in_progress",
        N_("A request with this Idempotency-Key is still running; retry after Retry-After."),
    ),
    TicketNotFound: Answer(404, "ticket_not_found", N_("No ticket has this id.")),
    UnknownSubject: Answer(
        422, "unknown_subject", N_("This subject is not one of GET /tickets/subjects.")
    ),
    TechnicianNotFound: Answer(
        404, "technician_not_found", N_("No technician of WispHub Net has this technician_id.")
    ),
    ZoneNotFound: Answer(404, "zone_not_found", N_("WispHub Net has no zone with this id.")),
    KnownOutage: Answer(
        409,
        "known_outage",
        N_("A known outage affects this service ({why}); no ticket was opened."),
    ),
    DiagnosticNotFound: Answer(
        404, "diagnostic_not_found", N_("No diagnostic has this id (or it expired).")
    ),
    # Billing conversations.
    InvoiceNotFound: Answer(
        404, "invoice_not_found", N_("WispHub Net has no invoice with this id.")
    ),
    ClientInvoiceNotFound: Answer(
        404, "invoice_not_found", N_("This client has no invoice with this id.")
    ),
    InvoiceAlreadyPaid: Answer(
        409,
        "invoice_already_paid",
        N_("This invoice is already paid; there is nothing to promise."),
    ),
    InvoiceNotPayable: Answer(
        409, "invoice_not_payable", N_("This invoice is cancelled; nothing can be paid on it.")
    ),
    NothingOwed: Answer(409, "nothing_owed", N_("This client has no pending invoice to promise.")),
    InvoicesUnavailable: Answer(
        409,
        "invoices_unavailable",
        N_(
            "WispHub Net lists invoices by the client's username and this client has none; "
            "GET /clients/<service_id>/balance still shows what it owes."
        ),
    ),
    PromiseRefused: Answer(
        409,
        "promise_refused",
        N_(
            "WispHub Net refused the payment promise (the invoice may have one in force already); "
            "nothing changed."
        ),
    ),
    PaymentReportRefused: Answer(
        409,
        "payment_report_refused",
        N_(
            "WispHub Net refused the payment report: the invoice is paid, cancelled or already has "
            "a payment under review."
        ),
    ),
    FeatureDisabled: Answer(
        403, "feature_disabled", N_("{feature} are turned off on this service.")
    ),
    UnknownPaymentMethod: Answer(
        422, "unknown_payment_method", N_("payment_method_id is not one of GET /payment-methods/.")
    ),
    ReceiptTooLarge: Answer(413, "receipt_too_large", N_("The receipt is over {limit} bytes.")),
    ReceiptTypeUnsupported: Answer(
        415,
        "unsupported_receipt_type",
        N_("The receipt must be a JPEG, PNG or PDF file (judged by its content, not its name)."),
    ),
    InvoicePdfForbidden: Answer(
        403,
        "upstream_forbidden",
        N_(
            "WispHub Net refused this invoice's PDF to this service's key: the key lacks the "
            "invoice PDF permission (or WispHub no longer accepts it)."
        ),
    ),
    UpstreamRefused: Answer(502, "upstream_refused", N_("WispHub Net refused the request.")),
    SharedStateUnavailable: Answer(
        503,
        "shared_state_unavailable",
        N_("A store this service needs is unavailable; retry later."),
    ),
    SnapshotLoading: Answer(
        503,
        "data_loading",
        N_("The data is still being loaded from WispHub Net; retry after Retry-After."),
    ),
    SnapshotUnavailable: Answer(
        503, "upstream_unavailable", N_("WispHub Net is failing; retry after Retry-After.")
    ),
    UpstreamTimeout: Answer(504, "upstream_timeout", N_("WispHub Net did not answer in time.")),
    UpstreamRateLimited: Answer(
        503,
        "upstream_rate_limited",
        N_("WispHub Net asked this service to slow down; retry after Retry-After."),
    ),
    UpstreamUnavailable: Answer(503, "upstream_unavailable", N_("WispHub Net is unavailable.")),
    UpstreamAuthError: Answer(
        502, "upstream_auth", N_("WispHub Net refused this service's credentials.")
    ),
    UpstreamNotFound: Answer(404, "not_found", N_("The resource was not found in WispHub Net.")),
    UpstreamBadResponse: Answer(
        502, "upstream_bad_response", N_("WispHub Net gave an unusable answer.")
    ),
    UpstreamError: Answer(502, "upstream_error", N_("WispHub Net gave an unusable answer.")),
}


# The words that fill a placeholder of ANSWERS (ClientNotFound's ``what``, as
# services/directory.py names the lookups), so that each is said in the answer's language too.
PLACEHOLDER_WORDS = (N_("document"), N_("phone"), N_("service id"))


def answer_for(error: Exception) -> Answer | None:
    """Return the answer of ``error``'s class or of its nearest ancestor in ``ANSWERS``."""
    for kind in type(error).__mro__:
        answer = ANSWERS.get(kind)
        if answer is not None:
            return answer
    return None


class ApiError(Exception):
    """An answer other than success, raised by the HTTP layer (guards, request checks)."""

    status = 400
    code = "bad_request"
    detail = N_("The request could not be processed.")

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail
        self.code = code or self.code
        self.status = status or self.status
        self.headers = headers or {}
        self.errors = errors


class Unauthorized(ApiError):
    """The request lacks an accepted ``X-API-Key``."""

    status, code, detail = 401, "unauthorized", N_("A valid X-API-Key header is required.")


class PayloadTooLarge(ApiError):
    """The request body is over ``MAX_CONTENT_LENGTH``."""

    status, code, detail = 413, "payload_too_large", N_("The request body is too large.")


class UnsupportedMediaType(ApiError):
    """A body was sent in something other than JSON."""

    status, code = 415, "unsupported_media_type"
    detail = N_("The request body must be JSON (Content-Type: application/json).")


class InvalidParameters(ApiError):
    """Query or path parameters that are unknown, repeated or of the wrong form."""

    status, code, detail = 422, "validation_error", N_("Some fields have invalid values.")


# Werkzeug's own exception names, made stable machine codes.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    502: "upstream_error",
    503: "upstream_unavailable",
    504: "upstream_timeout",
}

# Werkzeug's descriptions are English only: every status it may raise has a sentence here.
_HTTP_DETAILS = {
    400: N_("The request is malformed."),
    401: Unauthorized.detail,
    403: N_("The request is not allowed."),
    404: N_("The requested URL was not found."),
    405: N_("The method is not allowed for this URL."),
    409: N_("The request conflicts with the current state of the resource."),
    413: PayloadTooLarge.detail,
    415: UnsupportedMediaType.detail,
    422: InvalidParameters.detail,
    429: N_("Too many requests; retry after Retry-After."),
    500: N_("An internal error occurred."),
    502: N_("WispHub Net gave an unusable answer."),
    503: N_("The service is unavailable right now; retry later."),
    504: N_("WispHub Net did not answer in time."),
}
REQUIRED_MISSING = N_("Required fields are missing.")
NOT_JSON = N_("The request body is not valid JSON.")


def error_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
) -> Response:
    """Build the JSON answer for one error (``detail`` and ``errors`` already translated)."""
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _validation_status(messages: dict[str, Any]) -> int:
    """Return 400 when fields are only missing, 422 when a value is wrong (the HTTP contract).

    Judged on marshmallow's English messages, before they are translated.
    """
    texts: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)
        else:
            texts.append(str(node))

    collect(messages)
    only_missing = texts and all(
        t == "Missing data for required field." or t.startswith("At least ") for t in texts
    )
    return 400 if only_missing else 422


# webargs' locations, whose name is dropped from a validation answer ("files": multipart forms).
_LOCATIONS = frozenset({"json", "query", "view_args", "path", "headers", "files"})


def handle_http_exception(error: HTTPException) -> Response:
    """Answer a werkzeug/webargs HTTP exception as JSON."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if messages is not None and status == 400:
        return error_response(400, "bad_request", translate(NOT_JSON))
    if messages is not None and status == 422:
        # webargs nests messages by location ("json", "query"); flatten for the caller.
        if isinstance(messages, dict) and len(messages) == 1:
            location, inner = next(iter(messages.items()))
            if location in _LOCATIONS and isinstance(inner, dict):
                messages = inner
        status = _validation_status(messages)
        detail = data.get("detail") or (
            REQUIRED_MISSING if status == 400 else InvalidParameters.detail
        )
        return error_response(
            status,
            _HTTP_CODES[status],
            translate(detail),
            errors=translate_messages(messages),
            headers=data.get("headers"),
        )
    detail = data.get("message") or _HTTP_DETAILS.get(status) or error.description or error.name
    code = _HTTP_CODES.get(status, error.name.lower().replace(" ", "_"))
    headers = dict(data.get("headers") or {})
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(status, code, translate(detail), headers=headers)


def handle_api_error(error: ApiError) -> Response:
    """Answer an ``ApiError`` raised by the HTTP layer."""
    errors = translate_messages(error.errors) if error.errors else None
    return error_response(
        error.status, error.code, translate(error.detail), headers=error.headers, errors=errors
    )


def handle_known_error(error: Exception) -> Response:
    """Answer a service or upstream error through ``ANSWERS``."""
    answer = answer_for(error)
    if answer is None:  # pragma: no cover - only registered for classes with an answer
        return handle_unexpected(error)
    if isinstance(error, UpstreamError):
        logger.warning("upstream failure answered %s (%s)", answer.status, type(error).__name__)
    retry_after = getattr(error, "retry_after", None)  # a lock or an open circuit knows when
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return error_response(answer.status, answer.code, _detail(answer, error), headers=headers)


def _detail(answer: Answer, error: Exception) -> str:
    """Return the answer's detail in the request's language, its placeholders filled."""
    detail = translate(answer.detail)
    return detail.format_map(_Words(vars(error))) if "{" in detail else detail


class _Words(dict[str, Any]):
    """An error's attributes as a detail names them: words and sentences translated, filled."""

    def __getitem__(self, name: str) -> Any:
        value = super().__getitem__(name)
        if not isinstance(value, str):
            return value
        value = translate(value)
        return value.format_map(self) if "{" in value else value


def handle_unexpected(error: Exception) -> Response:
    """Answer any other exception with a 500 that reveals nothing."""
    # The exception's message may hold caller data; log its type and frames only.
    frames = "".join(traceback.format_tb(error.__traceback__))
    logger.error("unhandled error: %s\n%s", type(error).__name__, frames)
    return error_response(500, "internal_error", translate(_HTTP_DETAILS[500]))


def render(error: Exception) -> Response:
    """Answer ``error`` as its registered handler would (for code that must keep the answer)."""
    if isinstance(error, ApiError):
        return handle_api_error(error)
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    if answer_for(error) is not None:
        return handle_known_error(error)
    return handle_unexpected(error)


def body_of(error: Exception) -> dict[str, Any]:
    """Return the JSON body ``render(error)`` answers, in the request's language, logging nothing.

    For an answer kept to be given again (an idempotent replay), in each language.
    """
    if isinstance(error, ApiError | HTTPException):
        body: dict[str, Any] = render(error).get_json()
        return body
    answer = answer_for(error)
    if answer is not None:
        return {"detail": _detail(answer, error), "code": answer.code}
    return {"detail": translate(_HTTP_DETAILS[500]), "code": "internal_error"}


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(ServiceError, handle_known_error)
    app.register_error_handler(SharedStateUnavailable, handle_known_error)
    app.register_error_handler(UpstreamError, handle_known_error)
    app.register_error_handler(Exception, handle_unexpected)
