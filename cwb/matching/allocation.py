"""Allocate assets to opportunities with capacities: a min-cost flow over the matches.

Units
-----
* demand of an opportunity: its ``quantity`` (posts, places, lots, rooms), 1 when empty;
* supply of an asset, per the ``supply`` column of ``resources/eligibility.csv``:
  ``count`` — residents in a group, rooms in a building (``count``, 1 when empty);
  ``lots`` — contracts an enterprise may take (``contracts_per_supplier``, default 1);
* an enterprise can be allocated a contract lot only when its capacity covers
  the lot's value (``value / quantity``) or its capacity is unknown; otherwise
  it is a candidate for a consortium (:mod:`cwb.matching.consortia`).

The flow first fills as many units as possible, then maximises the total score
(``networkx.max_flow_min_cost`` with integer costs from the scores; ties go to
the better-ranked match). Each connected part of the match network is solved
on its own; parts with more than :data:`NETWORKX_MAX_ARCS` arcs are solved as
the same network problem by scipy's HiGHS (two linear programmes: the largest
flow, then its least cost), which gives the same filled units and total cost
(tested) in a fraction of the time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import maximum_flow

from cwb.matching.model import load_eligibility

if TYPE_CHECKING:
    from cwb.matching.model import MatchResult, MatchSettings

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
    def allocation(self) -> pd.DataFrame:
        """The allocated pairs (:attr:`assignments`), for consumers asking for that table."""
        return self.assignments

    @property
    def filled(self) -> int:
        """Units filled in total."""
        return int(self.demand["filled"].sum()) if len(self.demand) else 0

    @property
    def unfilled(self) -> int:
        """Units left unfilled in total."""
        return int(self.demand["unfilled"].sum()) if len(self.demand) else 0

    def table(self) -> pd.DataFrame:
        """Filled pairs plus an ``unfilled`` row per opportunity with demand left."""
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
    return {
        (r.opportunity_type, r.asset_kind, r.asset_category): r.supply for r in load_eligibility()
    }


def _modes_of(matches: pd.DataFrame) -> np.ndarray:
    """The supply mode (``count`` or ``lots``) of each match, by type, kind and category."""
    if matches.empty:  # pandas 2 cannot factorize an empty MultiIndex
        return np.zeros(0, dtype=object)
    modes = _supply_modes()
    keys = pd.MultiIndex.from_arrays(
        [matches["opportunity_type"], matches["asset_kind"], matches["asset_category"]]
    )
    codes, uniques = pd.factorize(keys)
    per_key = np.array([modes.get(tuple(k), "count") for k in uniques], dtype=object)
    return per_key[codes]


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
        The output of :func:`cwb.matching.core.match`.
    settings
        Settings (``contracts_per_supplier``); default: ``result.settings``.

    Returns
    -------
    Allocation
        Filled pairs, and per opportunity the filled and unfilled demand.
    """
    settings = settings or result.settings
    matches = result.matches
    opps = result.opportunities
    demand_units = dict(zip(opps["opportunity_id"], _units(opps["quantity"]), strict=True))
    # supply units of the matched assets only (a result may hold a million assets)
    assets = result.assets
    matched = assets["asset_id"].isin(matches["asset_id"].unique()).to_numpy()
    count_units = dict(
        zip(
            assets["asset_id"].to_numpy(dtype=object)[matched],
            _units(assets["count"][matched]),
            strict=True,
        )
    )

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
    pairs["mode"] = _modes_of(pairs)
    lots = pairs["mode"] == "lots"
    lot_value = pairs["value"] / pairs["opportunity_id"].map(demand_units).astype(float)
    too_small = (
        lots & pairs["capacity"].notna() & lot_value.notna() & (pairs["capacity"] < lot_value)
    )
    pairs = pairs[~too_small]
    if pairs.empty:  # nothing to allocate (and pandas 2 cannot factorize an empty MultiIndex)
        return _allocation_tables(result, [], demand_units, count_units, settings)

    supply_keys = pd.MultiIndex.from_arrays([pairs["asset_id"], pairs["mode"]])
    s_index, s_uniques = pd.factorize(supply_keys)
    o_index, o_uniques = pd.factorize(pairs["opportunity_id"])
    s_asset = np.asarray(s_uniques.get_level_values(0), dtype=object)
    s_mode = np.asarray(s_uniques.get_level_values(1), dtype=object)
    s_cap = np.array(
        [
            settings.contracts_per_supplier if m == "lots" else count_units.get(a, 1)
            for a, m in zip(s_asset, s_mode, strict=True)
        ],
        dtype=np.int64,
    )
    d_cap = np.array([demand_units[o] for o in o_uniques], dtype=np.int64)
    lots_arc = (pairs["mode"] == "lots").to_numpy()
    arc_cap = np.where(lots_arc, 1, np.minimum(s_cap[s_index], d_cap[o_index])).astype(np.int64)
    cost = flow_costs(pairs["score"].to_numpy(dtype=float), pairs["rank"].to_numpy())
    flow = solve_flow(s_index, o_index, arc_cap, cost, s_cap, d_cap)
    used = np.flatnonzero(flow > 0)
    flows = [
        (
            str(s_asset[s_index[i]]),
            str(o_uniques[o_index[i]]),
            str(s_mode[s_index[i]]),
            int(flow[i]),
        )
        for i in used
    ]
    log.info("allocation: %d pairs allocated over %d match edges", len(flows), len(pairs))
    return _allocation_tables(result, flows, demand_units, count_units, settings)


