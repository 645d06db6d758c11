"""Consortia: minimal groups of nearby enterprises for contracts no single one can take."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from match_helpers import make_dataset, naive_pairs

from cwb.matching.consortia import CONSORTIUM_CATEGORIES, CONSORTIUM_COLUMNS, propose_consortia
from cwb.matching.core import MatchSettings, match


def _firm(fid, skills, capacity, at, category="business"):
    return {
        "id": fid,
        "name": f"Firm {fid}",
        "kind": "financial",
        "category": category,
        "skills": skills,
        "capacity": capacity,
        "at": at,
    }


def test_minimal_groups_that_cover_value_and_skills():
    ds = make_dataset(
        [
            _firm("F1", "catering", 200_000, (500, 0)),
            _firm("F2", "cleaning", 150_000, (800, 0), "cooperative"),
            _firm("F3", "catering;cleaning", 100_000, (300, 0), "social_enterprise"),
            _firm("FAR", "catering;cleaning", 1_000_000, (30_000, 0)),
            _firm("CHARITY", "catering;cleaning", 1_000_000, (100, 0), "charity"),
        ],
        [
            {
                "id": "C1",
                "type": "contract",
                "title": "Catering and cleaning",
                "skills": "catering;cleaning",
                "value": 300_000,
            },
            {
                "id": "C2",
                "type": "contract",
                "title": "Small catering",
                "skills": "catering",
                "value": 150_000,
            },
        ],
    )
    table = propose_consortia(match(ds))
    assert list(table.columns) == CONSORTIUM_COLUMNS
    assert set(table["opportunity_id"]) == {"C1"}  # F1 alone can take C2
    groups = {frozenset(m.split(";")) for m in table["members"]}
    # F2+F3 fall £50k short; F1+F2+F3 is not minimal; FAR is too far; a charity is no enterprise
    assert groups == {frozenset({"F1", "F2"}), frozenset({"F1", "F3"})}
    assert list(table["rank"]) == [1, 2] and table["score"].is_monotonic_decreasing
    first = table.iloc[0]
    assert first["consortium_id"] == "C1-C1" and first["capacity_cover"] >= 1.0
    assert first["skills_missing"] == ""
    assert "no single local enterprise" in first["reasons"]


def test_no_consortium_when_nobody_can():
    ds = make_dataset(
        [_firm("F1", "catering", 10_000, (500, 0)), _firm("F2", "catering", 10_000, (600, 0))],
        [
            {
                "id": "C1",
                "type": "contract",
                "title": "Catering",
                "skills": "catering",
                "value": 1_000_000,
            }
        ],
    )
    assert propose_consortia(match(ds)).empty


# -- against a naive reference: every candidate pair scored one at a time ------------------------

FIRM_CATEGORIES = ["business", "social_enterprise", "cooperative", "charity"]
FIRM_SKILLS = [["catering"], ["cleaning"], ["cook"], ["catering", "cleaning"], ["security"]]


def naive_consortia(engine, s):
    """The documented rules, with candidates from :func:`naive_pairs` and ``itertools``."""
    af, of = engine.assets.frame, engine.opps.frame
    pairs = [
        p
        for p in naive_pairs(engine, s.with_(min_score=0.0, top_k=0))
        if of["type"].iat[p["o"]] == "contract"
        and af["category"].iat[p["a"]] in CONSORTIUM_CATEGORIES
    ]
    out = []
    for o in sorted({p["o"] for p in pairs}):
        cands = [p for p in pairs if p["o"] == o]
        req = set(engine.opps.codes[o])
        value = float(engine.lot_value[o])
        caps = {p["a"]: af["capacity"].iat[p["a"]] for p in cands}
        if any(
            req <= p["cover"] and p["skill"] >= 1.0 and (np.isnan(value) or caps[p["a"]] >= value)
            for p in cands
        ) or np.isnan(value):
            continue
        top = sorted(
            (p for p in cands if not np.isnan(caps[p["a"]])),
            key=lambda p: (-p["score"], p["asset_id"]),
        )[:10]
        found, feasible = [], []
        for size in range(2, s.max_consortium_size + 1):
            for combo in combinations(top, size):
                ids = frozenset(p["asset_id"] for p in combo)
                if any(f <= ids for f in feasible):
                    continue
                cover = set().union(*(p["cover"] for p in combo)) & req
                if sum(caps[p["a"]] for p in combo) < value or len(cover) < len(req):
                    continue
                feasible.append(ids)
                mean = float(np.mean([p["score"] for p in combo]))
                score = round(max(0.0, mean - 0.05 * (size - 2)), 6)
                found.append((-score, size, [p["asset_id"] for p in combo]))
        found.sort()
        for rank, (neg, _, ids) in enumerate(found[: s.consortia_per_contract], start=1):
            out.append((of["opportunity_id"].iat[o], rank, ";".join(ids), -neg))
    return out


firm_st = st.fixed_dictionaries(
    {
        "category": st.sampled_from(FIRM_CATEGORIES),
        "skills": st.sampled_from(FIRM_SKILLS),
        "capacity": st.sampled_from([None, 30_000, 60_000, 90_000, 200_000]),
        "at": st.tuples(st.integers(-8, 8), st.integers(-8, 8)),
    }
)
contract_st = st.fixed_dictionaries(
    {
        "skills": st.sampled_from([["catering"], ["catering", "cleaning"], ["chef"], []]),
        "value": st.sampled_from([None, 50_000, 120_000, 250_000]),
        "quantity": st.sampled_from([None, 1, 2]),
        "at": st.sampled_from([(0, 0), (0, 0), (2000, 0)]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    firms=st.lists(firm_st, min_size=2, max_size=25),
    contracts=st.lists(contract_st, min_size=1, max_size=4),
    size=st.sampled_from([2, 3, 4]),
)
def test_consortia_equal_a_naive_search(firms, contracts, size):
    ds = make_dataset(
        [
            {
                **_firm(
                    f"F{i:02d}",
                    ";".join(f["skills"]),
                    f["capacity"],
                    (f["at"][0] * 600, f["at"][1] * 600),
                ),
                "kind": "community" if f["category"] == "charity" else "financial",
                "category": f["category"],
            }
            for i, f in enumerate(firms)
        ],
        [
            {
                "id": f"C{i}",
                "type": "contract",
                "title": f"contract {i}",
                "skills": ";".join(c["skills"]),
                "value": c["value"],
                "quantity": c["quantity"],
                "at": c["at"],
            }
            for i, c in enumerate(contracts)
        ],
    )
    result = match(ds, settings=MatchSettings(max_consortium_size=size))
    table = propose_consortia(result)
    columns = ("opportunity_id", "rank", "members", "score")
    got = list(zip(*(table[c] for c in columns), strict=True))
    want = naive_consortia(result._engine, result.settings)
    assert [g[:3] for g in got] == [w[:3] for w in want]
    assert np.allclose([g[3] for g in got], [w[3] for w in want])
