"""What a reader must know about a dataset's opportunities before reading its figures.

Shared by the report and the map, so both say the same: which contracts are only
illustrative (notices already awarded, kept as examples of what such buyers let) and
when the job opportunities have no residents to be matched against.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cwb.dataset._cell_types import YES_WORDS
from cwb.dataset.model import Dataset

#: Appended to the title of an illustrative opportunity wherever it is listed.
ILLUSTRATIVE_MARK = " [illustrative]"


def illustrative_ids(opportunities: pd.DataFrame | None) -> set[str]:
    """Ids of opportunities kept only as examples (awarded notices), never open ones."""
    if opportunities is None or "illustrative" not in opportunities:
        return set()
    flag = opportunities["illustrative"].astype(str).str.strip().str.casefold().isin(YES_WORDS)
    return set(opportunities.loc[flag, "id"].astype(str))


def mark_illustrative(
    titles: Iterable[object], ids: Iterable[object], shown: set[str]
) -> list[str]:
    """Each title, with :data:`ILLUSTRATIVE_MARK` when its id is among ``shown``."""
    return [
        f"{t}{ILLUSTRATIVE_MARK}" if str(i) in shown else str(t)
        for t, i in zip(list(titles), list(ids), strict=True)
    ]


def opportunity_notes(ds: Dataset) -> list[str]:
    """What a reader must know about the opportunities: illustrative contracts, no residents."""
    notes = []
    shown = illustrative_ids(ds.opportunities)
    if shown:
        notes.append(
            f"{len(shown)} contract(s) marked [illustrative] are notices already awarded "
            "(status awarded): examples of the contracts such buyers let, shown to find the "
            "local organisations that could deliver the like; none of them is open."
        )
    opps, assets = ds.opportunities, ds.assets
    jobs = int((opps["type"] == "job").sum()) if opps is not None and len(opps) else 0
    residents = int((assets["kind"] == "human").sum()) if len(assets) else 0
    if jobs and not residents:
        notes.append(
            "The human catalogue is empty: no real source of residents' skills was given, so "
            f"the {jobs} job opportunities are demand with no local match, not a finding "
            "that residents lack the skills."
        )
    return notes
