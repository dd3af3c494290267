"""Asynchronous tasks (Celery-like): PENDING, then PROCESS, then SUCCESS or FAILURE."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

MAX_TASKS = 10_000  # the oldest are forgotten beyond this, as a result backend expires them
PENDING_SHARE = 1 / 3  # the first third of a task's time it is PENDING, then PROCESS


@dataclass(frozen=True, slots=True)
class Task:
    """A task's start, length and final outcome (fixed when it was created)."""

    started: float
    seconds: float
    outcome: str
    result: Any


class TaskStore:
    """Hold the tasks of one sandbox run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}

    def add(self, outcome: str, result: Any, seconds: float) -> str:
        """Start a task that ends with (outcome, result) after `seconds`; return its id."""
        task_id = str(uuid.uuid4())
        with self._lock:
            self._tasks[task_id] = Task(time.monotonic(), seconds, outcome, result)
            while len(self._tasks) > MAX_TASKS:
                del self._tasks[next(iter(self._tasks))]
        return task_id

    def status(self, task_id: str) -> dict[str, Any]:
        """Return {"status", "result"}; an unknown id is PENDING forever, as with Celery."""
        task = self._tasks.get(task_id)
        if task is None:
            return {"status": "PENDING", "result": None}
        elapsed = time.monotonic() - task.started
        if elapsed >= task.seconds:
            return {"status": task.outcome, "result": task.result}
        status = "PENDING" if elapsed < task.seconds * PENDING_SHARE else "PROCESS"
        return {"status": status, "result": None}

    def count(self) -> int:
        """Return how many tasks are held."""
        return len(self._tasks)
