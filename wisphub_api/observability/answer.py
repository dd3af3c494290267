"""The one after-request hook of observability: request id, metrics, the request's log line."""

from __future__ import annotations

from flask import Response

from wisphub_api.observability.logging import log_request
from wisphub_api.observability.metrics import record_request
from wisphub_api.observability.request_id import answer_with_id


def finish_request(response: Response) -> Response:
    """Stamp the request id on the answer, count the request and log its one line.

    One hook instead of three: Flask's own cost per hook is a fair share of a cached answer's.
    """
    answer_with_id(response)
    record_request(response)
    log_request(response)
    return response
