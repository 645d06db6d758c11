"""Geography helpers: ONS-style areas, IMD by LSOA and aggregated, area codes and indicators."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from cwb.dataset.geography import (
    aggregate_imd,
    attach_area_codes,
    attach_indicators,
    build_areas,
    decile_of_rank,
    lsoas_to_areas,
    read_areas,
    read_imd,
)
from cwb.errors import UsageError

WARDS = gpd.GeoDataFrame(
    {"code": ["W1", "W2"], "name": ["West", "East"]},
    geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    crs="EPSG:4326",
)
LSOAS = gpd.GeoDataFrame(
    {"code": ["L1", "L2", "L3"], "name": ["a", "b", "c"]},
    geometry=[box(0, 0, 0.5, 1), box(0.5, 0, 1, 1), box(1, 0, 2, 1)],
    crs="EPSG:4326",
)


def test_attach_area_codes():
    points = gpd.GeoDataFrame(
        {"id": ["p", "q", "r", "s"], "area_code": [None, None, "W1", None]},
        geometry=[Point(0.2, 0.5), Point(1.5, 0.5), Point(1.5, 0.5), None],
        crs="EPSG:4326",
    )
    out = attach_area_codes(points, WARDS)
    assert list(out["area_code"][:3]) == ["W1", "W2", "W1"]  # an existing code is kept
    assert pd.isna(out["area_code"].iloc[3])  # unlocated: no code
    assert list(attach_area_codes(points, WARDS, overwrite=True)["area_code"])[2] == "W2"
    assert points["area_code"].isna().sum() == 3  # input untouched


def test_attach_indicators(caplog):
    table = pd.DataFrame({"code": ["W1", "W2"], "imd_decile": [1.0, 6.0], "name": ["West", "East"]})
    frame = pd.DataFrame({"id": ["a", "b", "c"], "area_code": ["W2", "W1", "nowhere"]})
    with caplog.at_level("WARNING"):
        out = attach_indicators(frame, table)
    assert "2 of 3 rows matched a code; no row for nowhere" in caplog.text
    assert out["imd_decile"].tolist()[:2] == [6.0, 1.0] and pd.isna(out["imd_decile"].iloc[2])
    assert "name" not in out  # text columns are not indicators
    with pytest.raises(UsageError):
        attach_indicators(frame.drop(columns="area_code"), table)


def test_aggregate_imd_known_answer():
    membership = lsoas_to_areas(LSOAS, WARDS)
    assert dict(zip(membership["lsoa_code"], membership["area_code"], strict=True)) == {
        "L1": "W1",
        "L2": "W1",
        "L3": "W2",
    }
    imd = pd.DataFrame(
        {
            "lsoa_code": ["L1", "L2", "L3"],
            "imd_rank": [1000.0, 4000.0, 30000.0],
            "imd_decile": [1.0, 2.0, 10.0],
        }
    )
    population = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3"], "population": [3000, 1000, 1500]})
    out = aggregate_imd(WARDS, imd, membership=membership, population=population).set_index("code")
    # (3000 × 1000 + 1000 × 4000) / 4000 = 1750 → decile ceil(1750 × 10 / 32844) = 1
    assert out.loc["W1", "imd_rank"] == 1750.0
    assert out.loc["W1", "imd_decile"] == 1.0
    assert out.loc["W1", "imd_pct_most_deprived"] == 75.0
    assert out.loc["W1", "population"] == 4000 and out.loc["W1", "lsoa_count"] == 2
    assert out.loc["W2", "imd_decile"] == 10.0
    unweighted = aggregate_imd(WARDS, imd, membership=membership).set_index("code")
    assert unweighted.loc["W1", "imd_rank"] == 2500.0


def test_decile_of_rank():
    assert decile_of_rank(1) == 1.0
    assert decile_of_rank(3284) == 1.0
    assert decile_of_rank(3285) == 2.0
    assert decile_of_rank(32844) == 10.0


def test_read_areas_guesses_ons_columns(tmp_path):
    path = tmp_path / "wards.geojson"
    gpd.GeoDataFrame(
        {
            "WD22CD": ["E05000001"],
            "WD22NM": ["Somewhere"],
            "LAD22NM": ["Sandwell"],
            "LAD22CD": ["E08000028"],
            "pop": [100],
        },
        geometry=[box(0, 0, 1, 1)],
        crs="EPSG:4326",
    ).to_file(path)
    areas = read_areas(path)
    assert areas.loc[0, ["code", "name", "local_authority"]].tolist() == [
        "E05000001",
        "Somewhere",
        "Sandwell",
    ]
    assert areas.loc[0, "pop"] == 100
    assert len(read_areas(path, local_authorities=["E08000028"])) == 1
    assert len(read_areas(path, local_authorities=["Birmingham"])) == 0


@pytest.mark.realdata
def test_wards_with_imd_deciles(realdata):
    imd_path = (
        realdata
        / "imd2019_energy_flex"
        / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_ENGLAND.csv"
    )
    imd = read_imd(imd_path)
    assert len(imd) == 32844
    assert imd.set_index("lsoa_code").loc["E01000001", "imd_rank"] == 29199  # "29,199" in the file
    wards = build_areas(
        realdata / "boundaries_geographr" / "wards22_west_midlands_met.geojson",
        imd=imd_path,
        population=realdata
        / "imd2019_energy_flex"
        / "File_6_-_IoD2019_Population_Denominators_west_midlands_met.csv",
        lsoa_boundaries=realdata / "boundaries_geographr" / "lsoa11_west_midlands_met.geojson",
        local_authorities=["Birmingham", "Sandwell"],
    )
    assert len(wards) == 93  # 69 Birmingham + 24 Sandwell wards
    assert wards["lsoa_count"].sum() == 825  # 639 + 186 LSOAs, each in one ward
    assert wards["imd_decile"].between(1, 10).all()
    assert wards.crs.to_epsg() == 4326
    # Soho and Victoria: the ONS LSOA→ward lookup (independent of the spatial assignment) gives
    # 8 LSOAs, 16,995 residents and a population-weighted mean rank of 4132.5 → decile 2
    soho = wards.set_index("name").loc["Soho and Victoria"]
    lookup = pd.read_csv(
        realdata / "lookups_ons" / "lookup_lsoa11_ward19_lad19_west_midlands_met.csv"
    )
    members = set(lookup.loc[lookup["WD19CD"] == soho["code"], "LSOA11CD"])
    assert len(members) == soho["lsoa_count"] == 8
    assert soho["population"] == 16995
    assert soho["imd_rank"] == 4132.5
    assert soho["imd_decile"] == 2.0 and soho["local_authority"] == "Sandwell"
    # population weights: the ward totals add up to the LSOA population of the two boroughs
    pop = pd.read_csv(
        realdata
        / "imd2019_energy_flex"
        / "File_6_-_IoD2019_Population_Denominators_west_midlands_met.csv",
        dtype=str,
    )
    mask = pop.iloc[:, 3].isin(["Birmingham", "Sandwell"])
    total = pd.to_numeric(pop.loc[mask].iloc[:, 4].str.replace(",", "")).sum()
    assert wards["population"].sum() == total


@pytest.mark.realdata
def test_lsoas_with_their_own_imd(realdata):
    lsoas = build_areas(
        realdata / "boundaries_geographr" / "lsoa11_west_midlands_met.geojson",
        imd=realdata
        / "imd2019_energy_flex"
        / "File_2_-_IoD2019_Domains_of_Deprivation_west_midlands_met.csv",
        local_authorities=["Sandwell"],
    )
    assert len(lsoas) == 186
    first = lsoas.set_index("code").loc["E01009921"]
    assert first["imd_rank"] == 10721 and first["imd_decile"] == 4


@pytest.mark.realdata
def test_bsol_ward_shapefile_in_british_national_grid(realdata):
    wards = read_areas(realdata / "bsol_mapR" / "shapefiles" / "Ward.shp")
    assert len(wards) == 86
    assert wards.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = wards.total_bounds
    assert -2.1 < minx < maxx < -1.5 and 52.3 < miny < maxy < 52.7
