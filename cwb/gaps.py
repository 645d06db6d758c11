"""Gaps: the training needs left by unmet demand, and the assets no opportunity uses.

* **Training needs** (:data:`TRAINING_COLUMNS`): per required skill, the units
  (posts, places) of opportunities left unfilled by the allocation
  (``unfilled_units``), and the units filled by groups that lack the skill or
  reach it only through a pathway or a related skill (``filled_needing_training``).
* **Untapped assets** (:data:`UNTAPPED_COLUMNS`): assets (and resident groups)
  with no viable link to any opportunity, with the reason: no opportunity of a
  type they can serve, none within reach, skills asked for by none, scores
  below ``min_score``, or not located.

``Gaps.table()`` puts both in one table (``gaps.csv``) with a ``gap`` column
(``training_need`` or ``untapped``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cwb.allocation import Allocation
    from cwb.matching import MatchResult

log = logging.getLogger(__name__)

#: Columns of :attr:`Gaps.training_needs`.
TRAINING_COLUMNS: list[str] = [
    "skill_code", "skill", "soc2020", "unfilled_units", "filled_needing_training", "total_units", "opportunities",
]
#: Columns of :attr:`Gaps.untapped`.
UNTAPPED_COLUMNS: list[str] = [
    "asset_id", "name", "kind", "category", "area_code", "count", "skills", "reason",
]
#: Columns of :meth:`Gaps.table` (gaps.csv).
GAP_COLUMNS: list[str] = [
    "gap", "id", "label", "soc2020", "units", "unfilled_units", "filled_needing_training", "kind", "category",
    "area_code", "count", "skills", "detail",
]


@dataclass
class Gaps:
    """Training needs and untapped assets (see the module notes)."""

    training_needs: pd.DataFrame
    untapped: pd.DataFrame
