"""Snapshots on the host's disk: the builder writes them, every worker reads them.

Per dataset (``clients``, ``plans``) the state directory holds:

- ``<name>-<version>.snap``: one snapshot — a magic line, a JSON header line (version, when the
  data was read from WispHub, the sections and their lengths), then the sections' bytes;
- ``<name>.current``: a small JSON pointer to the snapshot every worker should serve;
- ``<name>.status``: the outcome of the last build attempts (for backoff and readiness);
- ``<name>.lock``: held (``flock``) by the one process of the host that builds now.

Files are written to a temporary name and renamed, so a reader sees a whole file or the previous
one; the last snapshots survive a restart, which is what makes a restart start warm.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"WISPHUB-SNAPSHOT 1\n"
# A snapshot's sections as a loader gets them: by name, bytes or slices of the file's bytes.
Sections = Mapping[str, bytes | memoryview]
# Snapshots kept per dataset: the current one and the one before (a worker may still read it).
KEEP = 2


@dataclass(frozen=True, slots=True)
class Pointer:
    """Which snapshot a dataset's workers serve."""

    version: str
    fetched_at: float
    file: str
    source: str  # "upstream" (read from WispHub) or "shared" (taken from Redis)


@dataclass(frozen=True, slots=True)
class Artifact:
    """A snapshot read from disk."""

    pointer: Pointer
    header: dict[str, Any]
    # Slices of the file's bytes, not copies: a loader copies what it keeps, and the file's bytes
    # are freed with the artifact.
    sections: dict[str, memoryview]


class ArtifactPaths:
    """The files of one dataset in a state directory."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.name = name
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def pointer(self) -> Path:
        return self.root / f"{self.name}.current"

    @property
    def status(self) -> Path:
        return self.root / f"{self.name}.status"

    @property
    def lock(self) -> Path:
        return self.root / f"{self.name}.lock"

    def snapshot(self, version: str) -> Path:
        return self.root / f"{self.name}-{version}.snap"

    def pointer_stamp(self) -> tuple[int, int] | None:
        """Return (inode, mtime in ns) of the pointer, or None: cheap to poll for a change."""
        try:
            info = self.pointer.stat()
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_snapshot(
    paths: ArtifactPaths,
    sections: Mapping[str, bytes],
    *,
    fetched_at: float,
    source: str,
    extra: Mapping[str, Any] | None = None,
) -> Pointer:
    """Write a snapshot and point the dataset at it; return the new pointer."""
    version = uuid.uuid4().hex
    header = {
        "dataset": paths.name,
        "version": version,
        "fetched_at": fetched_at,
        "built_at": time.time(),
        "source": source,
        "sections": [[name, len(data)] for name, data in sections.items()],
        **(extra or {}),
    }
    head = json.dumps(header).encode() + b"\n"
    _write_atomically(paths.snapshot(version), MAGIC + head + b"".join(sections.values()))
    pointer = Pointer(version, fetched_at, paths.snapshot(version).name, source)
    _write_atomically(paths.pointer, json.dumps(dataclasses.asdict(pointer)).encode())
    _forget_old(paths, keep={pointer.file})
    return pointer


def _forget_old(paths: ArtifactPaths, keep: set[str]) -> None:
    """Delete all but the newest ``KEEP`` snapshots of the dataset (and always keep ``keep``)."""
    snapshots = sorted(paths.root.glob(f"{paths.name}-*.snap"), key=lambda p: p.stat().st_mtime)
    for old in snapshots[:-KEEP]:
        if old.name not in keep:
            with contextlib.suppress(OSError):
                old.unlink()


def read_pointer(paths: ArtifactPaths) -> Pointer | None:
    """Return the dataset's pointer, or None when there is none (or it is unreadable)."""
    try:
        raw = json.loads(paths.pointer.read_bytes())
        return Pointer(
            str(raw["version"]), float(raw["fetched_at"]), str(raw["file"]), str(raw["source"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_snapshot(paths: ArtifactPaths, pointer: Pointer) -> Artifact | None:
    """Return the snapshot ``pointer`` names, or None when it is gone or damaged."""
    try:
        data = (paths.root / pointer.file).read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    end = data.find(b"\n", len(MAGIC))
    whole = memoryview(data)
    try:
        header = json.loads(data[len(MAGIC) : end])
        sections: dict[str, memoryview] = {}
        offset = end + 1
        for name, length in header["sections"]:
            sections[name] = whole[offset : offset + length]
            offset += length
    except (ValueError, KeyError, TypeError):
        return None
    if offset != len(data) or header.get("version") != pointer.version:
        return None  # truncated, or not the file the pointer means
    return Artifact(pointer, header, sections)


@dataclass(frozen=True, slots=True)
class BuildStatus:
    """The outcome of the latest build attempts of a dataset on this host."""

    failures: int = 0
    last_error: str | None = None
    last_attempt: float = 0.0
    next_attempt: float = 0.0  # no new attempt before this (backoff after failures)


def read_status(paths: ArtifactPaths) -> BuildStatus:
    """Return the dataset's build status (a fresh one when there is none)."""
    try:
        raw = json.loads(paths.status.read_bytes())
        return BuildStatus(
            int(raw["failures"]),
            raw.get("last_error"),
            float(raw["last_attempt"]),
            float(raw["next_attempt"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return BuildStatus()


def write_status(paths: ArtifactPaths, status: BuildStatus) -> None:
    """Record the dataset's build status."""
    _write_atomically(paths.status, json.dumps(dataclasses.asdict(status)).encode())


@contextlib.contextmanager
def build_lock(paths: ArtifactPaths) -> Iterator[int | None]:
    """Hold the host's build lock if it is free (yield its descriptor), else yield None.

    The lock is an ``flock``: the kernel releases it when its holder exits, so a builder that
    crashes never blocks the next one.
    """
    descriptor = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield descriptor
    finally:
        os.close(descriptor)
