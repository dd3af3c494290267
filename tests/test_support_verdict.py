"""The verdict rules of a diagnostic, and how ping lines are read (pure functions)."""

from __future__ import annotations

import pytest

from wisphub_api.services.verdict import MESSAGES, judge
from wisphub_api.upstream.tasks import (
    PingError,
    PingReply,
    TaskState,
    host_kind,
    rtt_ms,
    task_from_body,
)


def reply(kind: str, replied: bool = True, rtt: float | None = 1.0) -> PingReply:
    return PingReply(kind, replied, rtt if replied else None)


@pytest.mark.parametrize(
    ("host", "kind"),
    [("172.16.12.25", "private"), ("10.10.1.1", "private"), ("192.168.88.1", "private"),
     ("100.64.3.9", "private"), ("4C:5E:0C:00:10:2A", "mac"), ("4c-5e-0c-00-10-2a", "mac"),
     ("181.49.3.9", "public"), ("8.8.8.8", "public"), ("", "unknown"), (None, "unknown"),
     ("router.local", "unknown")],
)  # fmt: skip
def test_host_kind_tells_the_subscribers_side_from_the_antenna(host, kind):
    assert host_kind(host) == kind


@pytest.mark.parametrize(
    ("text", "ms"),
    [("1ms287us", 1.287), ("678us", 0.678), ("12ms", 12.0), ("", None), ("fast", None)],
)
def test_rtt_reads_mikrotik_times(text, ms):
    assert rtt_ms(text) == ms


def test_a_private_address_answering_is_stable():
    verdict = judge(TaskState("success", (reply("private", False), reply("private"))))
    assert (verdict.status, verdict.verdict) == ("done", "stable")
    assert (verdict.packets_sent, verdict.packets_received) == (2, 1)


def test_the_mac_answering_is_stable_even_if_a_public_address_answers_too():
    verdict = judge(TaskState("success", (reply("public"), reply("mac"))))
    assert verdict.verdict == "stable"


def test_only_a_public_address_answering_is_antenna_only():
    verdict = judge(TaskState("success", (reply("public", rtt=40.0), reply("public", rtt=50.0))))
    assert (verdict.verdict, verdict.avg_rtt_ms) == ("antenna_only", 45.0)


def test_nothing_answering_is_no_internet():
    lines = (reply("private", False), reply("private", False))
    verdict = judge(TaskState("success", lines))
    assert (verdict.verdict, verdict.packets_received, verdict.avg_rtt_ms) == (
        "no_internet", 0, None,
    )  # fmt: skip


def test_host_unreachable_from_the_router_is_no_internet():
    line = {"host": "10.10.4.1", "time": "1ms", "ttl": "64", "status": "host unreachable"}
    body = {"task": {"status": "SUCCESS", "result": [{"ping-1": line}, {"ping-exitoso": "0 de 1"}]}}
    assert judge(task_from_body(body)).verdict == "no_internet"


def test_only_interface_errors_is_an_error_that_names_the_interface():
    errors = (PingError("interface_mismatch"), PingError("interface_mismatch"))
    verdict = judge(TaskState("success", errors))
    assert (verdict.status, verdict.verdict) == ("done", "error")
    assert verdict.message == MESSAGES["interface_mismatch"]


def test_an_unknown_router_error_never_echoes_its_text():
    body = {"task": {"status": "SUCCESS", "result": [{"ping-1": "no route to 10.0.0.9"}]}}
    verdict = judge(task_from_body(body))
    assert verdict.verdict == "error" and "10.0.0.9" not in verdict.message


def test_a_reply_beats_errors_among_the_lines():
    verdict = judge(TaskState("success", (PingError("router_error"), reply("private"))))
    assert verdict.verdict == "stable"


def test_a_failed_task_is_failed_and_an_error():
    verdict = judge(TaskState("failure"))
    assert (verdict.status, verdict.verdict) == ("failed", "error")


def test_a_waiting_task_is_pending():
    verdict = judge(TaskState("pending"))
    assert (verdict.status, verdict.verdict, verdict.packets_sent) == ("pending", "pending", None)
