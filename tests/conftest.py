"""Shared fixtures: the hand-made mini dataset, copies of it to break, and realdata paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from realdata_paths import REALDATA

TESTS = Path(__file__).resolve().parent
MINI = TESTS / "data" / "mini"
REPO = TESTS.parent
DEMO = REPO / "data" / "birmingham"


@pytest.fixture
def mini_path() -> Path:
    """The mini dataset folder (read only)."""
    return MINI


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the mini dataset."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def realdata() -> Path:
    """../shared/realdata, or skip when it is absent (a user's fresh clone)."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    return REALDATA
