"""The USE-IT!-style headline figures of a matching result, as numbers.

One definition, used by the report (:mod:`cwb.report`, which formats them) and
by scenario comparison (:mod:`cwb.matching.scenarios`, which subtracts them): residents
linked to posts, posts that could be filled locally, enterprises linked to
contracts and the value, consortia, community organisations and spaces
involved, training needs and untapped assets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cwb.dataset.model import Dataset
    from cwb.matching.core import MatchResult


#: A label a board paper can use for each figure.
FIGURE_LABELS: dict[str, str] = {
    "residents_to_posts": "Residents linked to posts",
    "posts_offered": "Posts on offer",
    "posts_filled": "Posts that could be filled locally",
    "enterprises_to_contracts": "Enterprises linked to contracts",
    "contract_value": "Contract value to local enterprises (£)",
    "consortia": "Consortia proposed",
    "consortium_contracts": "Contracts with a consortium proposed",
    "community_organisations": "Community organisations involved",
    "spaces": "Spaces involved",
    "training_need_units": "Posts and places left unfilled (training needs)",
    "training_need_skills": "Skills with training needs",
    "untapped_assets": "Untapped assets",
    "units_filled": "Units filled (posts, places, lots, rooms)",
    "units_unfilled": "Units left unfilled",
}


@dataclass(frozen=True)
class ImpactFigures:
    """Headline figures of one matching run (counts, and £ for ``contract_value``)."""

    residents_to_posts: int
    posts_offered: int
    posts_filled: int
    enterprises_to_contracts: int
    contract_value: float
    consortia: int
    consortium_contracts: int
    community_organisations: int
    spaces: int
    training_need_units: int
    training_need_skills: int
    untapped_assets: int
    units_filled: int
    units_unfilled: int

    def as_dict(self) -> dict[str, float]:
        """Figure name → value."""
        return asdict(self)


def impact_figures(ds: Dataset, result: MatchResult) -> ImpactFigures:
    """The headline figures of a result of :func:`cwb.matching.core.match_dataset`."""
    alloc, gaps, consortia = result.allocation, result.gaps, result.consortia
    a, demand = alloc.assignments, alloc.demand
    human = a[a["asset_kind"] == "human"]
    jobs = demand[demand["type"] == "job"]
    contracts = a[(a["opportunity_type"] == "contract") & (a["asset_kind"] == "financial")]
    opps = ds.opportunities.assign(id=ds.opportunities["id"].astype(str)).set_index("id")
    quantity = pd.to_numeric(opps["quantity"], errors="coerce").fillna(1).clip(lower=1)
    lot_value = pd.to_numeric(opps["value"], errors="coerce") / quantity
    if consortia is None:
        consortia = pd.DataFrame(columns=["opportunity_id"])
    needs = gaps.training_needs
    return ImpactFigures(
        residents_to_posts=int(human.loc[human["opportunity_type"] == "job", "quantity"].sum()),
        posts_offered=int(jobs["demand"].sum()),
        posts_filled=int(jobs["filled"].sum()),
        enterprises_to_contracts=int(contracts["asset_id"].nunique()),
        contract_value=float(
            (contracts["quantity"] * contracts["opportunity_id"].map(lot_value).fillna(0)).sum()
        ),
        consortia=len(consortia),
        consortium_contracts=int(consortia["opportunity_id"].nunique()) if len(consortia) else 0,
        community_organisations=int(a.loc[a["asset_kind"] == "community", "asset_id"].nunique()),
        spaces=int(a.loc[a["opportunity_type"] == "space", "asset_id"].nunique()),
        training_need_units=int(needs["unfilled_units"].sum()) if len(needs) else 0,
        training_need_skills=int(len(needs)),
        untapped_assets=int(len(gaps.untapped)),
        units_filled=int(demand["filled"].sum()) if len(demand) else 0,
        units_unfilled=int(demand["unfilled"].sum()) if len(demand) else 0,
    )
