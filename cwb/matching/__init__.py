"""The matching stage: link assets to a project's opportunities, allocate, find consortia and gaps.

Runs on a :class:`cwb.dataset.Dataset` (match → allocate → consortia → gaps); the graph,
map and report stages draw on its :class:`MatchResult`.

- ``model``: settings, pathways, eligibility rules, the result and its columns.
- ``skills``: the skills vocabulary: free text to stable codes.
- ``scoring``: skill bitsets and the one score formula.
- ``reasons``: the readable reasons of each match.
- ``prune``: exact top-k selection without scoring every candidate pair.
- ``engine``: the vectorised engine that builds and scores the pairs.
- ``allocation``: assets to opportunities under capacities, as a min-cost flow.
- ``consortia``: small groups of local enterprises that together can take a contract.
- ``gaps``: training needs and untapped assets.
- ``core``: :func:`match` and :func:`match_dataset` (all of the above in one call).
- ``impact``: the headline figures of a result.
"""

from cwb.matching.allocation import Allocation, allocate
from cwb.matching.consortia import propose_consortia
from cwb.matching.core import match, match_dataset, run_gaps, run_match
from cwb.matching.gaps import Gaps, find_gaps
from cwb.matching.impact import ImpactFigures, impact_figures
from cwb.matching.model import MATCH_COLUMNS, MatchResult, MatchSettings, load_pathways, write_csv
from cwb.matching.skills import Vocabulary, load_vocabulary

__all__ = [
    "MATCH_COLUMNS",
    "Allocation",
    "Gaps",
    "ImpactFigures",
    "MatchResult",
    "MatchSettings",
    "Vocabulary",
    "allocate",
    "find_gaps",
    "impact_figures",
    "load_pathways",
    "load_vocabulary",
    "match",
    "match_dataset",
    "propose_consortia",
    "run_gaps",
    "run_match",
    "write_csv",
]
