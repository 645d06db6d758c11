"""Allocate assets to opportunities with capacities: a min-cost flow over the matches.

Units
-----
* demand of an opportunity: its ``quantity`` (posts, places, lots, rooms), 1 when empty;
* supply of an asset, per the ``supply`` column of ``resources/eligibility.csv``:
  ``count`` — residents in a group, rooms in a building (``count``, 1 when empty);
  ``lots`` — contracts an enterprise may take (``contracts_per_supplier``, default 1);
* an enterprise can be allocated a contract lot only when its capacity covers
  the lot's value (``value / quantity``) or its capacity is unknown; otherwise
  it is a candidate for a consortium (:mod:`cwb.consortia`).

The flow first fills as many units as possible, then maximises the total score
(``networkx.max_flow_min_cost`` with integer costs from the scores; ties go to
the better-ranked match). Each connected part of the match network is solved
on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cwb.matching import MatchResult, MatchSettings

log = logging.getLogger(__name__)

#: Columns of :attr:`Allocation.assignments` (one row per allocated pair).
ASSIGNMENT_COLUMNS: list[str] = [
    "opportunity_id",
    "project",
    "opportunity_type",
    "opportunity_title",
    "asset_id",
    "asset_name",
    "asset_kind",
    "asset_category",
    "quantity",
    "unit",
    "score",
    "rank",
]
#: Columns of :attr:`Allocation.demand` (one row per opportunity).
DEMAND_COLUMNS: list[str] = [
    "opportunity_id",
    "project",
    "type",
    "title",
    "skills",
    "unit",
    "demand",
    "filled",
    "unfilled",
]
#: Columns of :attr:`Allocation.supply` (one row per asset and unit).
SUPPLY_COLUMNS: list[str] = [
    "asset_id",
    "name",
    "kind",
    "category",
    "unit",
    "supply",
    "allocated",
    "spare",
]
#: Columns of :meth:`Allocation.table` (allocation.csv).
TABLE_COLUMNS: list[str] = [
    "opportunity_id",
    "project",
    "opportunity_type",
    "opportunity_title",
    "status",
    "asset_id",
    "asset_name",
    "asset_kind",
    "asset_category",
    "quantity",
    "unit",
    "score",
]

_UNIT = {
    "job": "posts",
    "training": "places",
    "volunteering": "places",
    "contract": "lots",
    "space": "rooms",
}
_SCALE = 10_000  # score resolution of the integer costs
_RANK_SLOTS = 1_000  # tie-break by rank inside one score step


@dataclass
class Allocation:
    """The best assignment of assets to opportunities under capacities.

    Attributes
    ----------
    assignments
        Allocated pairs (:data:`ASSIGNMENT_COLUMNS`); ``quantity`` is the number
        of units (posts, places, lots, rooms) the asset fills.
    demand
        Per opportunity: demand, filled and unfilled units (:data:`DEMAND_COLUMNS`).
    supply
        Per asset and unit: supply, allocated and spare units (:data:`SUPPLY_COLUMNS`).
    """

    assignments: pd.DataFrame
    demand: pd.DataFrame
    supply: pd.DataFrame

    @property
    def filled(self) -> int:
        """Units filled in total."""
        return int(self.demand["filled"].sum()) if len(self.demand) else 0

    @property
    def unfilled(self) -> int:
        """Units left unfilled in total."""
        return int(self.demand["unfilled"].sum()) if len(self.demand) else 0

    def table(self) -> pd.DataFrame:
        """Filled pairs plus one ``unfilled`` row per opportunity with demand left (allocation.csv)."""
        filled = self.assignments.assign(status="filled").rename(columns={})
        open_ = self.demand[self.demand["unfilled"] > 0]
        unfilled = pd.DataFrame(
            {
                "opportunity_id": open_["opportunity_id"],
                "project": open_["project"],
                "opportunity_type": open_["type"],
                "opportunity_title": open_["title"],
                "status": "unfilled",
                "quantity": open_["unfilled"],
                "unit": open_["unit"],
            }
        )
        out = pd.concat([filled, unfilled], ignore_index=True) if len(unfilled) else filled
        out = out.reindex(columns=TABLE_COLUMNS)
        return out.sort_values(
            ["project", "opportunity_id", "status", "score"],
            ascending=[True, True, True, False],
            kind="stable",
            ignore_index=True,
        )


def _supply_modes() -> dict[tuple[str, str, str], str]:
    from cwb.matching import load_eligibility

    return {
        (r.opportunity_type, r.asset_kind, r.asset_category): r.supply for r in load_eligibility()
    }


def _units(values: pd.Series) -> np.ndarray:
    """Whole units from a nullable count column: empty or below 1 counts as 1."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    numbers = np.where(np.isnan(numbers), 1.0, np.floor(numbers))
    return np.maximum(numbers, 1).astype(np.int64)


