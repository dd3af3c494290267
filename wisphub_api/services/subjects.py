"""The subjects a ticket may have, each with the priority its ticket gets.

A setting (``TICKET_SUBJECTS``) holds them: empty for the defaults below, a JSON object, or the
path of a JSON file with that object: ``{"low": [...], "normal": [...], "high": [...],
"very_high": [...]}``. Each subject is sent to WispHub as ``asunto`` and as ``asuntos_default``,
so it must be one of the tenant's subject choices (``OPTIONS /api/tickets/`` lists them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRIORITIES = ("low", "normal", "high", "very_high")
# WispHub's demo choices of asuntos_default (the sandbox's too), with the priority an ISP's
# support staff usually gives them: no connection at all first, then quality, then requests.
DEFAULT_SUBJECTS: dict[str, list[str]] = {
    "low": ["Cambio de Contraseña WiFi", "Cambio de Plan", "Facturación", "Otro Asunto"],
    "normal": [
        "Internet Lento",
        "Intermitencia",
        "Traslado de Servicio",
        "Revisión de Equipos",
        "Instalación",
    ],
    "high": ["Sin Internet"],
    "very_high": [],
}
MAX_SUBJECT_LENGTH = 200


def _fold(subject: str) -> str:
    return " ".join(subject.split()).casefold()


@dataclass(frozen=True)
class SubjectCatalogue:
    """Subjects by priority, looked up without regard to case or spacing."""

    by_priority: dict[str, tuple[str, ...]]

    @property
    def all(self) -> tuple[str, ...]:
        """Return every subject, from the lowest priority to the highest."""
        return tuple(s for priority in PRIORITIES for s in self.by_priority[priority])

    def find(self, subject: str) -> tuple[str, str] | None:
        """Return (the subject as configured, its priority), or None for an unknown subject."""
        wanted = _fold(subject)
        for priority in PRIORITIES:
            for known in self.by_priority[priority]:
                if _fold(known) == wanted:
                    return known, priority
        return None

    def to_public(self) -> dict[str, Any]:
        """Return the answer of ``GET /tickets/subjects``."""
        return {
            "by_priority": {p: list(self.by_priority[p]) for p in PRIORITIES},
            "all": list(self.all),
        }


def load_subjects(setting: str) -> SubjectCatalogue:
    """Read ``TICKET_SUBJECTS`` (empty, JSON, or a JSON file's path); ValueError when wrong."""
    text = setting.strip()
    if not text:
        return _catalogue(DEFAULT_SUBJECTS)
    if not text.startswith("{"):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the subjects file ({type(exc).__name__})") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("the subjects are not valid JSON") from None
    return _catalogue(data)


def _catalogue(data: Any) -> SubjectCatalogue:
    if not isinstance(data, dict) or not set(data) <= set(PRIORITIES):
        raise ValueError(f"the subjects must be an object with the keys {', '.join(PRIORITIES)}")
    by_priority: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for priority in PRIORITIES:
        subjects = data.get(priority, [])
        if not isinstance(subjects, list):
            raise ValueError(f"the {priority} subjects must be a list")
        for subject in subjects:
            if not isinstance(subject, str) or not 0 < len(subject.strip()) <= MAX_SUBJECT_LENGTH:
                raise ValueError(f"a {priority} subject is not 1 to 200 characters of text")
            if _fold(subject) in seen:
                raise ValueError("a subject is listed twice")
            seen.add(_fold(subject))
        by_priority[priority] = tuple(" ".join(s.split()) for s in subjects)
    if not seen:
        raise ValueError("no ticket subject is configured")
    return SubjectCatalogue(by_priority)
