"""Billing conversations: "how much do I owe?", "my invoices", "how do I pay?" (reads only).

The writes (promises, payment reports) are left out on purpose: a load test must not promise
payments or send receipts to the ISP. Clients are drawn from service ids 1-200, all of them in
the sandbox; grouped under one name per route so the percentiles describe the route. A client
WispHub keeps no usuario for answers its invoices with 409 invoices_unavailable: a correct answer.
"""

from __future__ import annotations

# isort: off
import locust  # noqa: F401  # first: it monkey-patches the interpreter with gevent

import random
from typing import Any

# isort: on
from locust import between, task

from loadtests.common import checks, gate  # noqa: F401  # gate registers the quitting listener
from loadtests.common.users import ApiUser, judge

SERVICE_IDS = range(1, 201)
BALANCE_KEYS = (
    "service_id",
    "outstanding_balance",
    "payment_status",
    "service_status",
    "cut_off_date",
    "pending_invoices",
)
INVOICE_KEYS = ("invoice_id", "issued_on", "due_on", "total", "balance", "status", "period")
METHOD_KEYS = ("payment_method_id", "name")


def balance_answer(body: Any) -> str | None:
    """Require a balance object with its invoices."""
    if not isinstance(body, dict):
        return "balance answer is not a JSON object"
    absent = [key for key in BALANCE_KEYS if key not in body]
    if absent:
        return f"balance lacks {', '.join(absent)}"
    if not isinstance(body["outstanding_balance"], int | float):
        return "outstanding_balance is not a number"
    if not isinstance(body["pending_invoices"], list):
        return "pending_invoices is not a list"
    return checks.missing_keys(body["pending_invoices"], INVOICE_KEYS, "pending invoice")


def invoice_list(body: Any) -> str | None:
    """Require a list of invoices (an empty list is a correct answer)."""
    if not isinstance(body, list):
        return "invoice list is not a JSON list"
    return checks.missing_keys(body, INVOICE_KEYS, "invoice")


def payment_method_list(body: Any) -> str | None:
    """Require a non-empty list of payment methods."""
    if not isinstance(body, list):
        return "payment method list is not a JSON list"
    if not body:
        return "payment method list is empty"
    return checks.missing_keys(body, METHOD_KEYS, "payment method")


def no_usernames(body: Any) -> str | None:
    """Accept the 409 of a client WispHub keeps no usuario for (its invoices cannot be listed)."""
    if not isinstance(body, dict) or body.get("code") != "invoices_unavailable":
        return "a 409 other than invoices_unavailable"
    return None


class BillingUser(ApiUser):
    """A bot answering billing questions of random subscribers."""

    wait_time = between(1, 3)

    def get_json(self, path: str, name: str, check: Any, expected_status: int = 200) -> None:
        """GET and judge a path; an invoice listing may also be a correct 409.

        A client WispHub keeps no usuario for cannot have its invoices listed: 409
        invoices_unavailable is then the right answer, not a failure.
        """
        if check is not invoice_list:
            super().get_json(path, name, check, expected_status)
            return
        with self.client.get(
            path, name=name, timeout=self.request_timeout, catch_response=True
        ) as response:
            if response.status_code == 409:
                judge(response, 409, no_usernames)
            else:
                judge(response, expected_status, check)

    @task(4)
    def balance(self) -> None:
        """Ask what a subscriber owes."""
        path = f"/api/v1/clients/{random.choice(SERVICE_IDS)}/balance"
        self.get_json(path, "/api/v1/clients/[id]/balance", balance_answer)

    @task(3)
    def pending_invoices(self) -> None:
        """List a subscriber's pending invoices (the last three months)."""
        path = f"/api/v1/clients/{random.choice(SERVICE_IDS)}/invoices"
        self.get_json(path, "/api/v1/clients/[id]/invoices", invoice_list)

    @task(1)
    def invoice_history(self) -> None:
        """List a subscriber's invoices of the last year."""
        path = f"/api/v1/clients/{random.choice(SERVICE_IDS)}/invoices?status=all&months=12"
        self.get_json(path, "/api/v1/clients/[id]/invoices?status=all&months=12", invoice_list)

    @task(2)
    def payment_methods(self) -> None:
        """List the ways to pay."""
        path = "/api/v1/payment-methods/"
        self.get_json(path, path, payment_method_list)
