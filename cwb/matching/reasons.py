"""The reasons of a match: one readable sentence list per pair (``reasons`` column).

Each reason names what the score rests on: which required skills the asset
holds, reaches through a pathway or stands in for, and which are missing; the
pathway; the distance to the project; the area's deprivation decile; the
capacity against the contract lot; the size of a residents' group.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cwb.matching.model import REASON_SEPARATOR

if TYPE_CHECKING:
    from cwb.matching.engine import Engine


def format_money(value: float) -> str:
    """Pounds, short: ``£1.2m``, ``£450k``, ``£900``."""
    if value >= 1_000_000:
        return f"£{value / 1_000_000:.3g}m"
    if value >= 1_000:
        return f"£{value / 1_000:.3g}k"
    return f"£{value:,.0f}"


def format_distance(metres: float) -> str:
    """``850 m`` below a kilometre, else ``2.3 km``."""
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def _skills_text(
    free: bool, covered: str, via: str, partial: str, missing: str, score: float
) -> str:
    if free:
        return "no particular skills asked"
    items = []
    if covered:
        items.append("has " + covered.replace(";", ", "))
    if via:
        items.append("via pathway: " + via.replace(";", ", "))
    if partial:
        items.append("related skills for " + partial.replace(";", ", "))
    if missing:
        items.append("missing " + missing.replace(";", ", "))
    return f"skills {score:.0%}: " + "; ".join(items)


def match_reasons(
    engine: Engine, frame: pd.DataFrame, a: np.ndarray, o: np.ndarray, comp: dict[str, np.ndarray]
) -> list[str]:
    """The reasons of each row of a matches table (pairs ``a``, ``o`` with components ``comp``)."""
    cols = {
        c: frame[c].tolist()
        for c in (
            "skills_covered",
            "skills_via_pathway",
            "skills_partial",
            "skills_missing",
            "skill_score",
            "pathway",
            "project",
            "distance_m",
            "imd_decile",
            "area_code",
            "capacity_score",
            "capacity",
            "asset_kind",
            "count",
        )
    }
    area_names = engine.assets.frame["area_name"].take(a).to_numpy(dtype=object).tolist()
    free = (engine.opp_nreq[o] == 0).tolist()
    qual = comp["qual"].tolist()
    path_scores = comp["pathway"].tolist()
    lots = engine.lot_value[o].tolist()
    out = []
    memo: dict[tuple[object, ...], str] = {}
    for i in range(len(frame)):
        key = (
            free[i],
            cols["skills_covered"][i],
            cols["skills_via_pathway"][i],
            cols["skills_partial"][i],
            cols["skills_missing"][i],
            cols["skill_score"][i],
        )
        text = memo.get(key)
        if text is None:
            text = memo[key] = _skills_text(*key)
        parts = [text]
        pathway = cols["pathway"][i]
        if pathway and pathway in engine.pathways:
            label = engine.pathways[pathway].label
            how = (
                "qualifies"
                if qual[i]
                else "already qualified"
                if path_scores[i] == 1
                else "does not qualify"
            )
            parts.append(f"pathway '{label}': {how}")
        project = cols["project"][i]
        place = engine.project_names.get(project, project)
        parts.append(f"{format_distance(cols['distance_m'][i])} from {place}")
        decile = cols["imd_decile"][i]
        if math.isnan(decile):
            parts.append("area deprivation unknown")
        else:
            where = area_names[i] if isinstance(area_names[i], str) else cols["area_code"][i]
            tail = " (among the most deprived 10% in England)" if decile <= 1.5 else ""
            parts.append(f"in {where}, IMD decile {decile:g}{tail}")
        if not math.isnan(cols["capacity_score"][i]):
            capacity, lot = cols["capacity"][i], lots[i]
            if math.isnan(capacity) or math.isnan(lot):
                parts.append("capacity or contract value unknown")
            elif capacity >= lot:
                parts.append(
                    f"capacity {format_money(capacity)} covers the {format_money(lot)} lot"
                )
            else:
                parts.append(
                    f"capacity {format_money(capacity)} is {capacity / lot:.0%} of the "
                    f"{format_money(lot)} lot: a consortium could bid"
                )
        count = cols["count"][i]
        if cols["asset_kind"][i] == "human" and not pd.isna(count):
            parts.append(f"a group of {int(count)} residents")
        out.append(REASON_SEPARATOR.join(parts))
    return out
