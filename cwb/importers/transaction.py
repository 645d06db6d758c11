"""Writes into a dataset folder as transactions: locked, validated, all or nothing.

- **Lock.** :func:`dataset_lock` holds an exclusive lock on ``DATASET/.cwb.lock``
  (``filelock``; the operating system frees it when a process dies, even by
  SIGKILL). Concurrent imports wait for each other, up to a timeout
  (``CWB_LOCK_TIMEOUT`` seconds, default 600), so none loses another's rows.
- **Validate first.** The changed tables are staged in ``DATASET/.cwb-import/`` and
  the dataset is validated as it would be with them (:func:`validate_staged`); if
  that finds errors nothing is written and :class:`~cwb.errors.DatasetError` says why.
- **All or nothing.** :func:`commit` writes a journal of the moves (atomically), then
  renames each staged file onto its table. A process killed before the journal is
  complete leaves the dataset as before; killed after, the next writer (or reader
  that calls :func:`recover`) finishes the moves. Either way leftovers are removed.
- **Stay inside.** :func:`check_inside` refuses to write a table whose path in
  ``dataset.toml`` leads outside the dataset folder, unless ``[dataset]`` says
  ``allow_outside = true``.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import shutil
import threading
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from cwb._atomic import write_text_atomic
from cwb.dataset.generation import lock_timeout
from cwb.dataset.manifest import MANIFEST_NAME, FileEntry, leads_outside
from cwb.dataset.validate import validate_folder
from cwb.errors import CwbError, DatasetError, UsageError

LOCK_NAME = ".cwb.lock"
SCRATCH_NAME = ".cwb-import"
JOURNAL_NAME = "COMMIT.json"

F = TypeVar("F", bound=Callable[..., Any])

_held: dict[Path, int] = {}
_held_guard = threading.Lock()


class LockTimeout(CwbError):
    """Another process held the dataset's lock for longer than the timeout."""


@contextmanager
def dataset_lock(folder: str | Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive write lock of a dataset folder; recover a broken write first.

    Re-entrant within one process. Raises :class:`LockTimeout` after ``timeout``
    seconds (default :func:`lock_timeout`).
    """
    folder = Path(folder).resolve()
    with _held_guard:
        depth = _held.get(folder, 0)
        _held[folder] = depth + 1
    if depth:
        try:
            yield
        finally:
            with _held_guard:
                _held[folder] -= 1
        return
    wait = lock_timeout() if timeout is None else timeout
    lock = FileLock(folder / LOCK_NAME, timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        with _held_guard:
            del _held[folder]
        raise LockTimeout(
            f"{folder} is being changed by another cwb process (lock {folder / LOCK_NAME}); "
            f"gave up after {wait:g} s. Try again when it has finished "
            "(CWB_LOCK_TIMEOUT sets the wait)."
        ) from None
    try:
        recover(folder)
        yield
    finally:
        with _held_guard:
            del _held[folder]
        lock.release()


def locked(argument: str) -> Callable[[F], F]:
    """Decorate a function so that it runs holding the lock of the dataset in ``argument``."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            folder = signature.bind(*args, **kwargs).arguments[argument]
            with dataset_lock(folder):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def recover(folder: str | Path) -> list[Path]:
    """Finish or discard an interrupted write; return the leftovers removed.

    Call only while holding :func:`dataset_lock`. A scratch folder with a complete
    journal is rolled forward (its remaining moves are done); without one it is
    deleted.
    """
    folder = Path(folder)
    removed: list[Path] = []
    for scratch in sorted(folder.glob(f"{SCRATCH_NAME}*")):
        if not scratch.is_dir():
            continue
        journal = scratch / JOURNAL_NAME
        if journal.exists():
            for source, target in json.loads(journal.read_text(encoding="utf-8")):
                if (scratch / source).exists():
                    os.replace(scratch / source, target)
        shutil.rmtree(scratch, ignore_errors=True)
        removed.append(scratch)
    return removed


def allows_outside(folder: str | Path) -> bool:
    """True when ``dataset.toml`` says ``allow_outside = true`` under ``[dataset]``."""
    try:
        raw = tomllib.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return raw.get("dataset", {}).get("allow_outside") is True


def check_inside(folder: str | Path, files: dict[str, FileEntry]) -> None:
    """Refuse table paths that lead outside the dataset folder (symlinks followed).

    Raises
    ------
    UsageError
        Naming ``dataset.toml`` and the ``[files]`` key, unless the manifest allows it.
    """
    folder = Path(folder)
    for name, entry in files.items():
        target = (folder / entry.path).resolve()
        if leads_outside(folder, entry.path) and not allows_outside(folder):
            raise UsageError(
                f"{folder / MANIFEST_NAME}: [files] {name} = {entry.path!r} leads outside the "
                f"dataset folder ({target}); cwb will not write there. Move the table into the "
                "folder, or set allow_outside = true under [dataset] if you trust this manifest."
            )


@contextmanager
def staging(folder: str | Path) -> Iterator[Path]:
    """Yield an empty scratch folder inside the dataset; always leave nothing behind.

    When the block fails before :func:`commit` wrote its journal, the scratch folder
    is discarded; after, the commit is finished.
    """
    folder = Path(folder)
    scratch = folder / SCRATCH_NAME
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        yield scratch
    finally:
        recover(folder)


def validate_staged(
    folder: str | Path, staged: dict[str, Path], files: dict[str, FileEntry]
) -> None:
    """Validate the dataset as it would be with the ``staged`` tables in place.

    Raises
    ------
    DatasetError
        When it would have errors; problems name the dataset's own files.
    """
    report = validate_folder(Path(folder), files=staged)
    shown = {str(path): files[name].path for name, path in staged.items() if name in files}
    errors = [replace(p, file=shown.get(p.file, p.file)) for p in report.errors]
    if errors:
        raise DatasetError(
            errors,
            summary=f"the import would leave {folder} with {len(errors)} error(s); "
            "nothing was written",
        )


def commit(scratch: Path, moves: list[tuple[Path, Path]]) -> None:
    """Move staged files (inside ``scratch``) onto their targets, all or nothing."""
    journal = [[str(source.relative_to(scratch)), str(target)] for source, target in moves]
    write_text_atomic(scratch / JOURNAL_NAME, json.dumps(journal))
    recover(scratch.parent)