def allocate(result: MatchResult, *, settings: MatchSettings | None = None) -> Allocation:
    """Assign assets to opportunities as a min-cost flow over ``result.matches``.

    Parameters
    ----------
    result
        The output of :func:`cwb.matching.match`.
    settings
        Settings (``contracts_per_supplier``); default: ``result.settings``.

    Returns
    -------
    Allocation
        Filled pairs, and per opportunity the filled and unfilled demand.
    """
    settings = settings or result.settings
    matches = result.matches
    opps = pd.DataFrame(result.opportunities.drop(columns="geometry"))
    assets = pd.DataFrame(result.assets.drop(columns="geometry"))
    demand_units = dict(zip(opps["opportunity_id"], _units(opps["quantity"]), strict=True))
    count_units = dict(zip(assets["asset_id"], _units(assets["count"]), strict=True))
    modes = _supply_modes()

    pairs = matches[
        [
            "asset_id",
            "opportunity_id",
            "opportunity_type",
            "asset_kind",
            "asset_category",
            "score",
            "rank",
            "capacity",
            "value",
        ]
    ].copy()
    pairs["mode"] = [
        modes.get((t, k, c), "count")
        for t, k, c in zip(
            pairs["opportunity_type"], pairs["asset_kind"], pairs["asset_category"], strict=True
        )
    ]
    lots = pairs["mode"] == "lots"
    lot_value = pairs["value"] / pairs["opportunity_id"].map(demand_units).astype(float)
    too_small = (
        lots & pairs["capacity"].notna() & lot_value.notna() & (pairs["capacity"] < lot_value)
    )
    pairs = pairs[~too_small]

    G = nx.DiGraph()
    for row in pairs.itertuples(index=False):
        supply_node = ("s", row.asset_id, row.mode)
        opp_node = ("o", row.opportunity_id)
        if supply_node not in G:
            supply = (
                settings.contracts_per_supplier
                if row.mode == "lots"
                else count_units.get(row.asset_id, 1)
            )
            G.add_edge("source", supply_node, capacity=int(supply), weight=0)
        if opp_node not in G:
            G.add_edge(opp_node, "sink", capacity=int(demand_units[row.opportunity_id]), weight=0)
        arc = (
            1
            if row.mode == "lots"
            else min(count_units.get(row.asset_id, 1), demand_units[row.opportunity_id])
        )
        cost = int(round((1.0 - float(row.score)) * _SCALE)) * _RANK_SLOTS + min(
            int(row.rank), _RANK_SLOTS - 1
        )
        G.add_edge(supply_node, opp_node, capacity=int(arc), weight=cost)

    flows: list[tuple[str, str, str, int]] = []
    if G.number_of_nodes():
        inner = G.subgraph(n for n in G if n not in ("source", "sink"))
        for part in nx.weakly_connected_components(inner):
            sub = nx.DiGraph(G.subgraph(set(part) | {"source", "sink"}))
            flow = nx.max_flow_min_cost(sub, "source", "sink")
            for u, targets in flow.items():
                if not (isinstance(u, tuple) and u[0] == "s"):
                    continue
                for v, amount in targets.items():
                    if amount > 0:
                        flows.append((u[1], v[1], u[2], int(amount)))
    log.info("allocation: %d pairs allocated over %d match edges", len(flows), len(pairs))
    return _allocation_tables(result, flows, demand_units, count_units, settings)


