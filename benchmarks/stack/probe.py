"""Plain HTTP calls to the stack with the standard library, and its JSON log lines."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HTTP_TIMEOUT_S = 10.0


@dataclass
class Answer:
    """An HTTP answer as the wire carried it (no decompression)."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    source: str | None = None,
    timeout: float = HTTP_TIMEOUT_S,
) -> Answer:
    """Send one request to 127.0.0.1:port, from the loopback address ``source`` if given."""
    address = (source, 0) if source else None
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=address
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def json_lines(*paths: Path) -> list[dict[str, Any]]:
    """Return every JSON object logged, one per line, in the files (other lines skipped)."""
    entries = []
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
    return entries
