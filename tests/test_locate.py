"""One locator: validation, the importers, spend loading and the supplier register agree."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cwb.dataset.locate import LOCATED_BY, locate_frame
from cwb.dataset.postcodes import PostcodeLookup, as_postcode_lookup
from cwb.dataset.validate import validate_folder
from cwb.errors import UsageError
from cwb.importers.common import ImportResult, locate
from cwb.spend.load import locate_spend
from cwb.spend.register import read_supplier_register

#: Rows every path can locate: coordinates, bad coordinates with a postcode, postcodes.
COMMON = pd.DataFrame(
    {
        "id": ["R1", "R2", "R3", "R4", "R5", "R6"],
        "lat": ["52.4969", "0", "95", "", "", ""],
        "lon": ["-1.9667", "0", "-1.9", "", "", ""],
        "postcode": ["", "B66 2QT", "B66 3AA", "b663aa", "B99 9ZZ", ""],
    }
)
#: What they come out as: precision and (lat, lon) rounded to 4 places (None: unlocated).
EXPECTED = {
    "R1": ("exact", (52.4969, -1.9667)),
    "R2": ("postcode", (52.4951, -1.9447)),
    "R3": ("postcode", (52.4932, -1.9621)),
    "R4": ("postcode", (52.4932, -1.9621)),
    "R5": ("none", None),
    "R6": ("none", None),
}
#: Rows only the catalogue paths (validation, importers) locate: by area and by grid reference.
CATALOGUE = pd.DataFrame(
    {
        "id": ["R7", "R8"],
        "lat": ["", ""],
        "lon": ["", ""],
        "postcode": ["", ""],
        "area_code": ["W1", ""],
        "easting": ["", "402812.68"],
        "northing": ["", "288677.71"],
    }
)


def _summary(ids: pd.Series, precision: pd.Series, lat: pd.Series, lon: pd.Series) -> dict:
    out = {}
    for i, p, y, x in zip(ids, precision, lat, lon, strict=True):
        where = None if pd.isna(y) else (round(float(y), 4), round(float(x), 4))
        out[str(i)] = (str(p), where)
    return out


def _of_frame(frame: gpd.GeoDataFrame) -> dict:
    geometry = frame.geometry
    centre = geometry.where(geometry.geom_type == "Point", geometry.representative_point())
    return _summary(frame["id"], frame["precision"], centre.y, centre.x)


def _validated(mini_copy: Path, rows: pd.DataFrame) -> dict:
    assets = rows.assign(name="Firm " + rows["id"], kind="financial", category="business")
    assets.to_csv(mini_copy / "assets.csv", index=False)
    report = validate_folder(mini_copy)
    assert report.dataset is not None
    return _of_frame(report.dataset.assets)


def test_the_four_paths_agree(mini_copy: Path, tmp_path: Path) -> None:
    lookup = PostcodeLookup.from_csv(mini_copy / "postcodes.csv")
    validated = _validated(mini_copy, COMMON)
    imported = _of_frame(locate(COMMON, postcodes=lookup))
    spend = _of_frame(locate_spend(COMMON, mini_copy / "postcodes.csv").assign(id=COMMON["id"]))
    register_file = tmp_path / "register.csv"
    COMMON.assign(supplier_name="Firm " + COMMON["id"]).to_csv(register_file, index=False)
    register = read_supplier_register(register_file, postcodes=lookup)
    registered = _summary(COMMON["id"], register["precision"], register["lat"], register["lon"])
    assert validated == EXPECTED
    assert imported == EXPECTED
    assert spend == EXPECTED
    assert registered == EXPECTED


def test_catalogue_paths_locate_by_area_and_grid_reference(mini_copy: Path) -> None:
    ds = validate_folder(mini_copy).dataset
    assert ds is not None
    validated = _validated(mini_copy, CATALOGUE)
    lookup = PostcodeLookup.from_csv(mini_copy / "postcodes.csv")
    imported = _of_frame(locate(CATALOGUE, postcodes=lookup, areas=ds.areas))
    assert validated == imported
    assert validated["R7"][0] == "area" and validated["R8"] == ("exact", (52.496, -1.96))


def test_located_by_says_which_column_placed_each_row(mini_path: Path) -> None:
    areas = gpd.read_file(mini_path / "areas.geojson")
    rows = pd.concat([COMMON, CATALOGUE], ignore_index=True).fillna("")
    rows["geometry"] = None
    rows.loc[5, "geometry"] = shapely.Point(-1.95, 52.49)
    located = locate_frame(rows, postcodes=mini_path / "postcodes.csv", areas=areas)
    assert list(located.located_by) == [
        "coordinates",
        "postcode",
        "postcode",
        "postcode",
        "",
        "geometry",
        "area_code",
        "easting_northing",
    ]
    assert list(located.precision) == [LOCATED_BY[h] for h in located.located_by]
    assert located.postcode is not None and located.postcode[3] == "B66 3AA"
    assert located.flagged["out_of_range"] == 2
    assert located.flagged["unknown_postcode"] == 1
    reasons = {p.reason for p in located.problems}
    assert "lat/lon 0, 0 is a placeholder, not a place" in reasons
    rows_flagged = sorted(p.row for p in located.problems if p.code == "out_of_range")
    assert rows_flagged == [3, 4]  # spreadsheet rows: the header is row 1


def test_numeric_columns_and_half_pairs() -> None:
    rows = pd.DataFrame({"lat": [52.5, np.nan, 52.5], "lon": [-1.9, -1.9, np.nan]})
    located = locate_frame(rows)
    assert list(located.located_by) == ["coordinates", "", ""]
    assert located.flagged["half_location"] == 2
    assert located.geometry.iloc[0].equals(shapely.Point(-1.9, 52.5))


def test_opportunities_fall_back_on_their_project() -> None:
    rows = pd.DataFrame({"project": ["hosp", "other"], "lat": ["", ""], "lon": ["", ""]})
    located = locate_frame(rows, projects={"hosp": (52.4951, -1.9447)}, table="opportunities")
    assert list(located.precision) == ["project", "none"]


def test_importer_note_counts_bad_coordinates() -> None:
    result = ImportResult(importer="test", source_file="x.csv")
    locate(COMMON, result=result)
    assert result.notes == [
        "2 row(s) of x.csv had lat/lon out of range (or 0,0 placeholders); "
        "they were located by postcode or area where possible"
    ]


def test_as_postcode_lookup_reads_onspd_headers(tmp_path: Path) -> None:
    path = tmp_path / "onspd.csv"
    pd.DataFrame({"pcds": ["B66 2QT"], "Latitude": [52.5], "long": [-1.9]}).to_csv(path)
    lookup = as_postcode_lookup(path)
    assert lookup is not None and len(lookup) == 1
    assert as_postcode_lookup(None) is None and as_postcode_lookup(lookup) is lookup
    pd.DataFrame({"pcds": ["B66 2QT"]}).to_csv(path)
    with pytest.raises(UsageError, match="no lat column"):
        as_postcode_lookup(path)
