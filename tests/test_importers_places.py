"""Brownfield land registers and Assets of Community Value lists: every layout, every site kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.importers.acv import decision_word, import_acv
from cwb.importers.brownfield import import_brownfield, read_brownfield_register
from cwb.importers.places import parse_date

DATA = Path(__file__).resolve().parent / "data" / "registers"
SMETHWICK = (-1.9447, 52.4951)
runner = CliRunner()


def _init(tmp_path: Path) -> Path:
    folder = tmp_path / "ds"
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def test_birmingham_register_imports_every_site(realdata, tmp_path):
    register = realdata / "brownfield_digital_land" / "birmingham_brownfield_register.csv"
    folder = _init(tmp_path)
    result = runner.invoke(app, ["import", "brownfield", str(register), "--into", str(folder)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "imported: 404 assets" in output
    assert "8 × MinNetDwellings negative (a net loss of homes), kept" in output
    assert "header 'PeviouslyPartof' read as PreviouslyPartOf" in output
    assert "404 × FirstAddedDate written YYYYMMDD" in output
    land = read_dataset(folder).assets.query("category == 'land'")
    assert len(land) == 404
    assert land["owner_type"].value_counts().to_dict() == {
        "unknown": 311,
        "public": 63,
        "mixed": 30,
    }
    assert land["planning_status"].value_counts().to_dict() == {
        "not_permissioned": 238,
        "permissioned": 162,
        "pending_decision": 4,
    }
    assert (land["precision"] == "exact").all()
    assert round(land["site_area_ha"].sum(), 2) == 398.83
    assert (land["min_net_dwellings"] < 0).sum() == 8
    assert land.set_index("id").loc["bfl:birmingham:S114", "first_added"] == "2017-12-19"


def test_reimport_updates_rows_by_site_reference(tmp_path):
    folder = _init(tmp_path)
    first = runner.invoke(
        app,
        ["import", "brownfield", str(DATA / "brownfield_osgb36.csv"), "--into", str(folder)],
    )
    assert first.exit_code == 0, first.output
    newer = tmp_path / "newer.csv"
    text = (DATA / "brownfield_osgb36.csv").read_text(encoding="utf-8")
    newer.write_text(text.replace('"0.45"', "0.45").replace(",0.45,", ",0.60,"), encoding="utf-8")
    again = runner.invoke(app, ["import", "brownfield", str(newer), "--into", str(folder)])
    assert again.exit_code == 0, again.output
    assert "assets updated 4" in again.output
    assets = read_dataset(folder).assets.set_index("id")
    assert assets.index.str.startswith("bfl:").sum() == 4
    assert assets.loc["bfl:sandwell:SB/001", "site_area_ha"] == pytest.approx(0.60)


def test_osgb36_layout_with_uk_dates_padding_and_trailing_rows():
    records, quirks = read_brownfield_register(DATA / "brownfield_osgb36.csv")
    assert list(records["id"]) == [
        "bfl:sandwell:SB/001",
        "bfl:sandwell:SB/002",
        "bfl:sandwell:SB/003",
        "bfl:sandwell:SB/003~2",
    ]
    assert records.loc[0, "name"] == "Land at Grove Lane, Smethwick B66 2QT"
    assert records.loc[0, "postcode"] == "B66 2QT"
    assert records.loc[0, "lat"] == pytest.approx(SMETHWICK[1], abs=1e-4)
    assert records.loc[0, "lon"] == pytest.approx(SMETHWICK[0], abs=1e-4)
    assert records.loc[1, "last_updated"] == "2024-03-01"
    assert records.loc[2, "last_updated"] == "2023-12-31"
    assert quirks["empty row ignored"] == 2
    assert quirks["address over several lines, joined"] == 2
    assert quirks["reference with surrounding spaces, trimmed"] == 1
    assert quirks["FirstAddedDate written DD/MM/YYYY"] == 2
    assert quirks["GeoX/GeoY in OSGB36 metres, converted to WGS84"] == 4
    assert quirks["MinNetDwellings negative (a net loss of homes), kept"] == 1


def test_swapped_easting_northing_detected_near_the_dataset():
    records, quirks = read_brownfield_register(DATA / "brownfield_swapped_ne.csv", near=SMETHWICK)
    assert records.loc[0, "lat"] == pytest.approx(SMETHWICK[1], abs=1e-4)
    assert quirks["GeoX/GeoY in metres given as northing, easting: swapped"] == 2
    assert records["owner_type"].tolist() == ["public", "unknown"]
    assert records.loc[1, "permission_type"] == "outline planning permission"
    assert "Smethwick" in records.loc[0, "name"]  # a Windows-1252 dash read


def test_degrees_as_lat_lon_and_yyyymmdd():
    records, quirks = read_brownfield_register(DATA / "brownfield_latlon.csv")
    assert records.loc[0, ["lat", "lon"]].tolist() == pytest.approx([52.499, -1.96])
    assert quirks["GeoX/GeoY in degrees given as latitude, longitude: swapped"] == 2
    assert records.loc[0, "previously_part_of"] == "C0;C00"
    assert pd.isna(records.loc[1, "last_updated"])
    assert quirks["LastUpdatedDate not a date, left empty"] == 1


def test_into_dataset_with_areas_settles_grid_order(mini_copy):
    result = runner.invoke(
        app,
        [
            "import",
            "brownfield",
            str(DATA / "brownfield_swapped_ne.csv"),
            "--into",
            str(mini_copy),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "northing, easting: swapped" in " ".join(result.output.split())
    land = read_dataset(mini_copy).assets.query("category == 'land'")
    assert len(land) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20171219", "2017-12-19"),
        ("19/12/2017", "2017-12-19"),
        ("2017-12-19T00:00:00", "2017-12-19"),
        ("31/02/2017", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text)[0] == expected


def test_acv_list():
    result = import_acv(DATA / "acv_digital_land.csv")
    assets = result.tables["assets"].set_index("id")
    assert len(assets) == 3
    assert assets["decision"].tolist() == ["listed", "not_listed", "pending"]
    assert assets.loc["acv:SAW:ACV/1", "moratorium_ends"] == "2023-08-01"
    assert assets.loc["acv:SAW:ACV/1", "nominating_group"] == "Smethwick Heritage Group"
    assert assets.loc["acv:BIR:ACV/2", "precision"] == "none"  # kept, unlocated
    assert any("nomination-date written DD/MM/YYYY" in note for note in result.notes)


def test_acv_cli_into_dataset(mini_copy):
    result = runner.invoke(
        app, ["import", "acv", str(DATA / "acv_digital_land.csv"), "--into", str(mini_copy)]
    )
    assert result.exit_code == 0, result.output
    assert "imported: 3 assets" in result.output


def test_acv_rejects_a_non_physical_category(mini_copy):
    result = runner.invoke(
        app,
        [
            "import",
            "acv",
            str(DATA / "acv_digital_land.csv"),
            "--into",
            str(mini_copy),
            "--category",
            "charity",
        ],
    )
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize(
    ("text", "word"),
    [("Listed", "listed"), ("Not listed", "not_listed"), ("Removed from list", "removed")],
)
def test_decision_word(text, word):
    assert decision_word(text) == word


def test_brownfield_result_keeps_every_row(tmp_path):
    copy = tmp_path / "r.csv"
    shutil.copy(DATA / "brownfield_osgb36.csv", copy)
    result = import_brownfield(copy)
    assert result.read == 4 and len(result.tables["assets"]) == 4
    assert not result.skipped


def test_public_property_register_through_the_generic_importer(mini_copy):
    mapping = (
        "id=UPRN,name=Property Name,postcode=Postcode,use_status=Occupancy,"
        "hours_used_per_week=Hours Open,floor_area_m2=Gross Internal Area (m2),"
        "owner_type==public,owner==Sandwell Council"
    )
    result = runner.invoke(
        app,
        [
            "import",
            "register",
            str(DATA / "public_property.csv"),
            "--into",
            str(mini_copy),
            "--map",
            mapping,
            "--category",
            "building",
        ],
    )
    assert result.exit_code == 0, result.output
    assets = read_dataset(mini_copy).assets
    public = assets[assets["owner"] == "Sandwell Council"].set_index("name")
    assert len(public) == 3 and (public["owner_type"] == "public").all()
    assert public.loc["Victoria Park Pavilion", "use_status"] == "under_used"
    assert public.loc["Grove Lane Depot", "floor_area_m2"] == 640


def test_a_file_that_is_not_a_register_is_a_data_error(mini_copy, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "brownfield", str(other), "--into", str(mini_copy)])
    assert result.exit_code == 1
    assert "does not look like a brownfield land register" in " ".join(result.output.split())
