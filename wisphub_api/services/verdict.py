"""What a finished ping says about a subscriber's connection (pure rules, no I/O).

- ``stable``: a private address or the MAC of the subscriber's equipment answered;
- ``antenna_only``: only a public address (the antenna) answered;
- ``no_internet``: nothing answered (timeouts, "host unreachable" from the router);
- ``error``: the router answered MikroTik error strings and nothing else (or the task failed).

Messages say which kind of result it was in English, never the upstream text (it holds
addresses). They are the catalogues' msgids: stored in English with a diagnostic, answered in
the caller's language (``wisphub_api.i18n``).
"""

from __future__ import annotations

from dataclasses import dataclass

from wisphub_api.translatable import N_
from wisphub_api.upstream.tasks import PingError, PingReply, TaskState

SUBSCRIBER_SIDE = frozenset({"private", "mac"})
MESSAGES = {
    "pending": N_("The diagnostic is still running; read it again in a few seconds."),
    "stable": N_("The subscriber's equipment answers: the connection reaches their home."),
    "antenna_only": N_(
        "Only the antenna answers: the subscriber's router or its cable may be at fault."
    ),
    "no_internet": N_("Nothing answers: the subscriber's equipment cannot be reached."),
    "interface_mismatch": N_(
        "The router does not know the subscriber's LAN interface (WispHub's "
        "interfaz_lan may be out of date); the ping could not run."
    ),
    "router_error": N_("The router answered with an error instead of ping results."),
    "task_failed": N_("WispHub Net could not run the ping on the router."),
    "task_gone": N_("WispHub Net no longer knows this diagnostic's task."),
    "timed_out": N_("The diagnostic did not finish in time; start a new one."),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a diagnostic as the contract names it."""

    status: str  # pending | done | failed
    verdict: str  # stable | antenna_only | no_internet | error | pending
    packets_sent: int | None
    packets_received: int | None
    avg_rtt_ms: float | None
    message: str


PENDING = Verdict("pending", "pending", None, None, None, MESSAGES["pending"])


def failed(kind: str) -> Verdict:
    """Return the verdict of a diagnostic that could not run (``kind`` names why)."""
    return Verdict("failed", "error", None, None, None, MESSAGES[kind])


def judge(task: TaskState) -> Verdict:
    """Return the verdict of a ping task's current state."""
    if task.status == "pending":
        return PENDING
    if task.status == "failure":
        return failed("task_failed")
    replies = [line for line in task.lines if isinstance(line, PingReply)]
    errors = [line for line in task.lines if isinstance(line, PingError)]
    answered = [line for line in replies if line.replied]
    times = [line.rtt_ms for line in answered if line.rtt_ms is not None]
    average = round(sum(times) / len(times), 3) if times else None
    if any(line.host_kind in SUBSCRIBER_SIDE for line in answered):
        verdict = "stable"
    elif answered:
        verdict = "antenna_only"
    elif errors:
        verdict = "error"
    else:
        verdict = "no_internet"
    if verdict == "error":
        kinds = {line.kind for line in errors}
        message = MESSAGES[
            "interface_mismatch" if kinds == {"interface_mismatch"} else "router_error"
        ]
    else:
        message = MESSAGES[verdict]
    return Verdict("done", verdict, len(replies), len(answered), average, message)
