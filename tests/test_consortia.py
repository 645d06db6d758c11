"""Consortia: minimal groups of nearby enterprises for contracts no single one can take."""

from __future__ import annotations

from match_helpers import make_dataset

from cwb.consortia import CONSORTIUM_COLUMNS, propose_consortia
from cwb.matching import match


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
    # F2+F3 fall £50k short; F1+F2+F3 is not minimal; FAR is too far; a charity is no enterprise here
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
