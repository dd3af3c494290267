"""Payment writes: a promise to pay by a date, and a payment report with its receipt."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from marshmallow import RAISE

from wisphub_api.blueprints.common import documents_errors, no_query_parameters
from wisphub_api.blueprints.idempotency import idempotent
from wisphub_api.blueprints.uploads import (
    UploadBlueprint,
    form_fingerprint,
    receipt_body_limit,
    single_valued_form,
)
from wisphub_api.errors import InvalidParameters
from wisphub_api.extensions import current_services
from wisphub_api.http import takes_multipart
from wisphub_api.i18n import N_, translate
from wisphub_api.schemas.billing import (
    PaymentReportFormSchema,
    PaymentReportSchema,
    PromiseRequestSchema,
    PromiseSchema,
)
from wisphub_api.services.receipts import PaymentReport

bp = UploadBlueprint("payments", __name__, description="Promise a payment, or report one.")

# A payment is dated at most this far ahead of the ISP's clock (a phone's clock runs fast).
CLOCK_SLACK = dt.timedelta(minutes=10)
# A receipt older than this is not a payment of an invoice the bot can still talk about.
OLDEST_PAYMENT = dt.timedelta(days=366)


def _require_promises(view: Any) -> Any:
    """Answer 403 ``feature_disabled`` before reading the body when promises are off."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_services().billing.promises.ensure_enabled()
        return view(*args, **kwargs)

    return wrapper


def _check_until(until: dt.date) -> None:
    first, last = current_services().billing.promises.window()
    if not first <= until <= last:
        message = translate(N_("Must be a date from {first} to {last}.")).format(
            first=first.isoformat(), last=last.isoformat()
        )
        raise InvalidParameters(
            N_("until must be from the ISP's today to PAYMENT_PROMISE_MAX_DAYS days ahead."),
            errors={"until": [message]},
        )


def _paid_at(moment: dt.datetime) -> dt.datetime:
    calendar = current_services().billing.calendar
    aware = moment.replace(tzinfo=calendar.zone) if moment.tzinfo is None else moment
    now = calendar.now()
    if not now - OLDEST_PAYMENT <= aware <= now + CLOCK_SLACK:
        raise InvalidParameters(
            N_("paid_at must not be in the future nor over a year ago."),
            errors={"paid_at": [N_("Must not be in the future nor over a year ago.")]},
        )
    return aware


@bp.post("/clients/<service_id:service_id>/payment-promises")
@_require_promises
@bp.arguments(PromiseRequestSchema)
@bp.response(201, PromiseSchema)
@documents_errors(bp, 400, 403, 404, 409, 413, 415, 422)
@no_query_parameters
@idempotent("payment-promises")
def create_promise(body: dict[str, Any], service_id: int) -> tuple[dict[str, Any], int]:
    """Promise to pay a client's invoice by a date; a suspended service is reconnected at once.

    Without ``invoice_id``, the client's oldest pending invoice. 409 ``invoice_already_paid``,
    ``invoice_not_payable`` (cancelled), ``nothing_owed`` or ``promise_refused`` (WispHub Net
    said no, e.g. a promise is in force); 403 ``feature_disabled`` unless
    PAYMENT_PROMISES_ENABLED. Sent to WispHub Net once, never retried: a timeout is a 504, and
    with ``Idempotency-Key`` its retry gets that same answer.
    """
    _check_until(body["until"])
    promises = current_services().billing.promises
    promise = promises.promise(service_id, body["until"], body.get("invoice_id"))
    answer = {
        "invoice_id": promise.invoice_id,
        "until": promise.until.isoformat(),
        "service_reactivated": promise.service_reactivated,
    }
    return answer, 201


@bp.post("/invoices/<invoice_id:invoice_id>/payment-reports")
@takes_multipart
@receipt_body_limit
@bp.arguments(
    PaymentReportFormSchema,
    location="files",
    content_type="multipart/form-data",
    unknown=RAISE,
)
@bp.response(202, PaymentReportSchema)
@documents_errors(bp, 400, 404, 409, 413, 415, 422)
@no_query_parameters
@single_valued_form
@idempotent("payment-reports", fingerprint=form_fingerprint)
def report_payment(form: dict[str, Any], invoice_id: int) -> tuple[dict[str, Any], int]:
    """Report a payment with its receipt, for the ISP's staff to review (multipart/form-data).

    It never registers the payment: the invoice waits in review. The receipt (JPEG, PNG or
    PDF by its content, at most RECEIPT_MAX_BYTES) is checked before anything is sent (413,
    415), streamed to WispHub Net, never stored or logged. 409 ``payment_report_refused`` when
    WispHub Net refuses it (a paid or cancelled invoice, or one already in review).
    """
    report = PaymentReport(
        invoice_id=invoice_id,
        payment_method_id=form["payment_method_id"],
        paid_at=_paid_at(form["paid_at"]),
        reference=form.get("reference"),
    )
    current_services().billing.reports.report(report, form["receipt"].stream)
    return {"invoice_id": invoice_id, "status": "pending_review"}, 202
