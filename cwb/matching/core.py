"""Match the neighbourhood's assets to a capital project's opportunities, with reasons.

Output contract
---------------
:func:`match` returns a :class:`MatchResult`. Its ``matches`` table has one row
per plausible asset–opportunity pair kept (score at least ``min_score``, at most
``top_k`` per opportunity), with the columns of :data:`MATCH_COLUMNS`:

``asset_id, asset_name, asset_kind, asset_category, opportunity_id,
opportunity_title, opportunity_type, project, rank, score, skills_covered,
skills_via_pathway, skills_partial, skills_missing, distance_m, area_code,
imd_decile, pathway, count, capacity, value, reasons, skill_score,
distance_score, deprivation_score, pathway_score, capacity_score``

* ``score`` and the ``*_score`` components are in [0, 1] (rounded to 6
  decimals); a component that does not apply to the pair (capacity for a job,
  pathway for an opportunity that declares none) is empty and left out of the
  weighted mean.
* ``skills_*`` are ``;``-joined skill labels; ``reasons`` is a sentence list
  joined with `` · ``.
* ``distance_m`` is measured in the dataset's metric CRS (rounded to 0.1 m)
  from the asset to the opportunity (its own location, else its project's).
* ``rank`` is 1 for the best asset of each opportunity; ties are broken by the
  smaller distance, then the asset id.

Privacy: human assets appear only as groups. A ``skills_group`` row keeps its
own id; ``individual`` rows are first aggregated per area and skill set into
groups with ids ``group:<area_code>:<hash>`` (``MatchResult.members`` maps a
group id to its row ids, in memory only; it is never written). Groups standing
for fewer than ``ds.min_count`` residents are not matched at all; the number of
residents left out is ``MatchResult.suppressed_residents``. Contact columns
never enter the result.

Scoring: each key of ``[matching]`` in ``dataset.toml`` (``weights``, ``decay_m``,
``max_distance_m``, ``min_score``, ``top_k``, ``related_credit``, ``vocabulary`` …)
overrides a field of :class:`MatchSettings`, whose defaults are written once in
:mod:`cwb.settings` (``MATCH_WEIGHTS``, ``DECAY_M`` …).

* skills: mean over the opportunity's required skills of the best credit the
  asset has for it: 1 when it holds the skill, the pathway's credit when it
  qualifies for the opportunity's pathway and the pathway grants the skill,
  ``related_credit`` when it holds a related skill. 1 when nothing is required.
  A pair is plausible only when this is above 0 (or nothing is required), the
  asset's kind and category may serve the opportunity's type
  (``resources/eligibility.csv``) and it is within ``max_distance_m``.
* distance: ``exp(-d / decay_m)``.
* deprivation: ``(10 - imd_decile) / 9`` of the area the asset lies in (its
  ``area_code``, else the area polygon containing it); 0.5 when unknown.
* pathway (only when the opportunity names a pathway of
  ``resources/pathways.csv``): 1 when the asset qualifies for it or already
  holds every skill it grants, else 0.
* capacity (contracts, and training delivered by a provider): ``min(1,
  capacity / value)``; 0.5 when either is unknown.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from cwb.dataset.io import read_dataset
from cwb.errors import UsageError
from cwb.matching.allocation import allocate
from cwb.matching.consortia import propose_consortia
from cwb.matching.engine import Engine
from cwb.matching.gaps import Gaps, find_gaps
from cwb.matching.model import (
    ASSET_COLUMNS,
    COMPONENTS,
    DEFAULT_WEIGHTS,
    MATCH_COLUMNS,
    OPPORTUNITY_COLUMNS,
    REASON_SEPARATOR,
    UNLOCATED_COLUMNS,
    EligibilityRule,
    MatchResult,
    MatchSettings,
    Pathway,
    load_eligibility,
    load_pathways,
    match_summary,
    write_csv,
)

if TYPE_CHECKING:
    from cwb.dataset.model import Dataset
    from cwb.matching.engine import Engine
    from cwb.matching.skills import Vocabulary

log = logging.getLogger(__name__)

#: The data model lives in :mod:`cwb.matching.model`; its names are importable from here too.
__all__ = [
    "ASSET_COLUMNS",
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "MATCH_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "REASON_SEPARATOR",
    "UNLOCATED_COLUMNS",
    "EligibilityRule",
    "MatchResult",
    "MatchSettings",
    "Pathway",
    "load_eligibility",
    "load_pathways",
    "match",
    "match_dataset",
    "match_summary",
    "run_gaps",
    "run_match",
    "write_csv",
]


def match(
    ds: Dataset,
    *,
    settings: MatchSettings | None = None,
    vocabulary: Vocabulary | None = None,
    project: str | None = None,
) -> MatchResult:
    """Score every plausible asset–opportunity pair of ``ds`` and keep the best.

    Parameters
    ----------
    ds
        The dataset.
    settings
        Matching settings; default: the dataset's ``[matching]`` section.
    vocabulary
        Skills vocabulary; default: the bundled one plus the dataset's own file.
    project
        Only the opportunities of this project id.

    Returns
    -------
    MatchResult
        See the module notes for the columns.

    Raises
    ------
    UsageError
        ``project`` is not a project of the dataset, or a setting is invalid.
    """
    settings = settings or MatchSettings.for_dataset(ds)
    if project is not None and ds.manifest.project(project) is None:
        known = ", ".join(p.id for p in ds.manifest.projects) or "none"
        raise UsageError(
            f"{project!r} is not a project of the dataset (projects: {known})", argument="project"
        )
    engine = Engine.build(ds, settings, vocabulary=vocabulary, project=project)
    return engine.result()


def match_dataset(
    ds: Dataset,
    *,
    settings: MatchSettings | None = None,
    project: str | None = None,
) -> MatchResult:
    """Match, allocate, propose consortia and find the gaps of ``ds`` in one call.

    The returned :class:`MatchResult` has ``allocation`` (an
    :class:`cwb.matching.allocation.Allocation`), ``consortia`` (a DataFrame) and
    ``gaps`` (a :class:`cwb.matching.gaps.Gaps`) filled in.
    """
    return complete_matching(match(ds, settings=settings, project=project))


def complete_matching(result: MatchResult) -> MatchResult:
    """Fill in the allocation, consortia and gaps of a :func:`match` result.

    Parameters
    ----------
    result
        What :func:`match` returned; it is completed in place.

    Returns
    -------
    MatchResult
        ``result``, with ``allocation``, ``consortia`` and ``gaps`` set.
    """
    result.allocation = allocate(result)
    result.consortia = propose_consortia(result)
    result.gaps = find_gaps(result, result.allocation)
    return result


def run_gaps(
    path: str | Path, *, output: str | Path | None = None, project: str | None = None
) -> Gaps:
    """Read, match and allocate the dataset at ``path``; return (and write) its gaps."""
    ds = read_dataset(path)
    result = match(ds, project=project)
    gaps = find_gaps(result, allocate(result))
    if output is not None:
        write_csv(gaps.table(), output)
    return gaps


def run_match(
    path: str | Path,
    *,
    output: str | Path | None = None,
    top_k: int | None = None,
    min_score: float | None = None,
    project: str | None = None,
) -> MatchResult:
    """Read the dataset at ``path``, match it and write the matches (``cwb match``).

    Settings come from the dataset's ``[matching]`` section; ``top_k`` and
    ``min_score`` override it when given. With ``output``, the matches table is
    written there as CSV.
    """
    ds = read_dataset(path)
    settings = MatchSettings.for_dataset(ds, top_k=top_k, min_score=min_score)
    result = match(ds, settings=settings, project=project)
    if output is not None:
        write_csv(result.matches, output)
    return result
