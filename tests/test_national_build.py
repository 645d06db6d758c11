"""Building a store batch by batch: the same problems as cwb validate, on every executor."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cwb.bench.national import bench_national, write_results
from cwb.cli import app
from cwb.dataset.validate import validate_dataset
from cwb.errors import DatasetError
from cwb.national import build_store, executor, open_store, read_projects
from cwb.national.build import GB_BOUNDS, hilbert_keys
from cwb.national.checks import validate_store
from cwb.synth.generate import synth_tables, write_synth
from cwb.synth.national import town_centres, write_national_synth

STORED = ("assets.parquet", "spend.parquet", "opportunities.parquet", "areas.parquet")


def _rewrite(path: Path, frame: gpd.GeoDataFrame, row_group: int) -> None:
    frame.to_parquet(path, index=False, row_group_size=row_group)


@pytest.fixture(scope="module")
def bad_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 synthetic assets in three row groups, with known bad rows across them."""
    folder = tmp_path_factory.mktemp("bad")
    tables = synth_tables(assets=3_000, opportunities=20, spend=400, seed=3)
    write_synth(tables, folder, fmt="parquet")
    assets = gpd.read_parquet(folder / "assets.parquet")
    assets.loc[5, "category"] = "spaceship"  # row 7
    assets.loc[1_500, "id"] = assets.loc[10, "id"]  # a repeated id two batches later
    assets.loc[2_500, "id"] = assets.loc[10, "id"]  # and again in the third
    assets.loc[2_999] = assets.loc[20]  # a repeated row, first in batch one
    assets.loc[2_100, "id"] = str(assets.loc[30, "id"]).lower()  # a look-alike id
    assets.loc[1_200, "name"] = "bad\x07name"  # a control character
    negative = assets.index[(assets["capacity"] > 0)][:260]  # more than the 200 listed
    assets.loc[negative, "capacity"] = -1.0
    _rewrite(folder / "assets.parquet", assets, 1_000)
    spend = gpd.read_parquet(folder / "spend.parquet")
    spend["amount"] = spend["amount"].astype(str)
    spend.loc[300, "amount"] = "lots"  # a spend row in its second batch
    spend.to_parquet(folder / "spend.parquet", index=False, row_group_size=250)
    return folder


def _stored_problems(folder: Path) -> list[str]:
    report = validate_dataset(folder)
    return [str(p) for p in report.problems if p.file in STORED or p.file.endswith(".toml")]


@pytest.mark.parametrize("workers", [None, 2])
def test_store_build_reports_what_validate_reports(
    bad_dataset: Path, tmp_path: Path, workers: int | None
) -> None:
    expected = _stored_problems(bad_dataset)
    assert any("spaceship" in p for p in expected)
    assert any("is already used on row 12" in p for p in expected)
    assert any("more rows with the same problem (negative)" in p for p in expected)
    with executor(workers) as run, pytest.raises(DatasetError) as raised:
        build_store([bad_dataset], tmp_path / "store", batch_rows=1_000, run=run)
    got = [str(p) for p in raised.value.problems]
    rows = [p for p in expected if ", row " in p]
    assert [p for p in got if ", row " in p] == rows  # same rows, same order
    assert sorted(got) == sorted(expected)
    assert "spend.parquet, row 302" in "\n".join(got)
    assert "assets.parquet, row 3001: duplicate row: the same as row 22" in "\n".join(got)


def test_clean_build_plain_and_localcluster_write_the_same_store(tmp_path: Path) -> None:
    sites = read_projects("nhp")[:4]
    source = write_national_synth(tmp_path / "src", 4_000, sites=sites, chunk=1_000).folder
    stores = {}
    for workers in (None, 2):
        out = tmp_path / f"store-{workers}"
        with executor(workers) as run:
            build_store([source], out, batch_rows=1_500, rows_per_file=1_200, run=run)
        stores[workers] = open_store(out)
    plain, local = stores[None], stores[2]
    assert plain.rows == local.rows == {"assets": 4_000, "spend": 400}
    assert [p.rows for p in plain.partitions["assets"]] == [
        p.rows for p in local.partitions["assets"]
    ]
    for a, b in zip(plain.files("assets"), local.files("assets"), strict=True):
        pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
    every = pd.concat([gpd.read_parquet(f) for f in plain.files("assets")], ignore_index=True)
    assert every["id"].is_unique
    keys = hilbert_keys(every.geometry)
    assert (np.diff(keys) >= 0).all()  # one curve across batches and files
    meta = pq.read_schema(plain.files("assets")[0]).metadata[b"geo"].decode()
    assert '"covering"' in meta


