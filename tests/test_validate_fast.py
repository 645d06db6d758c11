"""The fast paths of validation and the catalogue give what the plain paths give.

Columns typed over their distinct values, control characters looked for in the raw
bytes, duplicate rows hashed only where ids repeat, points placed in areas through an
index over the areas, distance bands counted over integer codes: each is checked
against the plain computation on the same data, problems and dtypes included.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

import cwb.dataset._cell_types as cell_types
import cwb.dataset.validate as validate
from cwb.catalogue import _by_band, distance_bands
from cwb.dataset._checks import has_control_bytes
from cwb.dataset.geography import OUTSIDE_AREAS, assign_area_codes
from cwb.dataset.raw import _cells_by_value, _to_cells

#: Arrow-backed text under pandas 2 and 3 alike.
ARROW_TEXT = pd.StringDtype("pyarrow")
#: Messy cells, repeated so that a column holds few distinct values among many rows.
MESSY = {
    "capacity": ["12", "1,200", "1,5", "-3", "", "inf", "£40", "x"],
    "count": ["3", "2.5", "", "9007199254740993", "7", "-1", "4", "n/a"],
    "collected_on": ["2024-01-10", "10/01/2024", "2024-02-30", "", "soon", "2024-01-10"] * 1
    + ["2023-05-02", "31/12/2023"],
    "condition": ["good", "Good ", "poor", "", "excelent", "fair", "GOOD", "bad"],
    "sector": ["catering", "care\x07", "", "health", "care", "x\x00y", "retail", "care"],
    "floor_area_m2": ["100", "", "200.5", "abc", "-1", "100", "7", "8"],
    "extra_number": ["1", "2", "", "3.5", "1", "2", "1", "4"],
    "extra_text": ["a", "b", "", "c", "a", "b", "a", "d"],
    "category": ["library", "Library ", "libary", "", "charity", "social enterprise", "x", "park"],
}


def _messy_assets(folder: Path, rows: int, fmt: str) -> None:
    """Replace the mini dataset's assets with ``rows`` messy rows (a CSV or Parquet file)."""
    base = pd.read_csv(folder / "assets.csv", dtype=str, keep_default_na=False)
    picks = np.arange(rows) % len(base)
    frame = base.iloc[picks].reset_index(drop=True)
    frame["id"] = [f"A{i}" for i in range(rows)]
    frame.loc[5, "id"] = "A1"  # a repeated id
    for name, values in MESSY.items():
        frame[name] = [values[i % len(values)] for i in range(rows)]
    frame.iloc[rows - 1] = frame.iloc[rows - 2]  # a duplicate row
    (folder / "assets.csv").unlink()
    toml = folder / "dataset.toml"
    if fmt == "csv":
        frame.to_csv(folder / "assets.csv", index=False)
    else:
        typed = frame.assign(extra_number=pd.to_numeric(frame["extra_number"]))
        typed.to_parquet(folder / "assets.parquet", index=False)
        toml.write_text(toml.read_text().replace("assets.csv", "assets.parquet"))


