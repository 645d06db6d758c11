"""Open Referral importer: HSDS CSV folders and JSON, the UK profile, and a malformed CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from cwb.dataset.postcodes import PostcodeLookup
from cwb.errors import DatasetError, UsageError
from cwb.importers.openreferral import import_openreferral

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data" / "importers"


def test_small_csv_folder():
    lookup = PostcodeLookup.from_csv(TESTS / "data" / "mini" / "postcodes.csv")
    result = import_openreferral(DATA / "hsds_small", postcodes=lookup)
    assets = result.tables["assets"].set_index("id")
    assert result.read == 3
    assert [p.reason for p in result.skipped] == ["organisation has no name"]
    advice = assets.loc["hsds:org-1"]
    assert advice[["kind", "category"]].tolist() == ["community", "charity"]
    assert advice["skills"] == "Benefits advice;Debt advice"  # the inactive service is left out
    assert advice["services"] == 2
    # its activity words give its sector (cwb/resources/sectors.csv); the shed has none
    assert advice[["sector", "activities"]].tolist() == ["community services", "advice"]
    assert advice["precision"] == "exact"
    assert (advice.geometry.y, advice.geometry.x) == (52.495, -1.962)
    assert advice["contact_email"] == "info@advice.example"
    assert advice["last_verified"] == "2023-09-01"
    shed = assets.loc["hsds:org-2"]
    assert shed["category"] == "voluntary_group"
    assert shed.isna()[["sector", "activities"]].all()
    assert shed["postcode"] == "B66 3AA" and shed["precision"] == "postcode"
    assert any("inactive" in n for n in result.notes)


def test_not_an_open_referral_folder(tmp_path):
    with pytest.raises(UsageError, match="organizations.csv"):
        import_openreferral(tmp_path)


def test_malformed_csv_names_file_and_row(tmp_path):
    folder = tmp_path / "hsds"
    folder.mkdir()
    (folder / "organizations.csv").write_text('id,name\no1,"Good org"\no2,"Bad "org"",x\n')
    with pytest.raises(DatasetError) as info:
        import_openreferral(folder)
    problem = info.value.problems[0]
    assert problem.file.endswith("organizations.csv") and problem.row == 3
    assert "3 fields where the header has 2" in problem.reason


@pytest.mark.realdata
@pytest.mark.parametrize("example", ["specification_examples", "uk_profile_examples"])
def test_hsds_examples_csv_and_json_agree(realdata, example):
    base = realdata / "openreferral_hsds" / example
    from_csv = import_openreferral(base / "csv").tables["assets"]
    from_json = import_openreferral(base / "organization_full.json").tables["assets"]
    for assets in (from_csv, from_json):
        assert len(assets) == 1
        org = assets.iloc[0]
        assert org["id"] == "hsds:d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
        assert org["name"] == "Example Organization Inc."
        assert org["skills"] == "Community Counselling"
        # the examples' coordinates are placeholders (100, 101): never used as a location
        assert org["precision"] == "none" and org.geometry is None
    assert from_csv.iloc[0]["postcode"] == from_json.iloc[0]["postcode"]


@pytest.mark.realdata
@pytest.mark.parametrize(
    "name", ["service_full.json", "service_list.json", "organization_list.json"]
)
def test_hsds_api_shapes(realdata, name):
    for example in ("specification_examples", "uk_profile_examples"):
        result = import_openreferral(realdata / "openreferral_hsds" / example / name)
        assert result.read == 1
        assert result.tables["assets"].iloc[0]["name"] == "Example Organization Inc."


@pytest.mark.realdata
def test_ohana_sample_malformed_location_csv(realdata):
    with pytest.raises(DatasetError) as info:
        import_openreferral(realdata / "openreferral_hsds" / "ohana_sample_2014")
    located = [p for p in info.value.problems if p.file.endswith("location.csv")]
    assert [p.row for p in located] == [8]
    assert "13 fields where the header has 12" in located[0].reason
    assert "location.csv, row 8" in str(located[0])
