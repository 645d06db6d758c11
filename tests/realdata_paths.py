"""Where the shared real public data is: ``$CWB_REALDATA``, else ``../shared/realdata``.

A git worktree under ``/work/wt/NAME`` sits one level deeper than the main
checkout, so ``../../shared/realdata`` is tried too. Tests that need it skip
when none exists (a user's fresh clone).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _find() -> Path:
    given = os.environ.get("CWB_REALDATA")
    if given:
        return Path(given)
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "realdata").is_dir():
            return base / "shared" / "realdata"
    return REPO.parent / "shared" / "realdata"


REALDATA = _find()


def census_flows() -> Path:
    """The Census 2021 local-authority flows in ../shared/realdata; the test skips without them."""
    path = REALDATA / "flows_census2021" / "ltla_flows.csv"
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared/realdata)")
    return path
