"""Projects tables as people have them: NHS exports, GIS files of sites, odd encodings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from cwb.errors import UsageError
from cwb.national import Store, build_store, scope_for
from cwb.national.projects import read_project_table, read_projects
from cwb.synth.generate import synth_tables, write_synth
from tests.realdata_paths import REALDATA


def test_an_nhs_style_export_is_read_by_its_own_headers(tmp_path: Path) -> None:
    """OrganisationCode/Name, Latitude/Longitude, Windows-1252: no renaming needed."""
    path = tmp_path / "hospitals.csv"
    path.write_bytes(
        (
            "OrganisationCode,OrganisationName,City,Latitude,Longitude\n"
            "RXK01,City Hospital,Birmingham,52.4893,-1.9330\n"
            "RXK02,Sandwell General Hospital,West Bromwich,52.5273,-1.9883\n"
            "REM95,Noble’s Hospital,Douglas,,\n"
            "X1,Swapped,Nowhere,-1.9,52.5\n"
            "X2,Turned round,Nowhere,152.5,-1.9\n"
        ).encode("cp1252")
    )
    table = read_project_table(path)
    assert [p.id for p in table.projects] == ["RXK01", "RXK02", "X1"]
    city = table.projects[0]
    assert (city.name, city.lat, city.lon) == ("City Hospital", 52.4893, -1.9330)
    assert city.extra == {"City": "Birmingham"}
    assert any("cp1252" in n or "1252" in n for n in table.notes)
    assert table.skipped.to_dict("records") == [
        {"line": 4, "id": "REM95", "name": "Noble’s Hospital", "reason": "no location"},
        {
            "line": 6,
            "id": "X2",
            "name": "Turned round",
            "reason": "latitude or longitude out of range (are they swapped?)",
        },
    ]
    with pytest.raises(UsageError, match=r"line 4: no location; line 6: latitude"):
        read_projects(path)
    table.write_skipped(tmp_path / "out")
    assert (tmp_path / "out" / "projects_skipped.csv").read_text(encoding="utf-8").count("\n") == 3


def test_a_gis_file_of_sites_without_ids(tmp_path: Path) -> None:
    """Points in British National Grid, a site drawn as its outline, no id column."""
    sites = gpd.GeoDataFrame(
        {"hospital_name": ["Good Hope Hospital", "Good Hope Hospital", "St Mary's", "Gone"]},
        geometry=[
            shapely.Point(412_000, 296_000),
            shapely.Point(412_100, 296_100),
            shapely.box(526_500, 181_300, 527_000, 181_700),
            None,
        ],
        crs="EPSG:27700",
    )
    path = tmp_path / "sites.gpkg"
    sites.to_file(path)
    table = read_project_table(path)
    assert [p.id for p in table.projects] == [
        "good_hope_hospital",
        "good_hope_hospital_2",
        "st_marys",
    ]
    good_hope, _, st_marys = table.projects
    assert 52.5 < good_hope.lat < 52.6 and -1.85 < good_hope.lon < -1.8
    assert 51.5 < st_marys.lat < 51.53 and -0.18 < st_marys.lon < -0.16
    assert table.skipped[["line", "id", "reason"]].to_dict("records") == [
        {"line": 4, "id": "gone", "reason": "no location"}
    ]
    assert any("no id column" in n for n in table.notes)
    assert any("inside them" in n for n in table.notes)


def test_tables_that_cannot_be_projects_say_why(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,name,easting,northing\na,A,412000,296000\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"no latitude/longitude columns .* easting, northing"):
        read_project_table(path)
    path.write_text("id,name,lat,lon\na,A,52,-1\na,B,52.1,-1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="repeated project ids"):
        read_project_table(path)
    path.write_text("ward,lat,lon\nx,52,-1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no id or name column"):
        read_project_table(path)
    path.write_text("id,name,lat,lon\na,A,,\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no row has a usable location"):
        read_project_table(path)
    with pytest.raises(UsageError, match="not found"):
        read_project_table(tmp_path / "missing.csv")


def _real(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared/realdata)")
    return path


def test_real_nhs_hospitals_of_england() -> None:
    """NHS.uk's 2018 hospitals: 1,231 rows, one (on the Isle of Man) without coordinates."""
    table = read_project_table(_real("nhs_techforuk", "nhs_website_hospitals_2018_england.csv"))
    assert len(table.projects) == 1_230
    assert table.skipped[["id", "reason"]].to_dict("records") == [
        {"id": "REM95", "reason": "no location"}
    ]
    assert all(49.8 < p.lat < 55.9 and -6.5 < p.lon < 1.8 for p in table.projects)
    assert len({p.id for p in table.projects}) == 1_230
    assert "Postcode" in table.projects[0].extra


def test_real_geographr_hospitals_geojson() -> None:
    """geographr's 33 West Midlands hospitals: names only, so ids are made from them."""
    table = read_project_table(
        _real("boundaries_geographr", "hospitals22_west_midlands_met.geojson")
    )
    assert len(table.projects) == 33 and table.skipped.empty
    ids = {p.id for p in table.projects}
    assert {"birmingham_childrens_hospital", "good_hope_hospital_treatment_centre"} <= ids
    assert all(52.3 < p.lat < 52.7 and -2.3 < p.lon < -1.4 for p in table.projects)
    assert {p.extra["lad24_code"][:3] for p in table.projects} == {"E08"}


@pytest.fixture(scope="module")
def one_site_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store built from a small synthetic dataset around one NHP site."""
    base = tmp_path_factory.mktemp("one_site")
    sites = read_projects("nhp")[:1]
    tables = synth_tables(assets=50, opportunities=2, spend=5, seed=0, sites=sites)
    write_synth(tables, base / "src", fmt="parquet")
    return build_store([base / "src"], base / "store").store


@pytest.mark.parametrize("bad", ["../escape", "a/b", "a\\b", "..", "x:y", " padded", "tab\there"])
def test_an_id_that_cannot_name_a_folder_is_refused(bad: str, one_site_store: Store) -> None:
    """Each project's results go to OUT/<id>/: an id must not reach outside it."""
    site = read_projects("nhp")[0]
    with pytest.raises(UsageError, match="cannot name a results folder"):
        scope_for(one_site_store, [replace(site, id=bad)])
    kept = scope_for(one_site_store, [replace(site, id="RXK01 (City)")])
    assert kept.projects[0].id == "RXK01 (City)"
