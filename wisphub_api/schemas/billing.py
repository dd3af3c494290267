"""Schemas of the billing routes: balance, invoices, payment methods, promises and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from wisphub_api.schemas.common import NOT_BLANK
from wisphub_api.translatable import N_

# Largest id WispHub uses (a PostgreSQL integer), as the path converters say.
MAX_ID = 2**31 - 1
INVOICE_STATUSES = ("pending", "paid", "cancelled", "in_review")
MONEY = "An amount with two decimals, equal to WispHub Net's to the cent."


class StrictId(fields.Integer):
    """A positive JSON whole number (an id): refuses strings, booleans and fractions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError(N_("Must be a whole number."))
        result: int = super()._deserialize(value, attr, data, **kwargs)
        return result


class PeriodSchema(Schema):
    """The period an invoice bills, both days included."""

    start = fields.Date(required=True)
    end = fields.Date(required=True)


class InvoiceSchema(Schema):
    """One invoice of a client."""

    invoice_id = fields.Integer(required=True)
    issued_on = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    due_on = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    total = fields.Float(required=True, metadata={"description": MONEY})
    balance = fields.Float(required=True, metadata={"description": "What is left to pay. " + MONEY})
    status = fields.String(
        required=True,
        validate=validate.OneOf(INVOICE_STATUSES),
        metadata={"description": "in_review: a payment was reported and waits for the ISP."},
    )
    period = fields.Nested(
        PeriodSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The billed period; null when the invoice names none."},
    )


class InvoiceQuerySchema(Schema):
    """The query of ``GET /clients/<service_id>/invoices``."""

    status = fields.String(
        load_default="pending",
        validate=validate.OneOf(("pending", "paid", "all")),
        metadata={"description": "pending: still owed (pending or in_review); paid; all."},
    )
    months = fields.Integer(
        load_default=3,
        validate=validate.Range(min=1, max=12),
        metadata={"description": "Invoices issued in the last 1 to 12 months."},
    )


class BalanceSchema(Schema):
    """What a client owes, and the state of its service."""

    service_id = fields.Integer(required=True)
    outstanding_balance = fields.Float(
        required=True,
        metadata={"description": "WispHub Net's saldo; negative is a credit. " + MONEY},
    )
    payment_status = fields.String(required=True, allow_none=True)
    service_status = fields.String(required=True, allow_none=True)
    cut_off_date = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    pending_invoices = fields.List(
        fields.Nested(InvoiceSchema),
        required=True,
        metadata={"description": "Every unpaid invoice (pending or in_review), newest first."},
    )


class PaymentMethodSchema(Schema):
    """A way to pay the ISP."""

    payment_method_id = fields.Integer(required=True)
    name = fields.String(required=True)


class CompatPaymentMethodSchema(PaymentMethodSchema):
    """A payment method with the FastAPI middleware's ``id`` as well."""

    id = fields.Integer(required=True, metadata={"description": "The same as payment_method_id."})


class PromiseRequestSchema(Schema):
    """A promise to pay an invoice by a date."""

    invoice_id = StrictId(
        metadata={
            "description": "One of the client's unpaid invoices; by default its oldest pending one."
        }
    )
    until = fields.Date(
        required=True,
        metadata={
            "description": "From the ISP's today to PAYMENT_PROMISE_MAX_DAYS days ahead (its "
            "time zone, WISPHUB_TIMEZONE); another date answers 422."
        },
    )


class PromiseSchema(Schema):
    """A payment promise WispHub Net accepted."""

    invoice_id = fields.Integer(required=True)
    until = fields.String(required=True, metadata={"format": "date"})
    service_reactivated = fields.Boolean(
        required=True, metadata={"description": "The suspended service was reconnected."}
    )


class Moment(fields.Field):
    """A date (``2026-04-30``) or an ISO 8601 date and time; without an offset, the ISP's time."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and 10 <= len(value) <= 40:
            try:
                if len(value) == 10:
                    return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
        raise ValidationError(N_("Must be a date (YYYY-MM-DD) or an ISO 8601 date and time."))


class ReceiptUpload(Upload):
    """The receipt file of a payment report."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ValidationError(N_("Must be a file."))
        return value


class PaymentReportFormSchema(Schema):
    """The multipart form of a payment report."""

    receipt = ReceiptUpload(
        required=True,
        metadata={
            "description": "The receipt: a JPEG, PNG or PDF file (judged by its content) of at "
            "most RECEIPT_MAX_BYTES."
        },
    )
    payment_method_id = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "One of GET /payment-methods/."},
    )
    paid_at = Moment(
        required=True,
        metadata={
            "type": "string",
            "description": "When the subscriber paid: a date or an ISO 8601 date and time, "
            "not in the future nor over a year ago.",
        },
    )
    reference = fields.String(
        validate=[validate.Length(min=1, max=100), validate.Regexp(NOT_BLANK)],
        metadata={"description": "The bank's or the app's reference of the payment."},
    )


class PaymentReportSchema(Schema):
    """A payment report WispHub Net accepted for review."""

    invoice_id = fields.Integer(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(("pending_review",)),
        metadata={"description": "Always pending_review: the ISP's staff check the receipt."},
    )