def _allocation_tables(
    result: MatchResult,
    flows: list[tuple[str, str, str, int]],
    demand_units: dict[str, int],
    count_units: dict[str, int],
    settings: MatchSettings,
) -> Allocation:
    matches = result.matches.set_index(["asset_id", "opportunity_id"])
    rows = []
    for asset_id, opp_id, mode, amount in flows:
        m = matches.loc[(asset_id, opp_id)]
        rows.append(
            {
                "opportunity_id": opp_id,
                "project": m["project"],
                "opportunity_type": m["opportunity_type"],
                "opportunity_title": m["opportunity_title"],
                "asset_id": asset_id,
                "asset_name": m["asset_name"],
                "asset_kind": m["asset_kind"],
                "asset_category": m["asset_category"],
                "quantity": amount,
                "unit": _UNIT.get(str(m["opportunity_type"]), "units"),
                "score": m["score"],
                "rank": m["rank"],
                "_mode": mode,
            }
        )
    assignments = pd.DataFrame(rows, columns=[*ASSIGNMENT_COLUMNS, "_mode"])
    assignments = assignments.sort_values(
        ["project", "opportunity_id", "rank"], kind="stable", ignore_index=True
    )

    opps = result.opportunities
    filled = (
        assignments.groupby("opportunity_id")["quantity"].sum()
        if len(assignments)
        else pd.Series(dtype=int)
    )
    demand = pd.DataFrame(
        {
            "opportunity_id": opps["opportunity_id"].to_numpy(),
            "project": opps["project"].to_numpy(),
            "type": opps["type"].to_numpy(),
            "title": opps["title"].to_numpy(),
            "skills": opps["skills"].to_numpy(),
            "unit": [_UNIT.get(str(t), "units") for t in opps["type"]],
            "demand": [demand_units[o] for o in opps["opportunity_id"]],
        }
    )
    demand["filled"] = demand["opportunity_id"].map(filled).fillna(0).astype("int64")
    demand["unfilled"] = demand["demand"] - demand["filled"]

    used = (
        assignments.groupby(["asset_id", "_mode"])["quantity"].sum()
        if len(assignments)
        else pd.Series(dtype="int64")
    )
    assets = result.assets.set_index("asset_id")
    supply_rows = []
    for asset_id, mode in sorted({(a, md) for a, _, md, _ in flows} | _offered(result)):
        supply = settings.contracts_per_supplier if mode == "lots" else count_units.get(asset_id, 1)
        got = int(used.get((asset_id, mode), 0)) if len(used) else 0
        supply_rows.append(
            {
                "asset_id": asset_id,
                "name": assets.at[asset_id, "name"],
                "kind": assets.at[asset_id, "kind"],
                "category": assets.at[asset_id, "category"],
                "unit": "contracts" if mode == "lots" else "units",
                "supply": int(supply),
                "allocated": got,
                "spare": int(supply) - got,
            }
        )
    supply_table = pd.DataFrame(supply_rows, columns=SUPPLY_COLUMNS)
    return Allocation(assignments.drop(columns="_mode"), demand[DEMAND_COLUMNS], supply_table)


def _offered(result: MatchResult) -> set[tuple[str, str]]:
    """(asset, supply mode) of every matched asset, allocated or not."""
    modes = _supply_modes()
    m = result.matches
    return {
        (a, modes.get((t, k, c), "count"))
        for a, t, k, c in zip(
            m["asset_id"], m["opportunity_type"], m["asset_kind"], m["asset_category"], strict=True
        )
    }
