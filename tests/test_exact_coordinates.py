"""Coordinates and figures read from text are the nearest floats, under pandas 2 as under 3.

pandas 2's number parser misses the nearest float by one unit in the last place for
about one decimal in five (these values among them); every reader of coordinates and
figures goes through ``exact_floats`` so a point does not move on a round trip.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cwb.dataset.postcodes import PostcodeLookup
from cwb.flows.table import flow_frame
from cwb.importers.places import Quirks, coordinates, numbers
from cwb.national.projects import read_projects

# decimals whose nearest float pandas 2.3's to_numeric misses (checked when written)
LON = "-2.8361059042552212"
LAT = "50.360247545374236"
OTHER_LAT = "54.334221373615755"


def test_postcode_lookup_keeps_coordinates_exactly() -> None:
    lookup = PostcodeLookup.from_frame(
        pd.DataFrame({"postcode": ["B66 2QT"], "lat": [LAT], "lon": [LON]}, dtype=object)
    )
    row = lookup.table.loc["B66 2QT"]
    assert (row["lat"], row["lon"]) == (float(LAT), float(LON))


def test_projects_table_keeps_coordinates_exactly(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(f"id,name,lat,lon\ns1,Site one,{LAT},{LON}\n", encoding="utf-8")
    (site,) = read_projects(path)
    assert (site.lat, site.lon) == (float(LAT), float(LON))


def test_flow_records_keep_coordinates_and_magnitudes_exactly() -> None:
    frame = flow_frame(
        [{"origin": "a", "destination": "b", "magnitude": OTHER_LAT, "origin_lat": LAT}]
    )
    assert frame.loc[0, "magnitude"] == float(OTHER_LAT)
    assert frame.loc[0, "origin_lat"] == float(LAT)


def test_register_numbers_and_degrees_are_exact() -> None:
    quirks = Quirks()
    got = numbers(pd.Series([OTHER_LAT, "1,250.5", "n/a"], dtype=object), "area", quirks)
    assert got.iloc[0] == float(OTHER_LAT) and got.iloc[1] == 1250.5 and pd.isna(got.iloc[2])
    assert quirks["area not a number, left empty"] == 1
    lat, lon = coordinates(
        pd.Series([LON], dtype=object),
        pd.Series([LAT], dtype=object),
        pd.Series(["EPSG:4326"], dtype=object),
        Quirks(),
    )
    assert (float(lat[0]), float(lon[0])) == (float(LAT), float(LON))
