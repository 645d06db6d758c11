"""Matching: known scores on hand-made cases, privacy, and the fast path against a naive loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from match_helpers import decay, expected_score, make_areas, make_dataset, naive_matches

from cwb.errors import UsageError
from cwb.matching import prune as match_prune
from cwb.matching.core import MATCH_COLUMNS, MatchSettings, match
from cwb.matching.skills import Vocabulary

VOCAB = Vocabulary.load()


def _row(result, asset_id, opp_id):
    m = result.matches
    hit = m[(m["asset_id"] == asset_id) & (m["opportunity_id"] == opp_id)]
    assert len(hit) == 1, f"{asset_id} → {opp_id} not matched once: {len(hit)}"
    return hit.iloc[0]


def test_job_score_known_answer():
    areas = make_areas([("POOR", (-5000, -5000, 5000, 5000), 1.0)])
    ds = make_dataset(
        [
            {
                "id": "H1",
                "name": "Nurses",
                "kind": "human",
                "category": "skills_group",
                "skills": "RGN",
                "count": 10,
                "at": (1000, 0),
            }
        ],
        [
            {
                "id": "J1",
                "type": "job",
                "title": "Staff nurse",
                "skills": "registered nurse",
                "quantity": 3,
            }
        ],
        areas,
    )
    r = _row(match(ds), "H1", "J1")
    assert r["distance_m"] == pytest.approx(1000.0, abs=0.1)
    assert r["skill_score"] == 1.0
    assert r["deprivation_score"] == 1.0
    assert math.isnan(r["capacity_score"]) and math.isnan(r["pathway_score"])
    want = expected_score({"skills": 1.0, "distance": decay(r["distance_m"]), "deprivation": 1.0})
    assert r["score"] == pytest.approx(want, abs=1e-6)
    assert r["skills_covered"] == "registered nurse" and r["skills_missing"] == ""
    assert "has registered nurse" in r["reasons"] and "1.0 km from The Hospital" in r["reasons"]
    assert "IMD decile 1" in r["reasons"]
    assert list(match(ds).matches.columns) == MATCH_COLUMNS


def test_contract_related_skill_and_capacity():
    areas = make_areas([("RICH", (-5000, -5000, 5000, 5000), 10.0)])
    ds = make_dataset(
        [
            {
                "id": "F1",
                "name": "Cooks Ltd",
                "kind": "financial",
                "category": "business",
                "skills": "cook",
                "capacity": 50_000,
                "at": (0, 0),
            }
        ],
        [{"id": "C1", "type": "contract", "title": "Catering", "skills": "chef", "value": 100_000}],
        areas,
    )
    r = _row(match(ds), "F1", "C1")
    assert r["skill_score"] == 0.5  # a cook stands in for a chef at related_credit
    assert r["skills_partial"] == "chef" and r["skills_covered"] == ""
    assert r["capacity_score"] == 0.5  # £50k of a £100k lot
    assert r["deprivation_score"] == 0.0
    want = expected_score({"skills": 0.5, "distance": 1.0, "deprivation": 0.0, "capacity": 0.5})
    assert r["score"] == pytest.approx(want, abs=1e-6)
    assert "a consortium could bid" in r["reasons"]


def test_pathway_routes_overseas_nurses_to_a_nursing_post():
    ds = make_dataset(
        [
            {
                "id": "H1",
                "name": "Overseas nurses",
                "kind": "human",
                "category": "skills_group",
                "skills": "overseas nursing qualification",
                "count": 8,
                "at": (500, 0),
            },
            {
                "id": "H2",
                "name": "Cleaners",
                "kind": "human",
                "category": "skills_group",
                "skills": "cleaning",
                "count": 8,
                "at": (500, 0),
            },
        ],
        [
            {
                "id": "J1",
                "type": "job",
                "title": "Nurse",
                "skills": "registered nurse",
                "pathway": "overseas_nurse_registration",
            }
        ],
    )
    result = match(ds, settings=MatchSettings(min_score=0.0))
    r = _row(result, "H1", "J1")
    assert r["skill_score"] == pytest.approx(0.8)  # the pathway's credit beats the related credit
    assert r["pathway_score"] == 1.0 and r["skills_via_pathway"] == "registered nurse"
    assert "qualifies" in r["reasons"]
    # cleaners hold nothing the post asks for: not even a candidate
    assert "H2" not in set(result.matches["asset_id"])


def test_related_credit_beats_a_weaker_pathway_credit():
    ds = make_dataset(
        [
            {
                "id": "H1",
                "name": "Overseas nurses",
                "kind": "human",
                "category": "skills_group",
                "skills": "overseas nursing qualification",
                "count": 8,
                "at": (0, 0),
            }
        ],
        [
            {
                "id": "J1",
                "type": "job",
                "title": "Nurse",
                "skills": "registered nurse;cleaning",
                "pathway": "overseas_nurse_registration",
            }
        ],
    )
    r = _row(match(ds, settings=MatchSettings(related_credit=0.9, min_score=0.0)), "H1", "J1")
    assert r["skill_score"] == pytest.approx(0.45)  # max(0.8 pathway, 0.9 related) over two skills
    r = _row(match(ds, settings=MatchSettings(related_credit=0.5, min_score=0.0)), "H1", "J1")
    assert r["skill_score"] == pytest.approx(0.4)


def test_eligibility_distance_and_min_score_prune():
    ds = make_dataset(
        [
            {
                "id": "B1",
                "name": "Hall",
                "kind": "physical",
                "category": "community_centre",
                "skills": "catering",
                "at": (0, 0),
            },
            {
                "id": "F_far",
                "name": "Far firm",
                "kind": "financial",
                "category": "business",
                "skills": "catering",
                "at": (20_000, 0),
            },
            {
                "id": "F_near",
                "name": "Near firm",
                "kind": "financial",
                "category": "business",
                "skills": "catering",
                "at": (100, 0),
            },
        ],
        [
            {
                "id": "C1",
                "type": "contract",
                "title": "Catering",
                "skills": "catering",
                "value": 1000,
            }
        ],
    )
    ids = set(match(ds).matches["asset_id"])
    assert ids == {
        "F_near"
    }  # a building cannot take a contract; the far firm is beyond max_distance_m
    assert match(ds, settings=MatchSettings(min_score=0.99)).matches.empty


def test_top_k_ties_broken_by_distance_then_id():
    same = {"kind": "human", "category": "skills_group", "skills": "cook", "count": 5}
    ds = make_dataset(
        [
            {"id": "G3", "name": "c", **same, "at": (100, 0)},
            {"id": "G2", "name": "b", **same, "at": (100, 0)},
            {"id": "G1", "name": "a", **same, "at": (900, 0)},
        ],
        [{"id": "J1", "type": "job", "title": "Cook", "skills": "cook"}],
        matching={"weights": {"distance": 0.0}},  # equal scores: the tie-break decides
    )
    m = match(ds, settings=MatchSettings.for_dataset(ds, top_k=2)).matches
    assert list(m["asset_id"]) == ["G2", "G3"] and list(m["rank"]) == [1, 2]


def test_weights_from_dataset_toml_and_bad_settings():
    ds = make_dataset(
        [],
        [],
        matching={
            "weights": {
                "skills": 1.0,
                "distance": 0,
                "deprivation": 0,
                "pathway": 0,
                "capacity": 0,
            },
            "top_k": 3,
        },
    )
    s = MatchSettings.for_dataset(ds)
    assert s.weights["skills"] == 1.0 and s.top_k == 3
    with pytest.raises(UsageError, match="unknown component"):
        MatchSettings(weights={"charisma": 1.0})
    with pytest.raises(UsageError, match="not a project"):
        match(ds, project="nope")


def test_residents_only_as_groups_and_small_groups_suppressed():
    areas = make_areas([("A", (-3000, -3000, 0, 3000), 2.0), ("B", (0, -3000, 3000, 3000), 8.0)])
    people = [
        {
            "id": f"P{i}",
            "name": f"Person {i}",
            "kind": "human",
            "category": "individual",
            "skills": "cleaner",
            "contact_email": f"p{i}@example.org",
            "contact_phone": "0121",
            "at": (-1000 - i, 10 * i),
        }
        for i in range(6)
    ]
    people.append(
        {
            "id": "Q1",
            "name": "Lonely cook",
            "kind": "human",
            "category": "individual",
            "skills": "cook",
            "contact_name": "Ms Secret",
            "at": (1500, 0),
        }
    )
    ds = make_dataset(
        people,
        [
            {"id": "J1", "type": "job", "title": "Cleaner", "skills": "cleaning"},
            {"id": "J2", "type": "job", "title": "Cook", "skills": "cook"},
        ],
        areas,
        min_count=5,
    )
    result = match(ds)
    m = result.matches
    assert len(m) == 1
    gid = m.iloc[0]["asset_id"]
    assert gid.startswith("group:A:") and m.iloc[0]["count"] == 6
    assert sorted(result.members[gid]) == [f"P{i}" for i in range(6)]
    assert result.suppressed_residents == 1
    text = m.to_csv() + result.assets.drop(columns="geometry").to_csv()
    for secret in ("Person", "example.org", "Ms Secret", "Lonely", "P0", "Q1"):
        assert secret not in text
    assert not any(c.startswith("contact") for c in result.assets.columns)


def test_unlocated_rows_are_reported_not_dropped():
    ds = make_dataset(
        [
            {
                "id": "F1",
                "name": "Nowhere Ltd",
                "kind": "financial",
                "category": "business",
                "skills": "catering",
                "at": None,
            }
        ],
        [{"id": "C1", "type": "contract", "title": "Catering", "skills": "catering"}],
    )
    result = match(ds)
    assert result.matches.empty
    assert list(result.unlocated["id"]) == ["F1"]


def test_unknown_skills_still_match_and_are_reported():
    ds = make_dataset(
        [
            {
                "id": "F1",
                "name": "Weavers",
                "kind": "financial",
                "category": "cooperative",
                "skills": "underwater basket weaving",
                "at": (0, 0),
            }
        ],
        [
            {
                "id": "C1",
                "type": "contract",
                "title": "Baskets",
                "skills": "Underwater basket weaving",
            }
        ],
    )
    result = match(ds)
    assert _row(result, "F1", "C1")["skill_score"] == 1.0
    unknown = result.unknown_skills
    assert set(unknown["table"]) == {"assets", "opportunities"}
    assert list(unknown["count"]) == [1, 1]


# -- the fast path against a naive double loop --------------------------------------------------

TERMS = [
    "registered nurse",
    "RGN",
    "overseas nursing qualification",
    "cook",
    "chef",
    "catering",
    "cleaning",
    "kitchen assistant",
    "food hygiene",
    "meeting room",
    "wifi",
    "security",
    "zither tuning",
]
CATEGORIES = [
    ("human", "skills_group"),
    ("financial", "business"),
    ("financial", "social_enterprise"),
    ("community", "voluntary_group"),
    ("physical", "community_centre"),
    ("community", "charity"),
]
PATHWAYS = [None, "overseas_nurse_registration", "kitchen_to_cook", "sector_based_work_academy"]


point = st.tuples(st.integers(-12_000, 12_000), st.integers(-12_000, 12_000))
asset_st = st.fixed_dictionaries(
    {
        "cat": st.sampled_from(CATEGORIES),
        "skills": st.lists(st.sampled_from(TERMS), max_size=3),
        "capacity": st.one_of(st.none(), st.integers(0, 300_000)),
        "count": st.integers(1, 20),
        "at": st.one_of(point, point, point, st.none()),
    }
)
opp_st = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["job", "contract", "training", "volunteering", "space"]),
        "skills": st.lists(st.sampled_from(TERMS), max_size=3),
        "pathway": st.sampled_from(PATHWAYS),
        "value": st.one_of(st.none(), st.integers(0, 400_000)),
        "quantity": st.one_of(st.none(), st.integers(1, 4)),
        "at": st.one_of(st.just((0, 0)), point),
    }
)


def _random_dataset(assets, opps):
    areas = make_areas(
        [("A", (-20_000, -20_000, 0, 20_000), 1.0), ("B", (0, -20_000, 20_000, 0), 6.0)]
    )
    return make_dataset(
        [
            {
                "id": f"X{i:02d}",
                "name": f"asset {i}",
                "kind": a["cat"][0],
                "category": a["cat"][1],
                "skills": ";".join(a["skills"]),
                "capacity": a["capacity"],
                "count": a["count"],
                "at": a["at"],
            }
            for i, a in enumerate(assets)
        ],
        [
            {
                "id": f"O{i}",
                "type": o["type"],
                "title": f"opp {i}",
                "skills": ";".join(o["skills"]),
                "pathway": o["pathway"],
                "value": o["value"],
                "quantity": o["quantity"],
                "at": o["at"],
            }
            for i, o in enumerate(opps)
        ],
        areas,
    )


def _assert_fast_equals_naive(ds, s):
    """Both selection paths give the naive top matches.

    The defaults on small data (every candidate scored, distances measured
    directly), and the bound search over STRtree neighbours.
    """
    naive = None
    saved = match_prune.SMALL_CLASS, match_prune.DIRECT_DISTANCES
    try:
        for limits in (saved, (0, 0)):
            match_prune.SMALL_CLASS, match_prune.DIRECT_DISTANCES = limits
            result = match(ds, settings=s, vocabulary=VOCAB)
            fast = sorted(
                zip(
                    result.matches["opportunity_id"],
                    result.matches["rank"],
                    result.matches["asset_id"],
                    result.matches["score"],
                    strict=True,
                )
            )
            naive = naive_matches(result._engine, s) if naive is None else naive
            assert [(o, r, a) for o, r, a, _ in fast] == [(o, r, a) for o, r, a, _ in naive]
            assert np.allclose([x[3] for x in fast], [x[3] for x in naive], atol=1e-6)
    finally:
        match_prune.SMALL_CLASS, match_prune.DIRECT_DISTANCES = saved


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    assets=st.lists(asset_st, max_size=18),
    opps=st.lists(opp_st, min_size=1, max_size=6),
    min_score=st.sampled_from([0.0, 0.3, 0.55]),
    top_k=st.sampled_from([0, 1, 3]),
    max_distance=st.sampled_from([4000.0, 10_000.0]),
    related=st.sampled_from([0.5, 0.9]),
)
def test_fast_path_equals_naive_double_loop(assets, opps, min_score, top_k, max_distance, related):
    s = MatchSettings(
        min_score=min_score, top_k=top_k, max_distance_m=max_distance, related_credit=related
    )
    _assert_fast_equals_naive(_random_dataset(assets, opps), s)


# many assets sharing a few skill profiles and grid positions, opportunities sharing a few
# sites and lot values: ties everywhere, and classes large enough for the bound search to prune
grid = st.tuples(st.integers(-6, 6), st.integers(-6, 6)).map(lambda p: (p[0] * 700, p[1] * 700))
dense_asset_st = st.fixed_dictionaries(
    {
        "cat": st.sampled_from(CATEGORIES[:4]),
        "skills": st.sampled_from(
            [["cook"], ["chef"], ["catering"], ["cook", "cleaning"], ["kitchen assistant"], []]
        ),
        "capacity": st.sampled_from([None, 20_000, 80_000, 150_000]),
        "count": st.integers(1, 6),
        "at": grid,
    }
)
dense_opp_st = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["job", "contract", "training", "volunteering"]),
        "skills": st.sampled_from([["cook"], ["catering"], ["chef", "cleaning"], []]),
        "pathway": st.sampled_from([None, "kitchen_to_cook"]),
        "value": st.sampled_from([None, 50_000, 100_000]),
        "quantity": st.sampled_from([None, 1, 2]),
        "at": st.sampled_from([(0, 0), (0, 0), (1400, 0)]),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    assets=st.lists(dense_asset_st, min_size=10, max_size=70),
    opps=st.lists(dense_opp_st, min_size=1, max_size=8),
    min_score=st.sampled_from([0.0, 0.4, 0.6]),
    top_k=st.sampled_from([1, 2, 5]),
    decay=st.sampled_from([1500.0, 3000.0]),
    weights=st.sampled_from([None, {"distance": 0.0}, {"deprivation": 0.0, "capacity": 0.4}]),
)
def test_bound_search_equals_naive_on_dense_ties(assets, opps, min_score, top_k, decay, weights):
    s = MatchSettings(min_score=min_score, top_k=top_k, decay_m=decay, weights=weights or {})
    _assert_fast_equals_naive(_random_dataset(assets, opps), s)
