"""Reads see one generation of a dataset folder (cwb/dataset/generation.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cwb.dataset.generation import (
    JOURNAL_NAME,
    LOCK_NAME,
    SCRATCH_PREFIX,
    read_consistent,
    snapshot,
)
from cwb.errors import UsageError

#: A writer that holds the dataset's lock for a minute.
HOLD = (
    "import time\nfrom filelock import FileLock\nlock = FileLock({path!r})\nlock.acquire()\n"
    "print('held', flush=True)\ntime.sleep(60)\n"
)


def test_a_read_that_overlapped_a_change_is_done_again(tmp_path: Path) -> None:
    table = tmp_path / "assets.csv"
    table.write_text("old")
    reads: list[str] = []

    def read() -> str:
        text = table.read_text()
        reads.append(text)
        if len(reads) == 1:  # an import replaces the table while the first read runs
            staged = tmp_path / "staged.tmp"
            staged.write_text("new!")
            staged.replace(table)
        return text

    assert read_consistent(tmp_path, read, timeout=5) == "new!"
    assert reads == ["old", "new!"]


def test_the_lock_and_the_scratch_folder_are_not_part_of_a_generation(tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text("x")
    first = snapshot(tmp_path)
    (tmp_path / LOCK_NAME).write_text("")
    (tmp_path / SCRATCH_PREFIX).mkdir()
    (tmp_path / SCRATCH_PREFIX / "assets.csv").write_text("staged")
    assert snapshot(tmp_path) == first
    (tmp_path / SCRATCH_PREFIX / JOURNAL_NAME).write_text("[]")
    assert snapshot(tmp_path)[1] is True  # a commit is under way


def test_an_interrupted_commit_is_reported_not_waited_for(tmp_path: Path) -> None:
    (tmp_path / SCRATCH_PREFIX).mkdir()
    (tmp_path / SCRATCH_PREFIX / JOURNAL_NAME).write_text("[]")
    with pytest.raises(UsageError, match="an import was interrupted"):
        read_consistent(tmp_path, lambda: None, timeout=30)


def test_a_commit_under_way_is_waited_for_up_to_the_timeout(tmp_path: Path) -> None:
    (tmp_path / SCRATCH_PREFIX).mkdir()
    (tmp_path / SCRATCH_PREFIX / JOURNAL_NAME).write_text("[]")
    code = HOLD.format(path=str(tmp_path / LOCK_NAME))
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        calls: list[int] = []
        with pytest.raises(UsageError, match="kept changing"):
            read_consistent(tmp_path, lambda: calls.append(1), timeout=0.3)
        assert calls == []  # never read while the renames were under way
    finally:
        holder.kill()
        holder.wait()
