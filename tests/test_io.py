"""Reading and writing datasets: read → write → read gives equal tables in every format."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import cwb
from cwb.dataset.io import write_table
from cwb.dataset.manifest import manifest_from_dict
from cwb.demo import demo_dataset_path
from cwb.errors import UsageError

FORMATS = ["csv", "xlsx", "geojson", "gpkg", "parquet", "shp"]


def assert_same_tables(a: cwb.Dataset, b: cwb.Dataset) -> None:
    assert a.tables().keys() == b.tables().keys()
    for name, table in a.tables().items():
        assert_frame_equal(pd.DataFrame(table), pd.DataFrame(b.tables()[name]), obj=name)
    assert [p.id for p in a.manifest.projects] == [p.id for p in b.manifest.projects]
    assert a.manifest.settings == b.manifest.settings


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_mini(mini_path: Path, tmp_path: Path, fmt: str) -> None:
    ds = cwb.read_dataset(mini_path)
    cwb.write_dataset(ds, tmp_path / fmt, format=fmt)
    assert (tmp_path / fmt / f"assets{cwb.dataset.io.SUFFIXES[fmt]}").exists()
    assert_same_tables(ds, cwb.read_dataset(tmp_path / fmt))


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "parquet"])
def test_round_trip_demo(tmp_path: Path, fmt: str) -> None:
    ds = cwb.read_dataset(demo_dataset_path())
    cwb.write_dataset(ds, tmp_path, format=fmt)
    assert_same_tables(ds, cwb.read_dataset(tmp_path))


def test_tricky_text_survives_csv(mini_copy: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(mini_copy / "assets.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "description"] = 'line one\r\nline "two", with <b>tags</b> and ünïcödé'
    frame.loc[1, "registered_number"] = "00123456"  # leading zeros are text, not numbers
    frame.to_csv(mini_copy / "assets.csv", index=False, lineterminator="\r\n")
    ds = cwb.read_dataset(mini_copy)
    cwb.write_dataset(ds, tmp_path / "out")
    again = cwb.read_dataset(tmp_path / "out")
    assert again.assets.loc[0, "description"] == frame.loc[0, "description"]
    assert again.assets.loc[1, "registered_number"] == "00123456"


def test_writes_are_atomic(tmp_path: Path, mini_path: Path) -> None:
    ds = cwb.read_dataset(mini_path)
    target = tmp_path / "assets.csv"
    target.write_text("old content")
    bad = ds.assets.copy()
    bad["description"] = "x" * 40_000  # too long for an Excel cell: the xlsx write fails
    with pytest.raises(UsageError, match="Excel"):
        write_table(bad, tmp_path / "assets.xlsx")
    assert not (tmp_path / "assets.xlsx").exists()
    write_table(ds.assets, target)
    assert target.read_text().startswith("id,name,kind,category,lat,lon")
    assert [p.name for p in tmp_path.iterdir()] == ["assets.csv"]  # no temporary files left


def test_unknown_format_is_a_usage_error(mini_path: Path, tmp_path: Path) -> None:
    ds = cwb.read_dataset(mini_path)
    with pytest.raises(UsageError, match="format must be one of"):
        cwb.write_dataset(ds, tmp_path, format="kml")
    with pytest.raises(UsageError, match="unsupported file type"):
        write_table(ds.assets, tmp_path / "assets.kml")


def test_read_dataset_of_a_file_is_a_usage_error(mini_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        cwb.read_dataset(mini_path / "assets.csv")


def test_manifest_column_mapping(mini_copy: Path) -> None:
    frame = pd.read_csv(mini_copy / "postcodes.csv", dtype=str)
    frame.columns = ["Postcode", "LAT", "LONG"]
    frame.to_csv(mini_copy / "postcodes.csv", index=False)
    manifest = (
        (mini_copy / "dataset.toml")
        .read_text()
        .replace(
            'postcodes = "postcodes.csv"',
            'postcodes = { path = "postcodes.csv", '
            'columns = { postcode = "Postcode", lat = "LAT", lon = "LONG" } }',
        )
    )
    (mini_copy / "dataset.toml").write_text(manifest)
    ds = cwb.read_dataset(mini_copy)
    assert ds.assets.loc[0, "precision"] == "postcode"


def test_manifest_round_trip_keeps_settings() -> None:
    raw = {
        "dataset": {"name": 'Quotes " and \\ backslashes'},
        "projects": [{"id": "p", "name": "P", "lat": 52.5, "lon": -1.9, "beds": 736}],
        "spend": {
            "buyer_projects": {"Sandwell and West Birmingham NHS Trust": "p"},
            "geographies": [{"name": "neighbourhood", "areas": "all"}],
            "fx": {"EUR": 0.85},
        },
        "matching": {"weights": {"skills": 0.5, "distance": 0.5}, "top_k": 3},
    }
    manifest = manifest_from_dict(raw)
    again = manifest_from_dict(tomllib.loads(manifest.to_toml()))
    assert again.name == raw["dataset"]["name"]
    assert again.settings == manifest.settings
    assert again.projects == manifest.projects
