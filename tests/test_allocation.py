"""Allocation: capacities, ties and unmet demand on hand-made cases with known answers."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from match_helpers import make_dataset

from cwb.matching.allocation import (
    ASSIGNMENT_COLUMNS,
    _flow_networkx,
    _max_flow_into_sink,
    allocate,
    solve_flow,
)
from cwb.matching.core import MatchSettings, match
from cwb.matching.gaps import find_gaps


def _group(gid, skills, count, at):
    return {
        "id": gid,
        "name": f"group {gid}",
        "kind": "human",
        "category": "skills_group",
        "skills": skills,
        "count": count,
        "at": at,
    }


def _allocated(alloc):
    return {
        (a, o): q
        for a, o, q in zip(
            alloc.assignments["asset_id"],
            alloc.assignments["opportunity_id"],
            alloc.assignments["quantity"],
            strict=True,
        )
    }


def test_posts_filled_by_the_best_group_first_up_to_its_count():
    ds = make_dataset(
        [_group("NEAR", "cook", 3, (100, 0)), _group("FAR", "cook", 10, (4000, 0))],
        [{"id": "J1", "type": "job", "title": "Cook", "skills": "cook", "quantity": 5}],
    )
    alloc = allocate(match(ds))
    assert _allocated(alloc) == {("NEAR", "J1"): 3, ("FAR", "J1"): 2}
    assert alloc.filled == 5 and alloc.unfilled == 0
    assert list(alloc.assignments.columns) == ASSIGNMENT_COLUMNS


def test_no_matches_leave_every_post_unfilled():
    """Nothing matches (pandas 2 once failed here on an empty MultiIndex)."""
    ds = make_dataset(
        [_group("G1", "plumbing", 3, (90_000, 0))],
        [{"id": "J1", "type": "job", "title": "Cook", "skills": "cook", "quantity": 4}],
    )
    result = match(ds)
    assert result.matches.empty
    alloc = allocate(result)
    assert alloc.assignments.empty and list(alloc.assignments.columns) == ASSIGNMENT_COLUMNS
    assert alloc.filled == 0 and alloc.unfilled == 4


def test_unmet_demand_becomes_a_training_need():
    ds = make_dataset(
        [_group("G1", "cook", 3, (100, 0)), _group("G2", "chef", 4, (100, 0))],
        [{"id": "J1", "type": "job", "title": "Cook", "skills": "cook", "quantity": 20}],
    )
    result = match(ds)
    alloc = allocate(result)
    assert alloc.filled == 7 and alloc.unfilled == 13
    row = alloc.demand.set_index("opportunity_id").loc["J1"]
    assert (row["demand"], row["filled"], row["unfilled"]) == (20, 7, 13)
    needs = find_gaps(result, alloc).training_needs.set_index("skill_code")
    # 13 posts nobody local can fill, and 4 filled by chefs who are only related to cooks
    assert needs.loc["cook", "unfilled_units"] == 13
    assert needs.loc["cook", "filled_needing_training"] == 4
    assert needs.loc["cook", "soc2020"] == "5435"
    table = alloc.table()
    assert set(table["status"]) == {"filled", "unfilled"}
    assert table.loc[table["status"] == "unfilled", "quantity"].tolist() == [13]


def test_a_group_is_shared_across_posts_without_exceeding_its_count():
    ds = make_dataset(
        [_group("G1", "cleaning;cook", 6, (100, 0))],
        [
            {"id": "J1", "type": "job", "title": "Cleaner", "skills": "cleaning", "quantity": 4},
            {"id": "J2", "type": "job", "title": "Cook", "skills": "cook", "quantity": 4},
        ],
    )
    alloc = allocate(match(ds))
    assert alloc.filled == 6
    supply = alloc.supply.set_index("asset_id").loc["G1"]
    assert (supply["supply"], supply["allocated"], supply["spare"]) == (6, 6, 0)


def test_ties_go_to_the_better_ranked_match():
    ds = make_dataset(
        [_group("B", "cook", 5, (300, 0)), _group("A", "cook", 5, (300, 0))],
        [{"id": "J1", "type": "job", "title": "Cook", "skills": "cook", "quantity": 5}],
    )
    alloc = allocate(match(ds))
    assert _allocated(alloc) == {
        ("A", "J1"): 5
    }  # equal scores and distance: the smaller id ranks first


def test_contracts_need_capacity_and_one_per_supplier():
    firm = {"kind": "financial", "category": "social_enterprise", "skills": "catering"}
    ds = make_dataset(
        [
            {"id": "BIG", "name": "Big", **firm, "capacity": 500_000, "at": (100, 0)},
            {"id": "SMALL", "name": "Small", **firm, "capacity": 50_000, "at": (100, 0)},
        ],
        [
            {
                "id": "C1",
                "type": "contract",
                "title": "Restaurant",
                "skills": "catering",
                "value": 400_000,
            },
            {
                "id": "C2",
                "type": "contract",
                "title": "Café",
                "skills": "catering",
                "value": 300_000,
            },
        ],
    )
    result = match(ds, settings=MatchSettings(min_score=0.0))
    alloc = allocate(result)
    got = _allocated(alloc)
    assert list(got) == [("BIG", "C1")] or list(got) == [("BIG", "C2")]
    assert alloc.filled == 1 and alloc.unfilled == 1  # SMALL's £50k cannot take either lot alone
    alloc2 = allocate(result, settings=result.settings.with_(contracts_per_supplier=2))
    assert _allocated(alloc2) == {("BIG", "C1"): 1, ("BIG", "C2"): 1}


def _networks(max_cost: int) -> dict[str, st.SearchStrategy]:
    """Random bipartite flow networks: arcs (supply, demand, capacity, cost) and node capacities."""
    return {
        "arcs": st.lists(
            st.tuples(
                st.integers(0, 5), st.integers(0, 4), st.integers(1, 6), st.integers(0, max_cost)
            ),
            min_size=1,
            max_size=25,
            unique_by=lambda t: (t[0], t[1]),
        ),
        "s_cap": st.lists(st.integers(1, 8), min_size=6, max_size=6),
        "d_cap": st.lists(st.integers(1, 8), min_size=5, max_size=5),
    }


@settings(max_examples=40, deadline=None)
@given(**_networks(50))
def test_linear_programme_and_networkx_agree(arcs, s_cap, d_cap):
    si, oj, cap, cost = (np.array(x, dtype=np.int64) for x in zip(*arcs, strict=True))
    s_cap, d_cap = np.array(s_cap), np.array(d_cap)
    by_nx = solve_flow(si, oj, cap, cost, s_cap, d_cap, max_networkx_arcs=10**9)
    by_lp = solve_flow(si, oj, cap, cost, s_cap, d_cap, max_networkx_arcs=0)
    for flow in (by_nx, by_lp):
        assert (flow >= 0).all() and (flow <= cap).all()
        assert (np.bincount(si, flow, minlength=6) <= s_cap).all()
        assert (np.bincount(oj, flow, minlength=5) <= d_cap).all()
    assert by_nx.sum() == by_lp.sum()
    assert (by_nx * cost).sum() == (by_lp * cost).sum()


@settings(max_examples=40, deadline=None)
@given(**_networks(3))  # few costs: many ties between equally cheap flows
def test_networkx_parts_give_the_flows_of_max_flow_min_cost(arcs, s_cap, d_cap):
    """The same graph and scipy's largest flow: the very flows networkx's own routine picks."""
    si, oj, cap, cost = (np.array(x, dtype=np.int64) for x in zip(*arcs, strict=True))
    s_cap, d_cap = np.array(s_cap), np.array(d_cap)
    G = nx.DiGraph()
    for k, (i, j) in enumerate(zip(si.tolist(), oj.tolist(), strict=True)):
        G.add_edge("source", ("s", i), capacity=int(s_cap[i]), weight=0)
        G.add_edge(("o", j), "sink", capacity=int(d_cap[j]), weight=0)
        G.add_edge(("s", i), ("o", j), capacity=int(cap[k]), weight=int(cost[k]))
    reference = nx.max_flow_min_cost(G, "source", "sink")
    want = [reference[("s", i)][("o", j)] for i, j in zip(si.tolist(), oj.tolist(), strict=True)]
    total = int(_max_flow_into_sink(si, oj, cap, s_cap, d_cap).sum())
    assert total == sum(want)
    assert _flow_networkx(si, oj, cap, cost, s_cap, d_cap, total).tolist() == want
