"""``cwb match`` and ``cwb gaps`` through the CLI; the done-when checks on the Birmingham demo."""

from __future__ import annotations

import pandas as pd
import pytest
from match_helpers import make_dataset
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset, write_dataset
from cwb.demo import matching_step
from cwb.matching.core import MATCH_COLUMNS
from cwb.pipeline import Pipeline

runner = CliRunner()


@pytest.fixture
def small(tmp_path):
    ds = make_dataset(
        [
            {
                "id": "H1",
                "name": "Cooks of Soho",
                "kind": "human",
                "category": "skills_group",
                "skills": "cook;chef",
                "count": 6,
                "at": (400, 0),
                "contact_email": "lead@example.org",
            },
            {
                "id": "F1",
                "name": "Tiffin Co-op",
                "kind": "financial",
                "category": "cooperative",
                "skills": "catering",
                "capacity": 90_000,
                "at": (900, 300),
            },
            {
                "id": "B1",
                "name": "Old Hall",
                "kind": "physical",
                "category": "community_centre",
                "skills": "meeting room;wifi",
                "at": (200, 200),
            },
        ],
        [
            {"id": "J1", "type": "job", "title": "Cook", "skills": "cook", "quantity": 4},
            {
                "id": "C1",
                "type": "contract",
                "title": "Café",
                "skills": "catering",
                "value": 80_000,
            },
            {
                "id": "S1",
                "type": "space",
                "title": "Recruitment day venue",
                "skills": "meeting room;wifi",
            },
            {"id": "J2", "type": "job", "title": "Welder", "skills": "welding", "quantity": 2},
        ],
    )
    return write_dataset(ds, tmp_path / "small")


def test_match_writes_csv_with_reasons_and_prints_a_summary(small, tmp_path):
    out = tmp_path / "matches.csv"
    res = runner.invoke(app, ["match", str(small), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "matches" in res.output and "job" in res.output
    table = pd.read_csv(out)
    assert list(table.columns) == MATCH_COLUMNS
    assert set(zip(table["asset_id"], table["opportunity_id"], strict=True)) == {
        ("H1", "J1"),
        ("F1", "C1"),
        ("B1", "S1"),
    }
    assert table["reasons"].str.len().min() > 20
    assert "example.org" not in out.read_text()


def test_match_options(small, tmp_path):
    out = tmp_path / "m.csv"
    assert (
        runner.invoke(app, ["match", str(small), "-o", str(out), "--min-score", "0.99"]).exit_code
        == 0
    )
    assert pd.read_csv(out).empty
    res = runner.invoke(app, ["match", str(small), "--project", "nowhere"])
    assert res.exit_code == 2 and "not a project" in res.output
    assert runner.invoke(app, ["match", str(small), "--top-k", "-1"]).exit_code == 2
    help_text = runner.invoke(app, ["match", "--help"]).output
    assert "Example" in help_text and "--top-k" in help_text


def test_gaps_lists_training_needs_and_untapped(small, tmp_path):
    out = tmp_path / "gaps.csv"
    res = runner.invoke(app, ["gaps", str(small), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    needs = table[table["gap"] == "training_need"].set_index("id")
    assert needs.loc["unknown:welding", "unfilled_units"] == 2  # nobody local welds
    unknown = table[table["gap"] == "unknown_skill"].set_index("id")
    assert unknown.loc["welding", "units"] == 1 and unknown.loc["welding", "detail"] == "rows J2"
    assert "Example" in runner.invoke(app, ["gaps", "--help"]).output


def test_demo_done_when(tmp_path):
    from cwb.demo import demo_dataset_path

    ds = read_dataset(demo_dataset_path())
    written = matching_step(Pipeline(ds), tmp_path)
    assert sorted(p.name for p in written) == [
        "allocation.csv",
        "consortia.csv",
        "gaps.csv",
        "matches.csv",
    ]
    m = pd.read_csv(tmp_path / "matches.csv")
    assert m["reasons"].notna().all() and (m["reasons"].str.len() > 0).all()
    nurses = m[
        m["asset_name"].str.contains("Overseas-qualified nurses")
        & m["opportunity_title"].str.contains("Registered nurse")
    ]
    assert len(nurses) and nurses["pathway"].eq("overseas_nurse_registration").any()
    se = m[(m["asset_category"] == "social_enterprise") & (m["opportunity_type"] == "contract")]
    assert len(se)
    consortia = pd.read_csv(tmp_path / "consortia.csv")
    assert len(consortia) and (consortia["value"] >= 500_000).any()
    assert (consortia["size"].between(2, 4)).all()
    text = "".join(p.read_text() for p in written)
    for column in ("contact_name", "contact_email", "contact_phone"):
        assert column not in text
    human_ids = set(ds.assets.loc[ds.assets["kind"] == "human", "id"])
    small_groups = set(
        ds.assets.loc[
            (ds.assets["kind"] == "human") & (pd.to_numeric(ds.assets["count"]) < ds.min_count),
            "id",
        ]
    )
    assert not small_groups & set(m["asset_id"])
    assert human_ids & set(m["asset_id"])
