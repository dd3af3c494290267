"""Mask personal data and keys in log text: documents, phones, e-mails, API keys (Flask-free)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"
# Masked values a filter remembers (request methods and callers' addresses) before starting over.
MASK_CACHE_SIZE = 4096
# Attributes a record may carry (via ``extra``) that become fields of its JSON line.
REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "remote_addr", "cache")

# Documents and phone numbers: any run of 6 digits or more.
_DIGITS = re.compile(r"\d{6,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# "X-API-Key: v", "'X-API-Key': 'v'", "api_key=v" and WispHub's "Authorization: Api-Key v".
_KEY_VALUE = re.compile(
    r"(?i)(\b(?:x-)?api[-_]?key[\"']?(?:\s*[:=]\s*[\"']?|\s+))[A-Za-z0-9._~+/=-]{8,}"
)


class MaskingFilter(logging.Filter):
    """Mask documents, phones, e-mails and keys in a record: a second line of defence."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._secret_pattern: re.Pattern[str] | None = None
        self._masked: dict[str, str] = {}  # text -> masked, for the few values that repeat

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Also mask these exact values (the configured keys) wherever they appear."""
        with self._lock:
            # Very short values would mask ordinary words; keys are far longer.
            self._secrets.update(s for s in secrets if s and len(s) >= 6)
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._secret_pattern = (
                re.compile("|".join(map(re.escape, ordered))) if ordered else None
            )
            self._masked = {}  # masked with the old secrets

    def mask(self, text: str) -> str:
        """Return ``text`` with every personal or secret value replaced by ``***``."""
        if self._secret_pattern is not None:
            text = self._secret_pattern.sub(MASK, text)
        text = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
        text = _EMAIL.sub(MASK, text)
        return _DIGITS.sub(MASK, text)

    def mask_cached(self, text: str) -> str:
        """Return ``mask(text)``, remembered: for values that repeat (methods, addresses)."""
        remembered = self._masked  # replaced, not changed, when the secrets change
        masked = remembered.get(text)
        if masked is None:
            masked = self.mask(text)
            if len(remembered) >= MASK_CACHE_SIZE:
                remembered.clear()
            remembered[text] = masked
        return masked

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the message, the traceback and the request fields of ``record``; keep it."""
        if getattr(record, "json_line", None) is not None:
            return True  # a request line: built from a template and masked fields already
        try:
            record.msg = self.mask(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.mask(record.exc_text)
            if record.stack_info:
                record.stack_info = self.mask(record.stack_info)
            for name in REQUEST_FIELDS:
                value = getattr(record, name, None)
                if isinstance(value, str):
                    setattr(record, name, self.mask(value))
        except Exception:  # a filter that raises would break the caller's logging call
            record.msg, record.args = "log record could not be masked", None
        return True


MASKING_FILTER = MaskingFilter()
