"""Register importer: column mappings, presets, skips, real registers located by postcode."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cwb.dataset.postcodes import PostcodeLookup
from cwb.errors import UsageError
from cwb.importers.registers import PRESETS, import_register, parse_mapping

DATA = Path(__file__).resolve().parent / "data" / "importers"
MINI_POSTCODES = Path(__file__).resolve().parent / "data" / "mini" / "postcodes.csv"


@pytest.fixture(scope="module")
def mini_lookup() -> PostcodeLookup:
    return PostcodeLookup.from_csv(MINI_POSTCODES)


@pytest.fixture
def wm_lookup(realdata) -> PostcodeLookup:
    return PostcodeLookup.from_csv(
        realdata / "bsol_mapR" / "WM_Postcodes_B_WS_WV_DY.csv",
        postcode="Postcode",
        lat="LAT",
        lon="LONG",
    )


def test_parse_mapping():
    assert parse_mapping("name=Org Name, postcode=Post Code") == {
        "name": "Org Name",
        "postcode": "Post Code",
    }
    assert parse_mapping(None) == {}
    with pytest.raises(UsageError, match="unknown cwb column"):
        parse_mapping("nmae=Org Name")
    with pytest.raises(UsageError, match="must look like"):
        parse_mapping("name")


def test_mapped_register(mini_lookup):
    result = import_register(
        DATA / "register_small.csv",
        mapping=parse_mapping(
            "name=Org Name,postcode=Post Code,registered_number=Reg No,id=Reg No"
        ),
        category="charity",
        postcodes=mini_lookup,
    )
    assets = result.tables["assets"]
    assert result.read == 5
    assert list(assets["id"]) == [
        "register_small:1100003",
        "register_small:1100002",
        "register_small:1100010",
    ]
    assert set(assets["kind"]) == {"community"}
    reasons = sorted(p.reason for p in result.skipped)
    assert reasons[0] == "duplicate id in the register"
    assert [p.value for p in result.skipped if p.reason.startswith("duplicate")] == [
        "register_small:1100003"
    ]
    assert reasons[1] == "no name"
    assert [p.row for p in result.skipped if p.reason == "no name"] == [4]
    by_id = assets.set_index("id")
    # the lower-case postcode is normalised and found in the lookup
    assert by_id.loc["register_small:1100002", "postcode"] == "B66 2QT"
    assert by_id.loc["register_small:1100002", "precision"] == "postcode"
    point = by_id.loc["register_small:1100002", "geometry"]
    assert (round(point.y, 5), round(point.x, 5)) == (52.49514, -1.94472)
    # a postcode not in the lookup: kept, unlocated, counted
    assert by_id.loc["register_small:1100010", "precision"] == "none"
    assert by_id.loc["register_small:1100010", "geometry"] is None
    assert result.unlocated() == {"assets": 1}
    assert result.read == len(assets) + len(result.skipped)


def test_register_errors():
    with pytest.raises(UsageError, match="not in the file"):
        import_register(DATA / "register_small.csv", mapping={"name": "NAME"})
    with pytest.raises(UsageError, match="needs at least name"):
        import_register(DATA / "register_small.csv", mapping={"postcode": "Post Code"})
    with pytest.raises(UsageError, match="unknown register preset"):
        import_register(DATA / "register_small.csv", preset="nope")
    with pytest.raises(UsageError, match="unknown category"):
        import_register(
            DATA / "register_small.csv", mapping={"name": "Org Name"}, category="castle"
        )


def test_without_id_column_ids_are_stable():
    mapping = {"name": "Org Name", "postcode": "Post Code"}
    first = import_register(DATA / "register_small.csv", mapping=mapping)
    second = import_register(DATA / "register_small.csv", mapping=mapping)
    assert list(first.tables["assets"]["id"]) == list(second.tables["assets"]["id"])


def test_presets_are_valid():
    for preset in PRESETS.values():
        assert preset.mapping["name"]


@pytest.mark.realdata
def test_libraries(realdata, wm_lookup):
    path = realdata / "libraries_librarieshacked" / "libraries_2016_west_midlands_met.csv"
    source = pd.read_csv(path, dtype=str, keep_default_na=False)
    result = import_register(path, preset="libraries", postcodes=wm_lookup)
    assets = result.tables["assets"].set_index("id")
    assert result.read == len(source) == 152
    closed = int((source["closed"] != "").sum())
    assert closed == 10
    assert len(result.skipped) == closed
    assert {p.reason for p in result.skipped} == {"closed library"}
    assert len(assets) == 142
    acocks = assets.loc["library:76"]
    assert acocks["name"] == "Acocks Green Library"
    assert acocks["postcode"] == "B27 7XH"
    assert acocks["precision"] == "exact"
    assert round(acocks.geometry.y, 5) == 52.44504 and round(acocks.geometry.x, 5) == -1.82416
    assert set(assets["category"]) == {"library"}


@pytest.mark.realdata
def test_gp_practices_located_through_the_postcode_lookup(realdata, wm_lookup):
    path = realdata / "gp_practices_ods" / "epraccur_2019-12_B_WS_WV_DY_postcodes.csv"
    source = pd.read_csv(path, dtype=str, keep_default_na=False)
    result = import_register(path, preset="gp_practices", postcodes=wm_lookup)
    assets = result.tables["assets"]
    active_gp = source[
        (source["status_code"] == "A")
        & (source["close_date"] == "")
        & (source["prescribing_setting"] == "4")
    ]
    assert result.read == len(source) == 1014
    assert len(assets) == len(active_gp)
    assert len(assets) + len(result.skipped) == result.read
    assert set(assets["precision"]) <= {"postcode", "none"}
    # every located practice sits exactly on its postcode in the lookup
    located = assets[assets["precision"] == "postcode"]
    lat, lon, found = wm_lookup.locate(located["postcode"])
    assert found.all()
    assert (abs(located.geometry.y.to_numpy() - lat) < 1e-9).all()
    # and agrees with the coordinates the source file carries from the same lookup
    known = active_gp.set_index("organisation_code")
    row = located.iloc[0]
    code = row["id"].split(":")[1]
    assert abs(float(known.loc[code, "lat_from_bsol_postcodes"]) - row.geometry.y) < 1e-5
    unlocated = assets[assets["precision"] == "none"]
    assert not wm_lookup.locate(unlocated["postcode"])[2].any()


@pytest.mark.realdata
def test_nhs_sites(realdata, wm_lookup):
    path = realdata / "nhs_techforuk" / "ods_etrust_sites_B_WS_WV_DY_postcodes.csv"
    result = import_register(path, preset="nhs_ods", postcodes=wm_lookup)
    assets = result.tables["assets"].set_index("id")
    assert result.read == 2160
    assert len(assets) == 2011  # sites with no close date
    qe = assets.loc["ods:R1A02"]
    assert qe["name"] == "QUEEN ELIZABETH HOSPITAL"
    assert qe["postcode"] == "B15 2TH"
    assert qe["precision"] == "postcode"
    hospitals = import_register(
        realdata / "nhs_techforuk" / "nhs_website_hospitals_2018_england.csv",
        preset="nhs_hospitals",
    )
    assert hospitals.read == 1231
    assert (hospitals.tables["assets"]["precision"] == "exact").sum() == 1230


def test_charity_commission_preset(mini_lookup):
    result = import_register(
        DATA / "charity_register_small.csv", preset="charity_commission", postcodes=mini_lookup
    )
    assets = result.tables["assets"].set_index("id")
    assert list(assets.index) == ["GB-CHC-1100002", "GB-CHC-1100003"]  # the same id 360Giving uses
    assert set(assets["category"]) == {"charity"}
    assert [(p.reason, p.value, p.row) for p in result.skipped] == [
        ("not a registered charity", "Removed", 4)
    ]


def test_companies_house_preset():
    result = import_register(DATA / "companies_small.csv", preset="companies_house")
    assets = result.tables["assets"].set_index("id")
    # the padded " CompanyNumber" header is read as CompanyNumber
    assert assets.loc["GB-COH-11111111", ["kind", "category"]].tolist() == [
        "financial",
        "social_enterprise",
    ]
    assert assets.loc["GB-COH-IP031234", "category"] == "cooperative"
    assert assets.loc["GB-COH-33333333", "category"] == "business"  # still active
    assert assets.loc["GB-COH-11111111", "sector"] == "56290 - Other food services"
    assert [p.value for p in result.skipped] == ["Dissolved"]
