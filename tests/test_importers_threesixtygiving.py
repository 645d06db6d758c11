"""360Giving importer: funders, recipients, funding links; JSON and spreadsheets; real grants."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from cwb.dataset.postcodes import PostcodeLookup
from cwb.errors import DatasetError
from cwb.importers.threesixtygiving import import_360giving, recipient_category

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data" / "importers"
MINI = TESTS / "data" / "mini"


@pytest.fixture(scope="module")
def small():
    areas = gpd.read_file(MINI / "areas.geojson")
    return import_360giving(
        DATA / "grants_small.json",
        postcodes=PostcodeLookup.from_csv(MINI / "postcodes.csv"),
        areas=areas,
    )


def test_counts(small):
    assert small.read == 4
    assert len(small.tables["links"]) == 3
    assert [p.reason for p in small.skipped] == ["grant has no recipient organisation"]
    assert small.skipped[0].value == "360G-test-004"


def test_funders_and_recipients(small):
    assets = small.tables["assets"].set_index("id")
    assert len(assets) == 3  # one funder, two recipients (the kitchen has two grants)
    assert assets.loc["GB-CHC-999001", ["kind", "category"]].tolist() == ["financial", "funder"]
    assert assets.loc["GB-CHC-1100001", "category"] == "charity"
    assert assets.loc["GB-CHC-1100001", "registered_number"] == "1100001"
    assert assets.loc["GB-COH-12345678", ["kind", "category"]].tolist() == [
        "financial",
        "social_enterprise",
    ]


def test_recipients_activities_give_sector_and_skills(small):
    assets = small.tables["assets"].set_index("id")
    kitchen = assets.loc["GB-CHC-1100001"]
    assert kitchen[["sector", "skills", "activities"]].tolist() == [
        "catering",
        "catering;cook",
        "kitchen",
    ]
    sports = assets.loc["GB-COH-12345678"]
    assert sports["sector"] == "arts and leisure"  # "Sports" in its name comes first
    assert sports["skills"] == "fitness;youth_work"
    assert pd.isna(assets.loc["GB-CHC-999001", "sector"])  # funders get none
    assert any(n.startswith("activities: 2 of the file's 2 recipient(s)") for n in small.notes)


def test_recipients_located_by_postcode_then_area(small):
    assets = small.tables["assets"].set_index("id")
    kitchen = assets.loc["GB-CHC-1100001"]
    assert kitchen["precision"] == "postcode"
    assert (round(kitchen.geometry.y, 4), round(kitchen.geometry.x, 4)) == (52.4932, -1.9621)
    sports = assets.loc["GB-COH-12345678"]  # no postcode: its beneficiary ward
    assert sports["area_code"] == "E1"
    assert sports["precision"] == "area"
    assert assets.loc["GB-CHC-999001", "precision"] == "none"


def test_links_are_flows(small):
    links = small.tables["links"].set_index("grant_id")
    assert links.loc["360G-test-001", ["source", "target", "relation"]].tolist() == [
        "GB-CHC-999001",
        "GB-CHC-1100001",
        "funds",
    ]
    assert links.loc["360G-test-001", "amount"] == 12500
    assert links.loc["360G-test-002", "amount"] == pytest.approx(7250.50)  # "7,250.50" in the file
    assert links.loc["360G-test-002", "since"] == "2022-01-10"


def test_spreadsheet_through_flattentool():
    result = import_360giving(DATA / "grants_small.csv")
    links = result.tables["links"].set_index("grant_id")
    assert result.read == 2
    assert links.loc["360G-csv-2", "amount"] == pytest.approx(30000.75)
    assets = result.tables["assets"].set_index("id")
    assert assets.loc["GB-CHC-1100002", "name"] == "Bearwood Allotment Society"
    assert assets.loc["GB-CHC-1100002", "postcode"] == "B66 2QT"
    assert assets.loc["GB-CHC-1100003", "ward_code"] == "E1"


def test_recipient_category_rules():
    assert (
        recipient_category({"organisationType": "Industrial and provident society"})
        == "cooperative"
    )
    assert (
        recipient_category({"organisationType": "Community Interest Company"})
        == "social_enterprise"
    )
    assert recipient_category({"charityNumber": "123"}) == "charity"
    assert recipient_category({}) == "voluntary_group"


def test_not_a_360giving_file(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"releases": []}))
    with pytest.raises(DatasetError, match="360Giving"):
        import_360giving(bad)


@pytest.mark.realdata
@pytest.mark.parametrize(
    "name, grants, funder",
    [
        ("power_to_change_grants_2015-2019_a002400000nO46WAAS.json", 870, "GB-CHC-1159982"),
        ("lloyds_bank_foundation_grants_2010-2015_a002400000OiDBQAA3.json", 4116, "GB-CHC-327114"),
    ],
)
def test_real_grant_files(realdata, name, grants, funder):
    path = realdata / "360giving_grantnav" / name
    source = json.loads(path.read_text(encoding="utf-8"))["grants"]
    result = import_360giving(path)
    assert result.read == len(source) == grants
    links = result.tables["links"]
    assert len(links) == grants and not result.skipped
    assert links["amount"].sum() == pytest.approx(sum(g["amountAwarded"] for g in source))
    assert set(links["source"]) == {funder}
    recipients = {g["recipientOrganization"][0]["id"] for g in source}
    assert len(result.tables["assets"]) == len(recipients) + 1


@pytest.mark.realdata
def test_known_grant_and_birmingham_recipients(realdata):
    lookup = PostcodeLookup.from_csv(
        realdata / "bsol_mapR" / "WM_Postcodes_B_WS_WV_DY.csv",
        postcode="Postcode",
        lat="LAT",
        lon="LONG",
    )
    path = (
        realdata / "360giving_grantnav" / "power_to_change_grants_2015-2019_a002400000nO46WAAS.json"
    )
    result = import_360giving(path, postcodes=lookup)
    links = result.tables["links"].set_index("grant_id")
    assert links.loc["360G-ptc-gr-01653", "amount"] == pytest.approx(3239.34)
    assert links.loc["360G-ptc-gr-01653", "target"] == "GB-COH-IP28755R"
    assets = result.tables["assets"].set_index("id")
    hyde = assets.loc["GB-COH-IP28755R"]
    assert hyde["category"] == "cooperative"  # an industrial and provident society
    assert hyde["lsoa_code"] == "E01011681" and hyde["ward_code"] == "E05001429"
    located = assets[assets["precision"] == "postcode"]
    assert len(located) > 0
    assert located["postcode"].str.match(r"^(B|WS|WV|DY)\d").all()


def test_xlsx_spreadsheet(tmp_path):
    path = tmp_path / "grants.xlsx"
    pd.read_csv(DATA / "grants_small.csv", dtype=str).to_excel(
        path, index=False, sheet_name="grants"
    )
    result = import_360giving(path)
    assert result.read == 2
    assert result.tables["links"]["amount"].sum() == pytest.approx(31500.75)
