"""Tests for cwb.synth and `cwb synth`: valid, deterministic, realistic synthetic datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.dataset.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES, split_list
from cwb.dataset.validate import validate_dataset
from cwb.errors import UsageError
from cwb.synth.generate import KIND_WEIGHTS, synth_dataset, synth_tables
from cwb.synth.geography import PROJECT_SITES
from cwb.synth.sampling import (
    SkillVocabulary,
    apportion,
    load_skill_vocabulary,
    vocabulary_from_rows,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def small():
    return synth_tables(assets=1_500, opportunities=60, spend=400, seed=7)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "gpkg"])
def test_written_dataset_validates_cleanly(tmp_path: Path, fmt: str) -> None:
    result = synth_dataset(
        tmp_path / "ds", assets=800, opportunities=40, spend=300, seed=3, fmt=fmt
    )
    report = validate_dataset(result.folder)
    assert report.errors == []
    assert report.warnings == []
    # nothing dropped: every row generated is read back
    for table, rows in result.counts.items():
        if table != "postcodes":
            assert report.counts[table].read == rows
    assert {p.suffix for p in result.files} >= {".toml", ".csv" if fmt == "csv" else f".{fmt}"}


def test_read_dataset_locates_every_row(tmp_path: Path) -> None:
    synth_dataset(tmp_path, assets=1_000, opportunities=30, seed=1, fmt="parquet")
    ds = read_dataset(tmp_path)
    assert len(ds.assets) == 1_000
    assert set(ds.assets["precision"]) == {"exact", "postcode", "area"}
    assert ds.assets.geometry.notna().all()
    assert ds.spend.geometry.notna().all()
    assert ds.areas["imd_decile"].between(1, 10).all()
    assert {p.id for p in ds.manifest.projects} == {s[0] for s in PROJECT_SITES[:3]}
    # residents' groups are located by area or postcode, never by exact coordinates
    human = ds.assets[ds.assets["kind"] == "human"]
    assert set(human["precision"]) <= {"area", "postcode"}


def test_same_seed_same_tables_other_seed_different() -> None:
    a = synth_tables(assets=700, opportunities=30, seed=11)
    b = synth_tables(assets=700, opportunities=30, seed=11)
    c = synth_tables(assets=700, opportunities=30, seed=12)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert not a.tables["assets"]["lat"].equals(c.tables["assets"]["lat"])
    assert a.manifest.to_toml() == b.manifest.to_toml()


def test_same_seed_same_files(tmp_path: Path) -> None:
    first = synth_dataset(tmp_path / "a", assets=400, opportunities=20, seed=5)
    second = synth_dataset(tmp_path / "b", assets=400, opportunities=20, seed=5)
    for path in first.files:
        assert path.read_bytes() == (second.folder / path.name).read_bytes(), path.name


def test_every_kind_category_and_type_present(small) -> None:
    assets = small.tables["assets"]
    for kind, categories in ASSET_CATEGORIES.items():
        present = set(assets.loc[assets["kind"] == kind, "category"])
        assert present == set(categories), kind
    assert set(small.tables["opportunities"]["type"]) == set(OPPORTUNITY_TYPES)


def test_kind_proportions_follow_the_weights() -> None:
    assets = synth_tables(assets=20_000, opportunities=10, seed=2).tables["assets"]
    shares = assets["kind"].value_counts(normalize=True)
    total = sum(KIND_WEIGHTS.values())
    for kind, weight in KIND_WEIGHTS.items():
        assert shares[kind] == pytest.approx(weight / total, abs=0.01)


def test_human_and_other_columns_are_typed_sensibly(small) -> None:
    assets = small.tables["assets"]
    human = assets["kind"] == "human"
    assert (assets.loc[human, "count"] >= 1).all()
    assert (assets.loc[assets["category"] == "individual", "count"] == 1).all()
    assert assets.loc[~human, "count"].isna().all()
    assert assets.loc[human, "capacity"].isna().all()
    assert (assets.loc[~human, "capacity"] >= 0).all()
    assert assets.loc[human, "skills"].notna().all()
    vocab = load_skill_vocabulary()
    offered = {
        s
        for cell in assets.loc[assets["kind"] == "physical", "skills"].dropna()
        for s in split_list(cell)
    }
    assert offered <= set(vocab.by_sector.get("space", ()))  # rooms and kitchens, not trades
    assert assets.loc[assets["kind"] == "physical", "sector"].isna().all()
    assert assets["id"].is_unique
    opps = small.tables["opportunities"]
    assert (opps["quantity"] >= 1).all()
    assert opps.loc[opps["type"] == "contract", "value"].gt(0).all()
    assert opps.loc[opps["type"] == "job", "pay_band"].notna().all()
    spend = small.tables["spend"]
    assert len(spend) == 400 and spend["id"].is_unique
    assert spend["postcode"].notna().all()


def test_skills_come_from_the_shared_vocabulary(small) -> None:
    labels = set(load_skill_vocabulary().labels)
    for table in ("assets", "opportunities"):
        used = {s for cell in small.tables[table]["skills"].dropna() for s in split_list(cell)}
        assert used and used <= labels
        # a row never repeats a skill
        for cell in small.tables[table]["skills"].dropna().head(300):
            items = split_list(cell)
            assert len(items) == len(set(items))


def test_assets_cluster_around_the_projects(small) -> None:
    assets = small.tables["assets"].dropna(subset=["lat"])
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_bng.transform(assets["lon"].to_numpy(), assets["lat"].to_numpy())
    projects = small.manifest.projects
    px, py = to_bng.transform([p.lon for p in projects], [p.lat for p in projects])
    nearest = np.min(np.hypot(x[:, None] - np.array(px), y[:, None] - np.array(py)), axis=1)
    assert np.median(nearest) < 3_000  # most assets within walking distance of a project
    assert np.quantile(nearest, 0.95) < 12_000


def test_more_projects_than_known_sites() -> None:
    synth = synth_tables(assets=300, opportunities=30, projects=7, seed=4)
    ids = [p.id for p in synth.manifest.projects]
    assert len(ids) == len(set(ids)) == 7
    assert set(synth.tables["opportunities"]["project"]) <= set(ids)


def test_links_join_distinct_known_assets(small) -> None:
    links = small.tables["links"]
    ids = set(small.tables["assets"]["id"])
    assert len(links) == 1_500 // 20
    assert set(links["source"]) <= ids and set(links["target"]) <= ids
    assert (links["source"] != links["target"]).all()
    assert not links.duplicated(["source", "target"]).any()


@settings(max_examples=60, deadline=None)
@given(total=st.integers(0, 5_000), weights=st.lists(st.floats(0.001, 10), min_size=1, max_size=30))
def test_apportion_adds_up_and_covers_every_key(total: int, weights: list[float]) -> None:
    keyed = {f"k{i}": w for i, w in enumerate(weights)}
    counts = apportion(total, keyed, at_least_one=True)
    assert sum(counts.values()) == total
    if total >= len(keyed):
        assert min(counts.values()) >= 1


def test_vocabulary_from_rows_groups_by_sector() -> None:
    rows = [
        {"id": "A1", "skills": "cooking;food hygiene", "sector": "catering"},
        {"id": "A2", "skills": "driving", "sector": "transport"},
        {"id": "A3", "skills": "cooking", "sector": ""},
    ]
    vocab = vocabulary_from_rows(rows, "skills", "test")
    assert vocab is not None
    assert vocab.by_sector == {
        "catering": ("cooking", "food hygiene"),
        "general": ("cooking",),
        "transport": ("driving",),
    }
    assert vocabulary_from_rows([], "skills", "test") is None
    assert vocabulary_from_rows([{"id": "x"}], "skills", "test") is None


def test_custom_vocabulary_is_used() -> None:
    vocab = SkillVocabulary({"catering": ("cooking",), "care": ("care work", "first aid")}, "test")
    synth = synth_tables(assets=200, opportunities=10, seed=1, vocabulary=vocab)
    used = {s for cell in synth.tables["assets"]["skills"].dropna() for s in split_list(cell)}
    assert used <= {"cooking", "care work", "first aid"}
    assert synth.vocabulary_source == "test"


def test_refuses_a_non_empty_folder_unless_overwriting(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not empty"):
        synth_dataset(tmp_path, assets=50, opportunities=5)
    synth_dataset(tmp_path, assets=50, opportunities=5, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "dataset.toml").exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"assets": 0, "opportunities": 5},
        {"assets": 5, "opportunities": 0},
        {"assets": 5, "opportunities": 5, "projects": 0},
        {"assets": 5, "opportunities": 5, "spend": -1},
    ],
)
def test_bad_sizes_are_usage_errors(kwargs: dict) -> None:
    with pytest.raises(UsageError):
        synth_tables(**kwargs)


def test_cli_synth_then_validate(tmp_path: Path) -> None:
    target = tmp_path / "synthetic"
    result = runner.invoke(
        app,
        [
            "synth",
            str(target),
            "--assets",
            "300",
            "--opportunities",
            "20",
            "--seed",
            "9",
            "--format",
            "parquet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "assets.parquet" in result.output
    assert runner.invoke(app, ["validate", str(target)]).exit_code == 0


def test_cli_synth_usage_errors(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["synth", str(tmp_path / "x"), "--assets", "10", "--format", "xls"])
    assert bad.exit_code == 2
    assert "--format" in bad.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a.txt").write_text("x")
    assert runner.invoke(app, ["synth", str(tmp_path / "full"), "--assets", "10"]).exit_code == 2