def test_hilbert_keys_clamp_to_the_national_extent() -> None:
    points = gpd.GeoSeries.from_xy([GB_BOUNDS[0] - 5, -1.9, 40.0, None], [52.0, 52.5, 70.0, None])
    points.iloc[3] = None
    keys = hilbert_keys(points)
    assert keys[3] == np.iinfo(np.int64).max
    assert len(set(keys[:3])) == 3


def test_synthetic_national_assets_follow_the_towns(tmp_path: Path) -> None:
    sites = read_projects("nhp")
    towns = town_centres()
    assert len(towns) > 300 and towns["lsoas"].sum() == 32_844
    folder = write_national_synth(tmp_path / "n", 20_000, sites=sites, chunk=5_000).folder
    assert pq.ParquetFile(folder / "assets.parquet").metadata.num_row_groups == 4
    assets = gpd.read_parquet(folder / "assets.parquet")
    located = assets.geometry.dropna().to_crs("EPSG:27700")
    smethwick = gpd.GeoSeries.from_xy([sites[0].lon], [sites[0].lat], crs=4326).to_crs(27700)
    share = float((located.distance(smethwick.iloc[0]) <= 5_000).mean())
    assert 0.001 < share < 0.05  # a catchment holds a small share, not an eighth
    london = gpd.GeoSeries.from_xy([-0.1276], [51.5072], crs=4326).to_crs(27700).iloc[0]
    assert float((located.distance(london) <= 30_000).mean()) > 0.08  # people live there


@pytest.fixture(scope="module")
def damaged_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose second asset file has a negative capacity and an id of the first file."""
    base = tmp_path_factory.mktemp("damaged")
    source = write_national_synth(
        base / "src", 3_000, sites=read_projects("nhp")[:3], chunk=1_000
    ).folder
    out = base / "store"
    build_store([source], out, rows_per_file=1_000)
    files = open_store(out).files("assets")
    first, second = gpd.read_parquet(files[0]), gpd.read_parquet(files[1])
    second = second.drop(columns=["bbox"], errors="ignore")
    second.loc[3, "id"] = first.loc[7, "id"]
    second.loc[9, "capacity"] = -5.0
    second.to_parquet(files[1], index=False, write_covering_bbox=True, row_group_size=200)
    return out


@pytest.mark.parametrize("workers", [None, 2])
def test_store_validation_by_partition_equals_validating_it_whole(
    damaged_store: Path, workers: int | None
) -> None:
    whole = [str(p) for p in validate_dataset(damaged_store).problems]
    rows = len(pd.read_parquet(open_store(damaged_store).files("assets")[0]))
    assert f"assets.parquet, row {rows + 5}, column id" in "\n".join(whole)
    assert f"assets.parquet, row {rows + 11}, column capacity" in "\n".join(whole)
    with executor(workers) as run:
        by_part = [str(p) for p in validate_store(damaged_store, run, batch_rows=300)]
    assert by_part == whole


def test_cli_store_validate_and_validate_of_a_store(damaged_store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["store", "validate", str(damaged_store)])
    assert result.exit_code == 1, result.output
    assert "is already used on row 9" in result.output
    result = runner.invoke(app, ["validate", str(damaged_store)])
    assert result.exit_code == 1 and "is already used on row 9" in result.output


def test_bench_national_reports_each_step(tmp_path: Path) -> None:
    steps = ("store_build", "catchment_read", "catalogue_plain_whole", "catalogue_store")
    results = bench_national([3_000], tmp_path, steps=steps, plain_max=1_000)
    by_step = {r.step: r for r in results}
    assert set(by_step) == set(steps)
    assert all(r.error is None for r in results), [r.error for r in results]
    assert by_step["store_build"].detail["files"] >= 1
    assert by_step["store_build"].peak_mb > 0
    assert (
        0
        <= by_step["catchment_read"].detail["median_s"]
        <= by_step["catchment_read"].detail["slowest_s"]
    )
    assert by_step["catalogue_plain_whole"].detail["not_run"] == "needs ~0 GB"
    assert by_step["catalogue_store"].detail["assets"] > 0
    assert "load" in by_step["catalogue_store"].detail
    table = write_results(results, tmp_path / "n.json").with_suffix(".md").read_text()
    assert "| 3,000 | catalogue_plain_whole | – | – |" in table
