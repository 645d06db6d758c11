"""The vectorised paths of matching, gaps, spend and flows give what the slower paths gave.

Each fast path of the 1M pipeline (issue 16) is checked against the plain
computation it replaced, on the demo dataset and on hand-made edge cases.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cwb.dataset.io import read_dataset
from cwb.dataset.parsing import parse_dates
from cwb.flows.table import dataset_places
from cwb.matching.core import match, match_dataset
from cwb.matching.engine import _id_order, _metric_xy
from cwb.matching.gaps import _text_column
from cwb.matching.prune import _ranges, iter_classes, plausible_assets
from cwb.matching.skills import skill_resolutions, unknown_skills
from cwb.spend.load import date_values
from cwb.spend.register import _place_keys
from cwb.spend.relocal import _FirmTerms
from cwb.text import _normalise_names_slow, normalise_names

DEMO = Path(__file__).resolve().parents[1] / "data" / "birmingham"
needs_demo = pytest.mark.skipif(
    not (DEMO / "dataset.toml").exists(), reason="data/birmingham not present"
)


@pytest.fixture(scope="module")
def demo():
    return read_dataset(DEMO)


# -- names --------------------------------------------------------------------------------------
NAMES = [
    "The Cape Hill Catering C.I.C.",
    "  A&B   Co.  ",
    "İstanbul Kebab LTD",
    "Théâtre de la Ville",
    "x\ty\nz trust",
    "O'Neil's  PLC ",
    "",
    "ΣΟΦΙΑ Ltd",
    None,
    float("nan"),
]


@pytest.mark.parametrize("dtype", [object, "str"])
def test_names_fast_path_equals_pandas_string_methods(dtype: object) -> None:
    column = pd.Series(NAMES, dtype=dtype, index=range(10, 20), name="supplier")
    text = column.astype(object).fillna("").astype(str)
    got = normalise_names(column)
    pd.testing.assert_series_equal(got, _normalise_names_slow(text), check_exact=True)
    assert got.index.equals(column.index) and got.name == "supplier"
    assert got[10] == "cape hill catering" and got[11] == "a and b" and got[18] == ""


def test_names_of_an_empty_column() -> None:
    assert normalise_names(pd.Series([], dtype=object)).tolist() == []


# -- coordinates --------------------------------------------------------------------------------
def _by_geopandas(geoms: gpd.GeoSeries, crs: str) -> tuple[np.ndarray, np.ndarray]:
    pts = geoms.to_crs(crs).to_numpy()
    pts = np.where(shapely.get_type_id(pts) != 0, shapely.point_on_surface(pts), pts)
    return shapely.get_x(pts), shapely.get_y(pts)


@pytest.mark.filterwarnings("ignore:GeoSeries.notna")
def test_points_are_projected_as_geopandas_projects_them() -> None:
    geoms = gpd.GeoSeries(
        [shapely.Point(-1.9, 52.48), None, shapely.Point(-1.95, 52.5), shapely.Point()],
        crs="EPSG:4326",
    )
    x, y, located = _metric_xy(geoms, "EPSG:27700")
    assert located.tolist() == [True, False, True, False]
    ex, ey = _by_geopandas(geoms[located], "EPSG:27700")
    assert np.array_equal(x[located], ex) and np.array_equal(y[located], ey)
    assert np.isnan(x[~located]).all()


def test_polygons_and_3d_points_take_the_geopandas_path() -> None:
    square = shapely.box(-1.91, 52.47, -1.89, 52.49)
    geoms = gpd.GeoSeries([shapely.Point(-1.9, 52.48, 120.0), square], crs="EPSG:4326")
    x, y, located = _metric_xy(geoms, "EPSG:27700")
    ex, ey = _by_geopandas(geoms, "EPSG:27700")
    assert located.all() and np.array_equal(x, ex) and np.array_equal(y, ey)


def test_points_already_in_the_metric_crs_are_kept() -> None:
    geoms = gpd.GeoSeries([shapely.Point(400000.5, 290000.25)], crs="EPSG:27700")
    x, y, _ = _metric_xy(geoms, "EPSG:27700")
    assert (x[0], y[0]) == (400000.5, 290000.25)


# -- matching and gaps --------------------------------------------------------------------------
@needs_demo
def test_plausible_assets_are_the_assets_of_the_pools(demo) -> None:
    engine = match(demo)._engine
    expected = np.zeros(len(engine.assets.ids), dtype=bool)
    for c in iter_classes(engine, np.arange(len(engine.opps.ids))):
        expected[c.pool.idx[_ranges(c.pool.seg_start[c.segs], c.pool.seg_end[c.segs])]] = True
    got = plausible_assets(engine)
    assert expected.any() and np.array_equal(got, expected)


@needs_demo
def test_untapped_assets_are_sorted_by_kind_category_and_id(demo) -> None:
    untapped = match_dataset(demo).gaps.untapped
    assert len(untapped)
    expected = untapped.sort_values(["kind", "category", "asset_id"], ignore_index=True)
    pd.testing.assert_frame_equal(untapped, expected)


def test_text_columns_keep_the_types_an_object_array_gives() -> None:
    values = pd.Series(["a", None, "c"], dtype="str")
    rows = np.array([2, 0])
    as_objects = pd.DataFrame({"x": values.to_numpy(dtype=object)[rows]})["x"]
    pd.testing.assert_series_equal(pd.DataFrame({"x": _text_column(values, rows)})["x"], as_objects)
    # only missing values, or no rows: typed as the object array would be
    for rows in (np.array([1]), np.array([], dtype=np.int64)):
        got = pd.DataFrame({"x": _text_column(values, rows)})["x"]
        expected = pd.DataFrame({"x": values.to_numpy(dtype=object)[rows]})["x"]
        assert got.dtype == expected.dtype


@needs_demo
def test_unknown_skills_list_the_rows_every_resolution_lists(demo) -> None:
    every = skill_resolutions(demo)
    unknown = unknown_skills(demo)
    assert len(unknown)
    listed = every.set_index(["table", "term"])
    for row in unknown.itertuples(index=False):
        assert listed.loc[(row.table, row.term), "rows"] == row.rows
        assert listed.loc[(row.table, row.term), "count"] == row.count


# -- spend and flows ----------------------------------------------------------------------------
def test_place_keys_tell_places_apart_as_their_text_does() -> None:
    lat = pd.Series([52.123451, 52.123449, 52.5, 0.0, -0.000001, 52.5])
    lon = pd.Series([-1.0, -1.0, -1.0, 0.0, 0.0, -1.000001])
    keys = _place_keys(lat, lon)
    text = lat.round(5).astype(str) + "," + lon.round(5).astype(str)
    same = keys[:, None] == keys[None, :]
    assert np.array_equal(same, text.to_numpy()[:, None] == text.to_numpy()[None, :])
    assert keys[3] != keys[4]  # "0.0" and "-0.0" are two places, as before


def test_firms_of_a_term_by_sector_first_then_by_skill() -> None:
    firms = pd.DataFrame(
        {
            "sector": ["Catering", None, "Cleaning", "catering & food", "Catering"],
            "skills": ["cleaning", "Catering;Cooking", None, "", "catering"],
        }
    )
    terms = _FirmTerms(firms)
    assert terms.firms("catering").tolist() == [0, 4, 1]
    assert terms.firms("cleaning").tolist() == [2, 0]
    assert terms.firms("catering and food").tolist() == [3]
    assert terms.firms("").tolist() == [] and terms.firms("plumbing").tolist() == []


@needs_demo
def test_dataset_places_of_some_codes_are_those_of_all(demo) -> None:
    every = dataset_places(demo)
    every = every[~every.index.duplicated()]
    wanted = [demo.areas["code"].iloc[0], demo.projects["id"].iloc[0], "nowhere"]
    some = dataset_places(demo, wanted)
    some = some[~some.index.duplicated()]
    found = [w for w in wanted if w in every.index]
    pd.testing.assert_frame_equal(some.loc[found], every.loc[found])
    assert some.dtypes.equals(every.dtypes)


def test_ids_are_ordered_as_python_orders_them() -> None:
    ids = np.array(["b", "a", "A1", "a", "é", "z", "10", "9", "\ud800x"], dtype=object)
    expected = sorted(range(len(ids)), key=lambda i: ids[i])  # stable, by code points
    assert _id_order(ids).tolist() == expected  # a lone surrogate: numpy's sort
    assert _id_order(ids[:8]).tolist() == sorted(range(8), key=lambda i: ids[i])


@pytest.mark.parametrize("dtype", ["str", object])
def test_spend_dates_read_once_per_distinct_cell_as_parse_dates_reads_them(dtype: object) -> None:
    cells = ["01/04/2024", "2024-04-01", None, "", "Apr 2024", "45000", "garbage", "01/04/2024"]
    dates = pd.Series(cells, dtype=dtype, index=range(3, 11))
    got = date_values(dates)
    pd.testing.assert_series_equal(got, parse_dates(dates).values, check_exact=True)
    assert got[3] == got[4] == got[10] == pd.Timestamp("2024-04-01") and pd.isna(got[9])
