"""Read the request blocks of docs/bot-flows.md: each curl command and what its answer must be.

A ```bash block holds steps: comment lines ``# expect: STATUS[|STATUS] [code] [path=value]...
[header:Name[=value]]...``, ``# save: NAME=path ...`` and ``# poll: while path=value``, then the
``curl`` command they describe (continued over lines ending in a backslash). The one block
without a curl command is the setup (``NAME=value`` lines). Tokens are split like a shell's, so
a value with spaces is quoted; ``$NAME`` in a value is a saved or setup variable.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "bot-flows.md"

_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
_STATUS = re.compile(r"^\d{3}(\|\d{3})*$")
_CODE = re.compile(r"^[a-z][a-z_]*$")
_VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)")
# `404 client_not_found` in the first cell of a branch table.
_TABLE_ANSWER = re.compile(r"`(\d{3})(?: ([a-z][a-z_]*))?`")


@dataclass
class Step:
    """One documented request and the answer written above it."""

    line: int
    command: str
    statuses: set[int] = field(default_factory=set)
    code: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str | None] = field(default_factory=dict)
    saves: dict[str, str] = field(default_factory=dict)
    poll_while: tuple[str, str] | None = None


@dataclass
class Guide:
    """The setup block and every step of the guide, in order."""

    setup: str
    steps: list[Step]


def line_of(text: str, offset: int) -> int:
    """Return the 1-based line number of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1


def read_guide(text: str) -> Guide:
    """Parse the guide; raise ValueError on a block or a line it cannot read."""
    setup: list[str] = []
    steps: list[Step] = []
    for match in _BLOCK.finditer(text):
        body, first = match.group(1), line_of(text, match.start(1))
        if "curl" in body:
            steps += _steps(body, first)
        else:
            setup.append(body)
    if len(setup) != 1:
        raise ValueError(f"the guide needs exactly one setup block, found {len(setup)}")
    return Guide(setup[0], steps)


def _logical_lines(body: str, first: int) -> list[tuple[int, str]]:
    """Join lines continued with a backslash; keep each one's first line number."""
    lines: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(body.splitlines(), start=first):
        start, text = pending or (number, "")
        text += raw
        pending = (start, text[:-1] + " ") if raw.endswith("\\") else None
        if pending is None:
            lines.append((start, text.strip()))
    if pending is not None:
        raise ValueError(f"line {pending[0]}: a continued line ends the block")
    return lines


def _steps(body: str, first: int) -> list[Step]:
    steps: list[Step] = []
    step: Step | None = None
    for number, text in _logical_lines(body, first):
        if not text:
            continue
        step = step or Step(line=number, command="")
        if text.startswith("curl "):
            if not step.statuses:
                raise ValueError(f"line {number}: a curl command without its '# expect:' line")
            step.command = text
            steps.append(step)
            step = None
        else:
            _annotate(step, text, number)
    if step is not None:
        raise ValueError(f"line {step.line}: '# expect:' lines with no curl command after them")
    return steps


def _annotate(step: Step, text: str, number: int) -> None:
    kind, _, rest = text.partition(":")
    tokens = shlex.split(rest)
    if kind == "# expect":
        _expect(step, tokens, number)
    elif kind == "# save":
        step.saves.update(_pair(token, number) for token in tokens)
    elif kind == "# poll" and len(tokens) == 2 and tokens[0] == "while":
        step.poll_while = _pair(tokens[1], number)
    else:
        raise ValueError(f"line {number}: not a step line: {text!r}")


def _expect(step: Step, tokens: list[str], number: int) -> None:
    for token in tokens:
        if _STATUS.match(token):
            step.statuses |= {int(s) for s in token.split("|")}
        elif token.startswith("header:"):
            name, equals, value = token.removeprefix("header:").partition("=")
            step.headers[name] = value if equals else None
        elif "=" in token:
            path, value = _pair(token, number)
            step.fields[path] = value
        elif _CODE.match(token):
            step.code = token
        else:
            raise ValueError(f"line {number}: cannot read {token!r} in '# expect:'")


def _pair(token: str, number: int) -> tuple[str, str]:
    name, equals, value = token.partition("=")
    if not equals or not name:
        raise ValueError(f"line {number}: expected NAME=VALUE, got {token!r}")
    return name, value


def expand(value: str, variables: dict[str, str]) -> str:
    """Replace ``$NAME`` with its variable (KeyError for one never set)."""
    return _VARIABLE.sub(lambda m: variables[m.group(1)], value)


def as_json(value: str) -> Any:
    """Read a written value as JSON (numbers, true, null), or keep it as text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def pick(body: Any, path: str) -> Any:
    """Return the value at a dotted path (``pending_invoices.0.status``) of a JSON answer."""
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def as_variable(value: Any) -> str:
    """Write a JSON value as the shell would hold it."""
    return value if isinstance(value, str) else json.dumps(value)


def table_answers(text: str) -> list[tuple[int, int, str | None]]:
    """Return (line, status, code) of every answer named in a branch table's first column."""
    found: list[tuple[int, int, str | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            for status, code in _TABLE_ANSWER.findall(first_cell):
                found.append((number, int(status), code or None))
    return found
