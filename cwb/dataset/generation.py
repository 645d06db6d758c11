"""Reading one consistent generation of a dataset folder while an import may be writing it.

An import (:mod:`cwb.importers.transaction`) stages its tables in
``DATASET/.cwb-import/``, writes a journal (``COMMIT.json``) there, then renames each
staged file onto its table, holding ``DATASET/.cwb.lock``. Readers (``cwb validate``,
``cwb map`` and every :func:`cwb.read_dataset`) take no lock, so they never wait for
one another and work on read-only folders. Instead a read is optimistic: the
identity (inode, size, modification time) of every file in the folder is noted
before and after reading. When it changed, or a commit journal was there (the
renames were under way), the read is done again, until it saw one generation of
the tables — the one before an import or the one after it, never a mix.

A journal left by an import that was killed while renaming (no process holds the
lock) is not waited for: the read fails with a message saying how to finish it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from cwb.errors import UsageError

#: Names shared with :mod:`cwb.importers.transaction` (which sits above this package).
LOCK_NAME = ".cwb.lock"
SCRATCH_PREFIX = ".cwb-import"
JOURNAL_NAME = "COMMIT.json"

T = TypeVar("T")

Snapshot = tuple[frozenset[tuple[str, int, int, int]], bool]


def snapshot(folder: Path) -> Snapshot:
    """Identity of every file under ``folder`` (not scratch or lock), and whether a commit runs."""
    files: set[tuple[str, int, int, int]] = set()
    committing = False
    for root, dirs, names in os.walk(folder):
        for name in [d for d in dirs if d.startswith(SCRATCH_PREFIX)]:
            dirs.remove(name)
            committing |= (Path(root) / name / JOURNAL_NAME).exists()
        for name in names:
            if name == LOCK_NAME:
                continue
            path = Path(root) / name
            try:
                st = path.stat()
            except OSError:  # removed while listed: the next snapshot differs anyway
                continue
            files.add((str(path), st.st_ino, st.st_size, st.st_mtime_ns))
    return frozenset(files), committing


def _writer_alive(folder: Path) -> bool:
    """Whether a process holds the dataset's write lock (probed without waiting)."""
    lock = FileLock(folder / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:  # a read-only folder: nothing can be writing it
        return False
    lock.release()
    return False


def lock_timeout() -> float:
    """Seconds to wait for a dataset's lock or a steady folder (``CWB_LOCK_TIMEOUT``, 600)."""
    try:
        return float(os.environ.get("CWB_LOCK_TIMEOUT", "600"))
    except ValueError:
        raise UsageError(
            f"CWB_LOCK_TIMEOUT={os.environ['CWB_LOCK_TIMEOUT']!r} is not a number of seconds"
        ) from None


def read_consistent(folder: Path, read: Callable[[], T], *, timeout: float | None = None) -> T:
    """``read()`` of ``folder`` repeated until no import changed the folder meanwhile.

    Raises
    ------
    UsageError
        When an interrupted import left a commit journal, or the folder kept changing
        for ``timeout`` seconds (default ``CWB_LOCK_TIMEOUT``, 600).
    """
    wait = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        before = snapshot(folder)
        if not before[1]:
            result = read()
            if snapshot(folder) == before:
                return result
        elif not _writer_alive(folder):
            raise UsageError(
                f"{folder}: an import was interrupted while it replaced tables (a commit "
                f"journal is left in {SCRATCH_PREFIX}/); the next `cwb import` into this "
                "dataset finishes it. Run one, then read the dataset again."
            )
        if time.monotonic() > deadline:
            raise UsageError(
                f"{folder} kept changing while it was read (imports running?); gave up "
                f"after {wait:g} s (CWB_LOCK_TIMEOUT sets the wait)"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