def _validate_both_ways(folder: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cell_types, "BY_VALUE_MIN_ROWS", 10**9)  # row by row
    plain = validate.validate_folder(folder)
    monkeypatch.setattr(cell_types, "BY_VALUE_MIN_ROWS", 1)  # value by value
    fast = validate.validate_folder(folder)
    return plain, fast


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_typing_by_distinct_values_matches_row_by_row(
    mini_copy: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    _messy_assets(mini_copy, 240, fmt)
    plain, fast = _validate_both_ways(mini_copy, monkeypatch)
    codes = {p.code for p in plain.problems}
    assert {"not_a_number", "not_a_date", "unknown_condition", "control_character"} <= codes
    assert {"duplicate_row", "duplicate_id", "negative", "unknown_category"} <= codes
    assert fast.problems == plain.problems
    assert fast.counts == plain.counts
    assert fast.dataset is not None and plain.dataset is not None
    pd.testing.assert_frame_equal(fast.dataset.assets, plain.dataset.assets, check_exact=True)
    assert fast.dataset.assets["extra_number"].dtype == "float64"


def test_the_problems_of_a_repeated_value_name_every_row(
    mini_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _messy_assets(mini_copy, 40, "csv")
    _, fast = _validate_both_ways(mini_copy, monkeypatch)
    rows = [p.row for p in fast.problems if p.code == "not_a_date" and p.value == "soon"]
    assert rows == [2 + i for i in range(40) if i % 8 == 4][: len(rows)]
    assert len(rows) == 5


def test_control_bytes_are_found_in_arrow_text() -> None:
    control = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
    text = pd.Series(["plain", "tab\tand\nnewline\r", "é ü 中"], dtype=ARROW_TEXT)
    assert not has_control_bytes(text, control)
    assert has_control_bytes(pd.Series(["ok", "bell\x07"], dtype=ARROW_TEXT), control)
    assert has_control_bytes(pd.Series(["del\x7f"], dtype=ARROW_TEXT), control)
    assert not has_control_bytes(pd.Series(["", ""], dtype=ARROW_TEXT), control)  # no data buffer
    chunked = pa.chunked_array([["a", "b"], ["c\x01"]], type=pa.large_string())
    series = pd.Series(pd.arrays.ArrowStringArray(chunked))
    assert has_control_bytes(series, control)
    assert has_control_bytes(pd.Series(["x"], dtype=object), control)  # not Arrow: look


def test_a_control_character_in_parquet_is_reported_as_in_csv(mini_copy: Path) -> None:
    frame = pd.read_csv(mini_copy / "assets.csv", dtype=str, keep_default_na=False)
    frame.loc[1, "name"] = "Smethwick\x0bLibrary"
    frame.to_parquet(mini_copy / "assets.parquet", index=False)
    (mini_copy / "assets.csv").unlink()
    toml = mini_copy / "dataset.toml"
    toml.write_text(toml.read_text().replace("assets.csv", "assets.parquet"))
    report = validate.validate_folder(mini_copy)
    found = [p for p in report.problems if p.code == "control_character"]
    assert [(p.row, p.column, p.value) for p in found] == [(3, "name", "'Smethwick\\x0bLibrary'")]


def test_points_in_areas_match_a_spatial_join() -> None:
    rng = np.random.default_rng(0)
    areas = gpd.GeoDataFrame(
        {"code": ["W1", "L1", None, "L2", "E"]},
        geometry=[
            box(0, 0, 10, 10),  # a ward holding the two areas below: the first wins
            box(0, 0, 5, 5),
            box(20, 20, 30, 30),  # no code: its points are outside every area
            Polygon([(5, 0), (10, 0), (10, 10)]),
            Polygon(),  # empty: holds nothing
        ],
        crs="EPSG:27700",
    )
    xy = rng.uniform(-2, 32, size=(3000, 2))
    on_edges = [(0, 0), (5, 5), (10, 3), (2.5, 0), (25, 25)]
    points = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in [*xy, *on_edges]], crs="EPSG:27700")
    got = assign_area_codes(points, areas)
    hits = gpd.sjoin(points, areas, how="left", predicate="within")
    hits = hits[~hits.index.duplicated(keep="first")]
    expected = hits["code"].astype(object).where(hits["code"].notna(), None)
    expected = expected.fillna(OUTSIDE_AREAS).astype(str)
    assert (got == "W1").any() and (got == OUTSIDE_AREAS).any()
    pd.testing.assert_series_equal(got, expected.reindex(points.index), check_names=False)
    ordered = assign_area_codes(points, areas.iloc[[1, 0, 2, 3, 4]])
    assert (ordered == "L1").any()  # the areas' order decides between overlapping areas


def test_bands_counted_over_codes_match_cut_labels() -> None:
    bands = (1000.0, 3000.0)
    distances = pd.DataFrame(
        {"p": [0.0, 1000.0, 1000.0001, np.nan, 3000.0, 7000.0, 999.9, 2500.0, np.nan]}
    )
    base = pd.DataFrame(
        {
            "kind": ["human", "physical", "human", None, "human", "physical", "human", "x", "x"],
            "category": ["a"] * 9,
            "residents": [3, 0, 4, 9, 5, 0, 2, 0, 0],
        }
    )
    got = _by_band(base, distances, pd.Series(["p"]), bands)
    part = base.assign(project="p", band=distance_bands(distances["p"], bands).to_numpy())
    expected = (
        part.groupby(["project", "band", "kind"], sort=False)
        .agg(assets=("kind", "size"), residents=("residents", "sum"))
        .reset_index()
    )
    key = ["project", "band", "kind"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_exact=True,
    )


def test_float_cells_written_once_per_value_match_cell_by_cell() -> None:
    rng = np.random.default_rng(1)
    special = [0.0, -0.0, 1.5, np.nan, 1e20, 2.0**53, 2.0**53 + 2, 0.1 + 0.2, -3.0, 1e-300]
    values = rng.choice(np.array(special), 3000)
    frame = pd.DataFrame(
        {"a": values, "text": pd.Series(["x"] * 3000, dtype="str"), "b": values / 3}
    )
    pd.testing.assert_frame_equal(_cells_by_value(frame), _to_cells(frame), check_exact=True)


def test_polygon_rings_are_oriented_and_points_kept(mini_copy: Path) -> None:
    areas = gpd.read_file(mini_copy / "areas.geojson")
    clockwise = [shapely.orient_polygons(g, exterior_cw=True) for g in areas.geometry]
    areas.set_geometry(gpd.GeoSeries(clockwise, crs=areas.crs)).to_file(
        mini_copy / "areas.geojson", driver="GeoJSON"
    )
    assert not any(g.exterior.is_ccw for g in gpd.read_file(mini_copy / "areas.geojson").geometry)
    report = validate.validate_folder(mini_copy)
    assert report.dataset is not None
    assert all(g.exterior.is_ccw for g in report.dataset.areas.geometry)
    assert (report.dataset.assets.geometry.dropna().geom_type == "Point").all()
