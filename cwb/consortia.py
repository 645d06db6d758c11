"""Consortia: small groups of nearby local enterprises that together can take a contract.

For each contract no single local enterprise can take — none has both the
capacity for the lot's value and every required skill — propose groups of 2 to
``max_consortium_size`` (default 4) enterprises (``business``,
``social_enterprise``, ``cooperative``; see :data:`CONSORTIUM_CATEGORIES`)
within ``max_distance_m`` of the contract whose combined capacity covers the
value and whose combined skills (held, or related) cover every required skill.
Only minimal groups are proposed (no member could be dropped), ranked by
score, at most ``consortia_per_contract`` per contract.

Columns of the table (:data:`CONSORTIUM_COLUMNS`): ``consortium_id`` (e.g.
``O012-C1``), ``opportunity_id``, ``project``, ``title``, ``rank``, ``size``,
``members`` (``;``-joined asset ids), ``member_names``, ``combined_capacity``,
``value``, ``capacity_cover`` (combined capacity / value), ``skills_covered``,
``skills_missing``, ``max_distance_m`` (farthest member), ``score`` (in [0, 1]:
the members' mean match score times the share of required skills covered,
less 0.05 per member beyond two) and ``reasons``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cwb.matching import MatchResult, MatchSettings

log = logging.getLogger(__name__)

#: Asset categories that can join a consortium (the financial kind's local enterprises).
CONSORTIUM_CATEGORIES: tuple[str, ...] = ("business", "social_enterprise", "cooperative")
#: Columns of the consortia table.
CONSORTIUM_COLUMNS: list[str] = [
    "consortium_id", "opportunity_id", "project", "title", "rank", "size", "members", "member_names",
    "combined_capacity", "value", "capacity_cover", "skills_covered", "skills_missing", "max_distance_m",
    "score", "reasons",
]
