"""The request line is exactly json.dumps of its entry; request ids stay 32 random hex digits."""

from __future__ import annotations

import json
import math
import os
import re
from datetime import UTC, datetime

import pytest

from wisphub_api.observability.masking import MASKING_FILTER
from wisphub_api.observability.requestlog import REQUEST_LOGGER, new_request_id, request_line


def reference_line(**fields) -> str:
    """The line as the entry's json.dumps (how it was written before it was written by hand)."""
    method = MASKING_FILTER.mask(fields["method"])
    address = fields["remote_addr"]
    address = MASKING_FILTER.mask(address) if address else address
    entry = {
        "ts": datetime.fromtimestamp(fields["created"], UTC).isoformat(timespec="milliseconds"),
        "level": fields["level"],
        "logger": REQUEST_LOGGER,
        "message": f"{method} {fields['route']} {fields['status']}",
        "request_id": fields["request_id"],
        "method": method,
        "route": fields["route"],
        "status": fields["status"],
        "duration_ms": fields["duration_ms"],
        "remote_addr": address,
        "cache": fields["cache"],
    }
    return json.dumps(entry, ensure_ascii=False)


BASE = {
    "method": "GET",
    "route": "/api/v1/clients/by-phone/<phone>",
    "status": 200,
    "duration_ms": 0.21,
    "remote_addr": "127.0.0.1",
    "cache": "HIT",
    "request_id": "bot-7.conv_42",
    "level": "INFO",
    "created": 1764748800.1239,
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"method": 'GE"T\\\n', "remote_addr": "10.0.0.1, \u00e9\u00f1\u2028\x00\x1f"},
        {"method": "POST", "route": "<unmatched>", "status": 503, "duration_ms": 1234.56},
        {"remote_addr": None, "cache": None, "request_id": None, "level": "DEBUG"},
        {"remote_addr": "", "duration_ms": 0.0, "created": 0.0005},
        {"remote_addr": "1098765432 ana@example.com", "method": "X-API-Key: abcdefgh12"},
        {"duration_ms": 12, "status": 404},
        {"duration_ms": math.inf},
        {"duration_ms": float("nan"), "cache": "STALE"},
        {"duration_ms": 1e-07, "created": 1764748800.9995},
    ],
)
def test_request_line_is_the_entry_as_json_dumps_writes_it(changes):
    fields = {**BASE, **changes}
    line = request_line(**fields)
    assert line == reference_line(**fields)
    assert MASKING_FILTER.mask_cached(fields["method"]) == MASKING_FILTER.mask(fields["method"])


def test_request_ids_are_32_hex_digits_and_never_repeat():
    ids = [new_request_id() for _ in range(2000)]  # several reads of the random pool
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_child_draws_its_own_request_ids():
    new_request_id()  # the pool holds unused bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next id and leave at once
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert re.fullmatch(r"[0-9a-f]{32}", child) and child != new_request_id()
