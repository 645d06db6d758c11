"""Areas and indicators: joins by code with reports, IMD for 2021 LSOAs, ``cwb areas``.

The real-data tests build the catchment of 52.495 N, 1.945 W from
../shared/realdata (ONS wards and LSOAs, IoD2019) and skip when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from realdata_paths import REALDATA
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.geography import read_imd
from cwb.dataset.indicators import imd_for_lsoa21, join_by_code, read_indicator_table
from cwb.errors import UsageError

runner = CliRunner()
GEO = REALDATA / "boundaries_geographr"
IMD = REALDATA / "imd2019_energy_flex"
FILE1 = IMD / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_ENGLAND.csv"
FILE6 = IMD / "File_6_-_IoD2019_Population_Denominators_west_midlands_met.csv"
WARDS = GEO / "wards22_west_midlands_met.geojson"
LSOA11 = GEO / "lsoa11_west_midlands_met.geojson"
LSOA21 = GEO / "lsoa21_west_midlands_met.geojson"
LOOKUP = GEO / "lookup_lsoa11_lsoa21_lad22_west_midlands_met.csv"
needs_realdata = pytest.mark.skipif(not WARDS.exists(), reason="../shared/realdata is absent")


def test_join_by_code_reports_matched_and_unmatched():
    areas = pd.DataFrame({"code": ["A", "B", "C", "D"], "name": list("abcd")})
    table = pd.DataFrame(
        {"ward": ["A", "C", "X", "Y", "Z"], "score": ["1,200", "3", "4", "5", "6"]}
    )
    joined, report = join_by_code(areas, table, code="ward", source="cni.csv", level="ward")
    assert joined["score"].tolist()[:1] == [1200.0] and pd.isna(joined["score"][1])
    assert len(joined) == 4  # no area dropped
    assert (report.matched, report.areas, report.unused_codes) == (2, 4, 3)
    assert report.unmatched_areas == ["B", "D"]
    message = report.message()
    assert "cni.csv → ward: 2 of 4 areas matched by code (score); no row for B, D" in message
    assert "fewer than half" not in message


def test_few_matches_suggest_other_boundaries():
    areas = pd.DataFrame({"code": [f"E0501{i:04d}" for i in range(18)]})
    table = pd.DataFrame({"code": areas["code"][:6], "needs": range(6)})
    _, report = join_by_code(areas, table, code="code", source="cni2019.csv")
    assert report.matched == 6
    assert "6 of 18 areas matched" in report.message()
    assert "other boundaries" in report.message()


def test_few_matches_between_ons_levels_name_both_levels():
    areas = pd.DataFrame({"code": ["E01008899", "E01008901", "E01008905"]})
    table = pd.DataFrame({"msoa": ["E02001850", "E02001851", "E01008899"], "ha": [1.0, 2, 3]})
    joined, report = join_by_code(areas, table, code="msoa", source="brownfield.csv")
    assert (report.table_level, report.area_level, report.matched) == ("MSOA", "LSOA", 1)
    message = report.message()
    assert "the table's codes are MSOA codes and the areas' are LSOA codes" in message
    assert "other boundaries" not in message  # the levels say more than the vintage hint
    assert joined["ha"].tolist()[0] == 3.0 and joined["ha"].isna().sum() == 2


BROWNFIELD_BY_MSOA = REALDATA / "brownfield_digital_land" / "brownfield_hectares_by_msoa.csv"


@pytest.mark.skipif(not BROWNFIELD_BY_MSOA.exists(), reason="../shared/realdata is absent")
def test_a_real_msoa_table_joined_to_lsoas_is_reported_not_dropped(tmp_path: Path):
    folder = tmp_path / "data"
    runner.invoke(app, ["init", str(folder), "--lat", "52.495", "--lon", "-1.945"])
    out = tmp_path / "areas.geojson"
    result = runner.invoke(
        app,
        ["areas", str(folder), "-b", str(LSOA11), "--within", "2km", "-o", str(out),
         "--indicators", f"{BROWNFIELD_BY_MSOA}:msoa"],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "brownfield_hectares_by_msoa.csv → lsoa11: 0 of 55 areas matched by code" in text
    assert "the table's codes are MSOA codes and the areas' are LSOA codes" in text
    written = gpd.read_file(out)
    assert len(written) == 55 and written["brownfield area"].isna().all()


def test_join_needs_the_code_column():
    with pytest.raises(UsageError, match="no code column 'ward'"):
        join_by_code(pd.DataFrame({"code": ["A"]}), pd.DataFrame({"x": [1]}), code="ward")


def test_indicator_table_finds_its_ons_code_column(tmp_path: Path):
    path = tmp_path / "cni.csv"
    path.write_text("Ward name,Ward code,Score\nSoho,E05001234,3.5\nLozells,E05001235,4\n")
    table, code = read_indicator_table(path)
    assert code == "Ward code" and len(table) == 2
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UsageError, match="no column of ONS area codes"):
        read_indicator_table(tmp_path / "bad.csv")


def test_imd_for_2021_lsoas_unchanged_split_and_merged():
    lookup = pd.DataFrame(
        {
            "lsoa11_code": ["U1", "S1", "S1", "M1", "M2"],
            "lsoa21_code": ["U1", "S1a", "S1b", "M", "M"],
        }
    )
    imd = pd.DataFrame(
        {"lsoa_code": ["U1", "S1", "M1", "M2"], "imd_rank": [100.0, 5000.0, 1000.0, 4000.0]}
    )
    population = pd.DataFrame({"lsoa_code": ["M1", "M2"], "population": [3000, 1000]})
    table = imd_for_lsoa21(lookup, imd, population).set_index("lsoa_code")
    assert table.loc["U1", "imd_rank"] == 100.0
    assert table.loc["S1a", "imd_rank"] == table.loc["S1b", "imd_rank"] == 5000.0
    assert table.loc["M", "imd_rank"] == pytest.approx(1750.0)  # (3000*1000 + 1000*4000) / 4000
    assert table.loc["M", "lsoa11_count"] == 2
    assert table.loc["U1", "imd_decile"] == 1.0 and table.loc["S1a", "imd_decile"] == 2.0


@needs_realdata
def test_every_2021_lsoa_gets_imd_through_the_lookup():
    lookup = pd.read_csv(LOOKUP, dtype=str)
    table = imd_for_lsoa21(lookup, read_imd(FILE1))
    lsoa21 = set(
        pd.read_csv(GEO / "lookup_lsoa21_ward24_lad24_west_midlands_met.csv")["lsoa21_code"]
    )
    assert len(lsoa21) == 1719
    assert lsoa21 <= set(table["lsoa_code"])  # not 1,638: split and merged LSOAs included
    assert table["imd_decile"].between(1, 10).all()


@pytest.fixture(scope="module")
def real_areas(tmp_path_factory) -> Path:
    if not WARDS.exists():
        pytest.skip("../shared/realdata is absent")
    folder = tmp_path_factory.mktemp("real") / "data-with-real-areas"
    made = runner.invoke(app, ["init", str(folder), "--lat", "52.495", "--lon", "-1.945"])
    assert made.exit_code == 0, made.output
    args = ["areas", str(folder), "-b", str(WARDS), "-b", str(LSOA11), "--imd", str(FILE1)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "--force" in refused.output
    built = runner.invoke(
        app,
        [*args, "--population", str(FILE6), "--within", "3km", "--force"],
        env={"COLUMNS": "200"},
    )
    assert built.exit_code == 0, built.output
    assert "ward22: 18 of 18 areas matched" in built.output
    assert "lsoa11: 111 of 111 areas matched" in built.output
    return folder


@needs_realdata
def test_catalogue_counts_the_areas_of_each_band(real_areas: Path, tmp_path: Path):
    target = tmp_path / "cat.csv"
    result = runner.invoke(
        app,
        ["catalogue", str(real_areas), "--bands", "1km,2km,3km", "--csv", str(target)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "Areas whose polygons come within each band" in result.output
    table = pd.read_csv(target)
    table = table[table["breakdown"] == "areas_within_band"].set_index(["within", "level"])
    assert table.loc[("1 km", "ward22"), "areas"] == 4
    assert table.loc[("1 km", "lsoa11"), "areas"] == 16
    assert table.loc[("1 km", "lsoa11"), "distribution"] == "1: 11 · 2: 4 · 3: 1"
    assert table.loc[("2 km", "ward22"), "areas"] == 13
    assert table.loc[("2 km", "lsoa11"), "areas"] == 55
    assert table.loc[("3 km", "ward22"), "areas"] == 18
    assert table.loc[("3 km", "lsoa11"), "areas"] == 111
    assert table.loc[("3 km", "lsoa11"), "distribution"].startswith("1: 48 · ")
    valid = runner.invoke(app, ["validate", str(real_areas)])
    assert valid.exit_code == 0, valid.output


@needs_realdata
def test_2021_lsoas_through_the_lookup_and_indicator_reports(tmp_path: Path):
    folder = tmp_path / "lsoa21"
    runner.invoke(app, ["init", str(folder), "--lat", "52.495", "--lon", "-1.945"])
    cni = tmp_path / "cni2019.csv"
    codes = pd.read_csv(LOOKUP)["lsoa21_code"].head(5)
    pd.DataFrame({"code": codes, "needs": range(5)}).to_csv(cni, index=False)
    args = ["areas", str(folder), "-b", str(LSOA21), "--imd", str(FILE1), "--within", "1km"]
    missing = runner.invoke(app, [*args, "--force"])
    assert missing.exit_code == 2 and "--lsoa-lookup" in missing.output
    built = runner.invoke(
        app,
        [*args, "--force", "--lsoa-lookup", str(LOOKUP), "--indicators", f"{cni}:code"],
        env={"COLUMNS": "300"},
    )
    assert built.exit_code == 0, built.output
    assert "lsoa21: 18 of 18 areas matched by code (imd_rank, imd_decile)" in built.output
    assert "cni2019.csv → lsoa21: 0 of 18 areas matched" in built.output
    assert "other boundaries" in built.output
    both = runner.invoke(
        app, ["areas", str(folder), "-b", str(LSOA11), "-b", str(LSOA21), "--force"]
    )
    assert both.exit_code == 2 and "one LSOA vintage" in both.output
