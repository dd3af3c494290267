"""The errors services raise, in the services' own words (no Flask, no HTTP).

``wisphub_api/errors.py`` maps every class here to one HTTP answer in a single table, and a test
checks that the table covers each of them. A service never raises an HTTP error and never lets an
upstream "not found" stand for a miss in its own data.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""


class ClientNotFound(ServiceError):
    """No client has the value asked for (``what`` names the kind: document, phone, …)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no client for this {what}")
        self.what = what


class NoClientMatches(ServiceError):
    """The details given to resolve a client match nobody."""


class AmbiguousClient(ServiceError):
    """The details given to resolve a client match more than one."""


class PlanNotFound(ServiceError):
    """No internet plan has the id asked for."""


class VerificationLocked(ServiceError):
    """Too many failed verifications: refuse until ``retry_after`` seconds have passed."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("verification locked")
        self.retry_after = retry_after


class VerificationUnavailable(ServiceError):
    """The failure counters cannot be reached: verification fails closed, never open."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("verification unavailable")
        self.retry_after = retry_after


class WritesUnavailable(ServiceError):
    """The shared store cannot record a write for every worker: refuse it before WispHub."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("writes unavailable")
        self.retry_after = retry_after


class IdempotencyKeyReused(ServiceError):
    """An ``Idempotency-Key`` already used for a different request."""


class IdempotencyPending(ServiceError):
    """The first request with this ``Idempotency-Key`` is still running."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("idempotent request in progress")
        self.retry_after = retry_after


# Support conversations (tickets, outages, diagnostics).
class TicketNotFound(ServiceError):
    """No ticket has the id asked for."""


class UnknownSubject(ServiceError):
    """A ticket subject that is not one of the configured subjects."""


class TechnicianNotFound(ServiceError):
    """No staff member of WispHub has the technician id given for a ticket."""


class ZoneNotFound(ServiceError):
    """WispHub has no zone with the id asked for."""


class KnownOutage(ServiceError):
    """A known outage affects the service: no ticket is opened (``why`` says which outage).

    ``why`` may name ``{count}``, the zone's open tickets; it is filled when it is answered.
    """

    def __init__(self, why: str, reason: str, count: int = 0) -> None:
        super().__init__("known outage")
        self.why = why
        self.reason = reason  # open_tickets | router_failure
        self.count = count


class DiagnosticNotFound(ServiceError):
    """No diagnostic has the id asked for (or it expired)."""


# Billing conversations (balance, invoices, payment promises and reports).
class InvoiceNotFound(ServiceError):
    """WispHub has no invoice with the id asked for."""


class ClientInvoiceNotFound(ServiceError):
    """The client named in the path has no invoice with the id asked for."""


class InvoiceAlreadyPaid(ServiceError):
    """The invoice is paid: there is nothing to promise."""


class InvoiceNotPayable(ServiceError):
    """The invoice is cancelled (or its debt moved to another): nothing can be paid on it."""


class NothingOwed(ServiceError):
    """The client has no pending invoice a promise could name."""


class InvoicesUnavailable(ServiceError):
    """WispHub lists invoices by usuario, and this client has none."""


class PromiseRefused(ServiceError):
    """WispHub refused the payment promise (for instance, one is already in force)."""


class PaymentReportRefused(ServiceError):
    """WispHub refused the payment report (paid, cancelled, or already under review)."""


class FeatureDisabled(ServiceError):
    """A feature this ISP turned off (``feature`` names it in plain words)."""

    def __init__(self, feature: str) -> None:
        super().__init__(f"{feature} disabled")
        self.feature = feature


class UnknownPaymentMethod(ServiceError):
    """A payment method id that is not one of WispHub's."""


class ReceiptTooLarge(ServiceError):
    """A receipt over the size limit (``limit`` bytes)."""

    def __init__(self, limit: int) -> None:
        super().__init__("receipt too large")
        self.limit = limit


class ReceiptTypeUnsupported(ServiceError):
    """A receipt whose content is not a JPEG, PNG or PDF file."""
