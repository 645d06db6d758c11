"""Where the shared real public data is: ``$CWB_REALDATA``, else ``../shared/realdata``.

A git worktree under ``/work/wt/NAME`` sits one level deeper than the main
checkout, so ``../../shared/realdata`` is tried too. Tests that need it skip
when none exists (a user's fresh clone).
"""

from __future__ import annotations

import os
from pathlib import Path

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
