"""docs/bot-flows.md runs: every curl command in it, in order, against the API over the sandbox.

The API runs as in production (gunicorn, one gevent worker) over the session's sandbox, with
payment promises on and the guide's own demo key. Each command is run by bash and curl, as a bot
builder would paste it, and its answer is checked against the ``# expect:`` line above it (see
tests/support/flowdoc.py for the format); ``# save:`` values feed the later steps. The codes the
guide's branch tables name must be codes the API (or the bundled nginx) really answers, with the
status written beside them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.billing import JPEG
from tests.support.flowdoc import (
    GUIDE,
    ROOT,
    Guide,
    Step,
    as_json,
    as_variable,
    expand,
    pick,
    read_guide,
    table_answers,
)
from tests.support.servers import GunicornServer, start_api_over_sandbox
from wisphub_api.errors import ANSWERS

TEXT = GUIDE.read_text(encoding="utf-8")
CURL_SECONDS = 60  # one request, ?wait=20 included; a generous bound, not a latency check
POLL_SECONDS = 60  # DIAGNOSTIC_MAX_SECONDS: a diagnostic has ended by then
POLL_PAUSE_SECONDS = 2
# Where the codes the API answers are written.
CODE_SOURCES = [*sorted((ROOT / "wisphub_api").rglob("*.py")), ROOT / "deploy/nginx.conf.template"]


@pytest.fixture(scope="module")
def guide() -> Guide:
    return read_guide(TEXT)


@pytest.fixture(scope="module")
def setup_variables(guide: Guide) -> dict[str, str]:
    """Run the guide's setup block in bash and return the variables it sets."""
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=", guide.setup, flags=re.MULTILINE)
    script = guide.setup + "\n" + "".join(f'printf "%s\\0" "${name}"\n' for name in names)
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=10, check=True
    )
    return dict(zip(names, result.stdout.split("\0"), strict=False))


@pytest.fixture(scope="module")
def api(sandbox, setup_variables, tmp_path_factory) -> Iterator[GunicornServer]:
    """Run the API over the sandbox with the guide's key and payment promises on."""
    server = start_api_over_sandbox(
        sandbox,
        tmp_path_factory.mktemp("bot-flows"),
        setup_variables["KEY"],
        PAYMENT_PROMISES_ENABLED="true",
    )
    yield server
    server.stop()
    sandbox.reset()


class Answer:
    """What curl received: the status, the headers and the JSON body."""

    def __init__(self, status: int, headers: dict[str, str], body: Any) -> None:
        self.status, self.headers, self.body = status, headers, body


def run_curl(step: Step, variables: dict[str, str], workdir: Path) -> Answer:
    """Run the step's command in bash, with curl writing the answer to files."""
    body, head = workdir / "body", workdir / "headers"
    extra = f' -o "{body}" -D "{head}" -w "%{{http_code}}" --max-time {CURL_SECONDS}'
    env = {"PATH": os.environ["PATH"], "HOME": str(workdir), **variables}
    result = subprocess.run(
        ["bash", "-c", step.command + extra],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=CURL_SECONDS + 10,
    )
    assert result.returncode == 0, f"line {step.line}: curl failed: {result.stderr}"
    headers = {}
    for line in head.read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    text = body.read_text(encoding="utf-8")
    return Answer(int(result.stdout), headers, json.loads(text) if text else None)


def polling(step: Step, answer: Answer, variables: dict[str, str]) -> bool:
    """Tell whether the step's ``# poll: while`` condition still holds."""
    if step.poll_while is None or answer.status != 200:
        return False
    path, value = step.poll_while
    return pick(answer.body, path) == as_json(expand(value, variables))


def run_step(step: Step, variables: dict[str, str], workdir: Path) -> Answer:
    """Run a step, again and again while its poll condition holds (bounded)."""
    deadline = time.monotonic() + POLL_SECONDS
    answer = run_curl(step, variables, workdir)
    while polling(step, answer, variables):
        assert time.monotonic() < deadline, f"line {step.line}: still {step.poll_while}"
        time.sleep(POLL_PAUSE_SECONDS)
        answer = run_curl(step, variables, workdir)
    return answer


def check(step: Step, answer: Answer, variables: dict[str, str]) -> None:
    """Assert the answer is the one the guide writes above the request."""
    where = f"line {step.line}: {answer.status} {answer.body}"
    assert answer.status in step.statuses, where
    code = answer.body.get("code") if isinstance(answer.body, dict) else None
    assert code == step.code, where
    for path, value in step.fields.items():
        assert pick(answer.body, path) == as_json(expand(value, variables)), (path, where)
    for name, value in step.headers.items():
        assert name.lower() in answer.headers, (name, where)
        if value is not None:
            assert answer.headers[name.lower()] == value, (name, where)


@pytest.mark.slow
def test_bot_flows_every_request_answers_as_documented(guide, setup_variables, api, tmp_path):
    assert shutil.which("curl"), "curl runs the guide's requests: install it (apt-get install curl)"
    (tmp_path / "receipt.jpg").write_bytes(JPEG)  # the photo the guide's receipt step sends
    variables = {**setup_variables, "API": api.url}
    for step in guide.steps:
        answer = run_step(step, variables, tmp_path)
        check(step, answer, variables)
        for name, path in step.saves.items():
            variables[name] = as_variable(pick(answer.body, path))
    assert len(guide.steps) >= 20  # the walk through all four parts, not a stub


def test_bot_flows_every_curl_command_is_a_checked_step(guide):
    commands = [line for line in TEXT.splitlines() if line.lstrip().startswith("curl ")]
    assert len(commands) == len(guide.steps)
    assert all(step.statuses for step in guide.steps)
    assert all("X-API-Key: $KEY" in step.command for step in guide.steps)


def test_bot_flows_steps_cover_identify_verify_support_and_billing(guide):
    commands = " ".join(step.command for step in guide.steps)
    for route in ("/clients/by-phone/", "/clients/by-document/", "/clients/resolve", "/verify",
                  "/diagnostics", "/outage", "/tickets", "/balance", "/payment-methods/",
                  "/payment-promises", "/payment-reports"):  # fmt: skip
        assert route in commands, route
    assert "X-End-User" in commands
    assert "Idempotency-Key" in commands


def answered_statuses() -> dict[str, set[int]]:
    """Return the statuses each code of the API's error table is answered with."""
    statuses: dict[str, set[int]] = {}
    for answer in ANSWERS.values():
        statuses.setdefault(answer.code, set()).add(answer.status)
    return statuses


def test_bot_flows_codes_in_branch_tables_are_real_codes():
    sources = "\n".join(path.read_text(encoding="utf-8") for path in CODE_SOURCES)
    statuses = answered_statuses()
    named = [(line, status, code) for line, status, code in table_answers(TEXT) if code]
    assert len(named) >= 30
    for line, status, code in named:
        assert f'"{code}"' in sources, f"line {line}: the API never answers code {code!r}"
        if code in statuses:
            assert status in statuses[code], f"line {line}: {code} is {statuses[code]}"
