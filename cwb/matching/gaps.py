"""Gaps: the training needs left by unmet demand, and the assets no opportunity uses.

* **Training needs** (:data:`TRAINING_COLUMNS`): per required skill, the units
  (posts, places) of opportunities left unfilled by the allocation
  (``unfilled_units``), and the units filled by groups that lack the skill or
  reach it only through a pathway or a related skill (``filled_needing_training``).
* **Untapped assets** (:data:`UNTAPPED_COLUMNS`): assets (and resident groups)
  with no viable link to any opportunity, with the reason: no opportunity of a
  type they can serve, none within reach, skills asked for by none, scores
  below ``min_score``, or not located.

* **Unknown skills**: terms the vocabulary did not know, with counts and rows
  (add them to a vocabulary file, see :mod:`cwb.matching.skills`).

``Gaps.table()`` puts all three in one table (``gaps.csv``) with a ``gap``
column (``training_need``, ``untapped`` or ``unknown_skill``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cwb.dataset.schema import split_list
from cwb.matching.prune import plausible_assets

if TYPE_CHECKING:
    from cwb.matching.allocation import Allocation
    from cwb.matching.model import MatchResult

log = logging.getLogger(__name__)

#: Columns of :attr:`Gaps.training_needs`.
TRAINING_COLUMNS: list[str] = [
    "skill_code",
    "skill",
    "soc2020",
    "unfilled_units",
    "filled_needing_training",
    "total_units",
    "opportunities",
]
#: Columns of :attr:`Gaps.untapped`.
UNTAPPED_COLUMNS: list[str] = [
    "asset_id",
    "name",
    "kind",
    "category",
    "area_code",
    "count",
    "skills",
    "reason",
]
#: Columns of :meth:`Gaps.table` (gaps.csv).
GAP_COLUMNS: list[str] = [
    "gap",
    "id",
    "label",
    "soc2020",
    "units",
    "unfilled_units",
    "filled_needing_training",
    "kind",
    "category",
    "area_code",
    "count",
    "skills",
    "detail",
]


@dataclass
class Gaps:
    """Training needs and untapped assets (see the module notes)."""

    training_needs: pd.DataFrame
    untapped: pd.DataFrame
    #: Skill terms the vocabulary did not know (see :func:`cwb.matching.skills.unknown_skills`).
    unknown_skills: pd.DataFrame | None = None

    def table(self) -> pd.DataFrame:
        """Both lists in one table (``gaps.csv``), training needs first."""
        t = self.training_needs
        needs = pd.DataFrame(
            {
                "gap": "training_need",
                "id": t["skill_code"],
                "label": t["skill"],
                "soc2020": t["soc2020"],
                "units": t["total_units"],
                "unfilled_units": t["unfilled_units"],
                "filled_needing_training": t["filled_needing_training"],
                "detail": t["opportunities"],
            }
        )
        u = self.untapped
        untapped = pd.DataFrame(
            {
                "gap": "untapped",
                "id": u["asset_id"],
                "label": u["name"],
                "kind": u["kind"],
                "category": u["category"],
                "area_code": u["area_code"],
                "count": u["count"],
                "skills": u["skills"],
                "detail": u["reason"],
            }
        )
        k = (
            self.unknown_skills
            if self.unknown_skills is not None
            else pd.DataFrame(columns=["table", "term", "count", "rows", "suggestion"])
        )
        unknown = pd.DataFrame(
            {
                "gap": "unknown_skill",
                "id": k["term"],
                "label": k["suggestion"],
                "units": k["count"],
                "category": k["table"],
                "detail": "rows " + k["rows"].astype(str),
            }
        )
        parts = [p for p in (needs, untapped, unknown) if len(p)]
        if not parts:
            return pd.DataFrame(columns=GAP_COLUMNS)
        return pd.concat(parts, ignore_index=True).reindex(columns=GAP_COLUMNS)


def find_gaps(result: MatchResult, allocation: Allocation) -> Gaps:
    """Training needs (from unmet and partly met demand) and untapped assets.

    Parameters
    ----------
    result
        The output of :func:`cwb.matching.core.match`.
    allocation
        The output of :func:`cwb.matching.allocation.allocate` for ``result``.
    """
    return Gaps(_training_needs(result, allocation), _untapped(result), result.unknown_skills)


def _explode(keys: pd.DataFrame, cells: pd.Series, codes_of: object) -> pd.DataFrame:
    """One row per (row of ``keys``, item of its ``;``-list cell), items mapped by ``codes_of``."""
    memo = {cell: codes_of(cell) for cell in pd.unique(cells)}  # type: ignore[operator]
    items = [memo[cell] for cell in cells]
    lengths = [len(x) for x in items]
    out = keys.loc[keys.index.repeat(lengths)].reset_index(drop=True)
    out["code"] = [c for x in items for c in x]
    return out


def _training_needs(result: MatchResult, allocation: Allocation) -> pd.DataFrame:
    engine = result._engine
    assert engine is not None  # a result of match(), which keeps its engine
    vocab = engine.vocab
    demand = allocation.demand
    open_ = demand[demand["unfilled"] > 0][["opportunity_id", "unfilled"]].reset_index(drop=True)
    skill_codes = result.opportunities.set_index("opportunity_id")["skill_codes"]
    need = _explode(open_, open_["opportunity_id"].map(skill_codes), split_list)
    unfilled = need.groupby("code")["unfilled"].sum()
    where_parts = [need[["code", "opportunity_id"]]]
    partial = pd.Series(dtype="int64")
    assignments = allocation.assignments
    if len(assignments):
        keys = ["asset_id", "opportunity_id"]
        lacking = ["skills_missing", "skills_via_pathway", "skills_partial"]
        rows = assignments[[*keys, "quantity"]].merge(
            result.matches[[*keys, *lacking]], on=keys, how="left", validate="one_to_one"
        )
        cells = rows[lacking[0]].fillna("")
        for col in lacking[1:]:
            cells = cells + ";" + rows[col].fillna("")

        def codes_of(cell: str) -> list[str]:
            return sorted({_code_of(engine, label) for label in split_list(cell)})

        filled = _explode(rows[["opportunity_id", "quantity"]], cells, codes_of)
        partial = filled.groupby("code")["quantity"].sum()
        where_parts.append(filled[["code", "opportunity_id"]])
    where = pd.concat(where_parts, ignore_index=True)
    where = where.groupby("code")["opportunity_id"].agg(
        lambda ids: ";".join(sorted({str(i) for i in ids}))
    )
    codes = sorted(set(unfilled.index) | set(partial.index))
    rows_out = [
        {
            "skill_code": c,
            "skill": vocab.label(c),
            "soc2020": vocab.soc2020(c),
            "unfilled_units": int(unfilled.get(c, 0)),
            "filled_needing_training": int(partial.get(c, 0)),
            "total_units": int(unfilled.get(c, 0)) + int(partial.get(c, 0)),
            "opportunities": where[c],
        }
        for c in codes
    ]
    out = pd.DataFrame(rows_out, columns=TRAINING_COLUMNS)
    return out.sort_values(
        ["total_units", "skill_code"], ascending=[False, True], ignore_index=True
    )


def _code_of(engine: object, label: str) -> str:
    """The code behind a label written in a matches table."""
    lookup = getattr(engine, "_label_codes", None)
    if lookup is None:
        lookup = {engine.vocab.label(c): c for c in engine.codes}  # type: ignore[attr-defined]
        engine._label_codes = lookup  # type: ignore[attr-defined]
    return lookup.get(label, label)


def _untapped(result: MatchResult) -> pd.DataFrame:
    engine = result._engine
    assert engine is not None  # a result of match(), which keeps its engine
    assets = result.assets
    located = assets["located"].to_numpy(dtype=bool)
    # assets with some plausible pair at all (before min_score / top_k)
    plausible = np.zeros(len(assets), dtype=bool)
    reachable_types = np.zeros(len(assets), dtype=bool)
    opp_types = np.unique(engine.opp_type)
    for t in opp_types:
        reachable_types |= engine.eligible[engine.asset_cat, t]
    if len(engine.opps.ids):
        plausible = plausible_assets(engine)
    # one reason code per asset; the text only for the assets kept
    reason_of = np.where(~located, 0, np.where(~reachable_types, 1, np.where(~plausible, 2, 3)))
    texts = np.array(
        [
            "not located",
            "no opportunity of a type this asset can serve",
            f"no opportunity within {result.settings.max_distance_m / 1000:g} km asks for "
            "these skills",
            f"every link scores below {result.settings.min_score:g} or is outranked",
        ],
        dtype=object,
    )
    keep = ~assets["asset_id"].isin(result.matches["asset_id"].unique()).to_numpy()
    # sorted by kind, category and asset id (engine.asset_rank: the ids' order) before
    # the columns are taken, so that the big table is built once, in order
    kept = np.flatnonzero(keep)
    kind = assets["kind"].to_numpy(dtype=object)
    category = assets["category"].to_numpy(dtype=object)
    order = np.lexsort(
        (engine.asset_rank[kept], _sort_codes(category[kept]), _sort_codes(kind[kept]))
    )
    rows = kept[order]
    text = ("asset_id", "name", "skills")
    # the columns of few distinct values are categorical (at 1M assets the table is a
    # fifth of the size), with categories in sorted order so that they sort as text
    repeated = ("kind", "category", "area_code")
    out = pd.DataFrame(
        {
            **{c: _text_column(assets[c], rows) for c in text},
            **{c: pd.Categorical(_text_column(assets[c], rows)) for c in repeated},
            "count": assets["count"].to_numpy()[rows],
            "reason": pd.Categorical.from_codes(
                reason_of[rows], categories=pd.Index(texts.tolist(), dtype=str)
            ),
        }
    )
    return out.reindex(columns=UNTAPPED_COLUMNS)


def _text_column(values: pd.Series, rows: np.ndarray) -> object:
    """``values`` at ``rows`` as a table column, typed as a column of those strings would be.

    A column already of the type pandas gives strings is taken as it is (no
    round trip through Python objects); others go through an object array.
    """
    if values.dtype == pd.Series(["text"]).dtype:
        taken = values.array.take(rows)
        if len(taken) and not taken.isna().all():
            return taken
    return values.to_numpy(dtype=object)[rows]


def _sort_codes(values: np.ndarray) -> np.ndarray:
    """Codes that sort as the values do (missing values last, as ``sort_values`` puts them)."""
    codes, _ = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(codes) + 1, codes)