def flow_costs(score: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Integer arc costs of :func:`solve_flow` from scores in [0, 1].

    A better score costs less; inside one score step the better rank (1 first) wins.
    """
    steps = np.round((1.0 - np.asarray(score, dtype=float)) * _SCALE).astype(np.int64)
    tie = np.minimum(np.asarray(rank, dtype=np.int64), _RANK_SLOTS - 1)
    return steps * _RANK_SLOTS + tie


#: Parts of the flow network with more arcs than this are solved as a linear programme (HiGHS).
NETWORKX_MAX_ARCS = 3000


def solve_flow(
    s_index: np.ndarray,
    o_index: np.ndarray,
    arc_cap: np.ndarray,
    cost: np.ndarray,
    s_cap: np.ndarray,
    d_cap: np.ndarray,
    *,
    max_networkx_arcs: int | None = None,
) -> np.ndarray:
    """Flow on each arc (supply node → demand node) that fills most units at the least cost.

    The largest flow of the whole network is found once (scipy's
    ``maximum_flow``); then each connected part of the network is solved on its
    own for the least cost at its share of that flow: with networkx's network
    simplex when it has at most ``max_networkx_arcs`` arcs (what
    ``networkx.max_flow_min_cost`` does), else as the same network problem in a
    linear programme (scipy's HiGHS). The constraint matrix of a network is
    totally unimodular, so the simplex solution is whole units, like networkx's.
    """
    limit = NETWORKX_MAX_ARCS if max_networkx_arcs is None else max_networkx_arcs
    flow = np.zeros(len(s_index), dtype=np.int64)
    if not len(s_index):
        return flow
    n_s, n_o = len(s_cap), len(d_cap)
    adjacency = sparse.coo_matrix(
        (np.ones(len(s_index)), (s_index, n_s + o_index)), shape=(n_s + n_o, n_s + n_o)
    )
    _, label = sparse.csgraph.connected_components(adjacency, directed=False)
    into_sink = _max_flow_into_sink(s_index, o_index, arc_cap, s_cap, d_cap)
    part_flow = np.bincount(label[n_s:], weights=into_sink, minlength=label.max() + 1)
    arc_part = label[s_index]
    order = np.argsort(arc_part, kind="stable")
    bounds = np.flatnonzero(np.r_[True, arc_part[order][1:] != arc_part[order][:-1], True])
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        arcs = order[start:stop]
        total = round(part_flow[arc_part[arcs[0]]])
        if not total:
            continue
        solver = _flow_networkx if len(arcs) <= limit else _flow_highs
        flow[arcs] = solver(
            s_index[arcs], o_index[arcs], arc_cap[arcs], cost[arcs], s_cap, d_cap, total
        )
    return flow


def _max_flow_into_sink(
    s_index: np.ndarray, o_index: np.ndarray, cap: np.ndarray, s_cap: np.ndarray, d_cap: np.ndarray
) -> np.ndarray:
    """Units reaching the sink from each demand node in a largest flow of the network."""
    n_s, n_o = len(s_cap), len(d_cap)
    source, sink = n_s + n_o, n_s + n_o + 1
    supplies = np.unique(s_index)
    demands = np.unique(o_index)
    rows = np.concatenate([np.full(len(supplies), source), s_index, n_s + demands])
    cols = np.concatenate([supplies, n_s + o_index, np.full(len(demands), sink)])
    caps = np.concatenate([s_cap[supplies], cap, d_cap[demands]]).astype(np.int32)
    graph = sparse.csr_matrix((caps, (rows, cols)), shape=(sink + 1, sink + 1))
    result = maximum_flow(graph, source, sink)
    into = result.flow.tocsc()[:, sink].toarray().ravel()
    return np.maximum(into[n_s : n_s + n_o], 0).astype(float)


def _flow_networkx(
    si: np.ndarray,
    oj: np.ndarray,
    cap: np.ndarray,
    cost: np.ndarray,
    s_cap: np.ndarray,
    d_cap: np.ndarray,
    total: int,
) -> np.ndarray:
    # the graph networkx.max_flow_min_cost builds, with its largest flow already known
    edges: list[tuple[object, object, dict[str, int]]] = []
    for k, (i, j) in enumerate(zip(si.tolist(), oj.tolist(), strict=True)):
        edges.append(("source", ("s", i), {"capacity": int(s_cap[i]), "weight": 0}))
        edges.append((("o", j), "sink", {"capacity": int(d_cap[j]), "weight": 0}))
        edges.append((("s", i), ("o", j), {"capacity": int(cap[k]), "weight": int(cost[k])}))
    G = nx.DiGraph()
    G.add_edges_from(edges)
    G.add_node("source", demand=-total)
    G.add_node("sink", demand=total)
    _, result = nx.network_simplex(G)
    return np.array(
        [result[("s", i)][("o", j)] for i, j in zip(si.tolist(), oj.tolist(), strict=True)],
        dtype=np.int64,
    )


def _flow_highs(
    si: np.ndarray,
    oj: np.ndarray,
    cap: np.ndarray,
    cost: np.ndarray,
    s_cap: np.ndarray,
    d_cap: np.ndarray,
    total: int,
) -> np.ndarray:
    s_nodes, s_local = np.unique(si, return_inverse=True)
    o_nodes, o_local = np.unique(oj, return_inverse=True)
    n_s, n_o, n_a = len(s_nodes), len(o_nodes), len(si)
    # variables: source→s (n_s), s→o (n_a), o→sink (n_o); conservation at every s and o node,
    # and the largest flow leaving the source
    col = np.arange(n_a)
    rows = np.concatenate(
        [np.arange(n_s), s_local, n_s + o_local, n_s + np.arange(n_o), np.full(n_s, n_s + n_o)]
    )
    cols = np.concatenate(
        [np.arange(n_s), n_s + col, n_s + col, n_s + n_a + np.arange(n_o), np.arange(n_s)]
    )
    vals = np.concatenate([np.ones(n_s), -np.ones(n_a), np.ones(n_a), -np.ones(n_o), np.ones(n_s)])
    a_eq = sparse.csr_matrix((vals, (rows, cols)), shape=(n_s + n_o + 1, n_s + n_a + n_o))
    upper = np.concatenate([s_cap[s_nodes], cap, d_cap[o_nodes]]).astype(float)
    bounds = np.column_stack([np.zeros(len(upper)), upper])
    b_eq = np.r_[np.zeros(n_s + n_o), total]
    costs = np.concatenate([np.zeros(n_s), cost.astype(float), np.zeros(n_o)])
    solved = linprog(costs, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs-ds")
    if solved.status != 0:  # pragma: no cover - a network LP is always feasible
        raise RuntimeError(f"allocation: the flow programme failed: {solved.message}")
    return np.round(solved.x[n_s : n_s + n_a]).astype(np.int64)


def _allocation_tables(
    result: MatchResult,
    flows: list[tuple[str, str, str, int]],
    demand_units: dict[str, int],
    count_units: dict[str, int],
    settings: MatchSettings,
) -> Allocation:
    flow = pd.DataFrame(flows, columns=["asset_id", "opportunity_id", "_mode", "quantity"])
    info = result.matches[
        [
            "asset_id",
            "opportunity_id",
            "project",
            "opportunity_type",
            "opportunity_title",
            "asset_name",
            "asset_kind",
            "asset_category",
            "score",
            "rank",
        ]
    ]
    keys = ["asset_id", "opportunity_id"]
    assignments = flow.merge(info, on=keys, how="left", validate="one_to_one")
    assignments["unit"] = assignments["opportunity_type"].map(_UNIT).fillna("units")
    assignments["quantity"] = assignments["quantity"].astype("int64")
    assignments = assignments.sort_values(
        ["project", "opportunity_id", "rank"], kind="stable", ignore_index=True
    )

    opps = result.opportunities
    filled = assignments.groupby("opportunity_id")["quantity"].sum()
    demand = pd.DataFrame(
        {
            "opportunity_id": opps["opportunity_id"].to_numpy(),
            "project": opps["project"].to_numpy(),
            "type": opps["type"].to_numpy(),
            "title": opps["title"].to_numpy(),
            "skills": opps["skills"].to_numpy(),
            "unit": opps["type"].map(_UNIT).fillna("units").to_numpy(),
            "demand": opps["opportunity_id"].map(demand_units).to_numpy(dtype="int64"),
        }
    )
    demand["filled"] = demand["opportunity_id"].map(filled).fillna(0).astype("int64")
    demand["unfilled"] = demand["demand"] - demand["filled"]

    offered = _offered(result)
    supply = offered.assign(
        supply=np.where(
            offered["_mode"] == "lots",
            settings.contracts_per_supplier,
            offered["asset_id"].map(count_units).fillna(1).astype("int64"),
        ).astype("int64")
    )
    used = assignments.groupby(["asset_id", "_mode"], as_index=False)["quantity"].sum()
    supply = supply.merge(used, on=["asset_id", "_mode"], how="left")
    supply["allocated"] = supply["quantity"].fillna(0).astype("int64")
    supply["spare"] = supply["supply"] - supply["allocated"]
    supply["unit"] = np.where(supply["_mode"] == "lots", "contracts", "units")
    assets = result.assets
    offered_assets = assets["asset_id"].isin(supply["asset_id"].unique()).to_numpy()
    names = pd.DataFrame(assets.loc[offered_assets, ["asset_id", "name", "kind", "category"]])
    supply = supply.merge(names, on="asset_id", how="left")
    supply = supply.sort_values(["asset_id", "unit"], ignore_index=True)[SUPPLY_COLUMNS]
    return Allocation(assignments[ASSIGNMENT_COLUMNS], demand[DEMAND_COLUMNS], supply)


def _offered(result: MatchResult) -> pd.DataFrame:
    """(asset, supply mode) of every matched asset, allocated or not."""
    m = result.matches
    return pd.DataFrame(
        {"asset_id": m["asset_id"].to_numpy(), "_mode": _modes_of(m)}
    ).drop_duplicates(ignore_index=True)
