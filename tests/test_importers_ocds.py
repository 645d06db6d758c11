"""OCDS importer: releases compiled with ocdsmerge, lots, suppliers, spend; Contracts Finder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cwb.errors import UsageError
from cwb.importers.ocds import cpv_sector, import_ocds

TESTS = Path(__file__).resolve().parent


def _release(rid: str, date: str, tag: str, **extra) -> dict:
    return {
        "ocid": "ocds-test-001",
        "id": rid,
        "date": date,
        "tag": [tag],
        "initiationType": "tender",
        **extra,
    }


PARTIES = [
    {
        "id": "buyer-1",
        "name": "Sandwell and West Birmingham NHS Trust",
        "roles": ["buyer"],
        "address": {"postalCode": "B66 2QT"},
    },
    {
        "id": "sup-1",
        "name": "Cape Hill Catering CIC",
        "roles": ["supplier"],
        "vco": True,
        "sme": True,
        "identifier": {"scheme": "GB-COH", "id": "11111111"},
        "address": {"streetAddress": "1 Cape Hill, B66 3AA"},
    },
    {"id": "sup-2", "name": "Big Catering plc", "roles": ["supplier"], "sme": False},
]


@pytest.fixture
def package(tmp_path) -> Path:
    tender = _release(
        "r1",
        "2024-01-01T00:00:00Z",
        "tender",
        buyer={"id": "buyer-1", "name": PARTIES[0]["name"]},
        parties=PARTIES[:1],
        tender={
            "id": "t1",
            "title": "Catering for the new hospital",
            "value": {"amount": 900000, "currency": "GBP"},
            "lots": [
                {"id": "1", "title": "Staff restaurant", "value": {"amount": 600000}},
                {"id": "2", "title": "Ward meals", "value": {"amount": 300000}},
            ],
            "items": [
                {
                    "id": "i1",
                    "relatedLot": "1",
                    "classification": {
                        "scheme": "CPV",
                        "id": "55520000",
                        "description": "Catering services",
                    },
                },
                {
                    "id": "i2",
                    "relatedLot": "2",
                    "classification": {
                        "scheme": "CPV",
                        "id": "15894210",
                        "description": "Hospital meals",
                    },
                },
            ],
            "contractPeriod": {
                "startDate": "2024-10-01T00:00:00Z",
                "endDate": "2027-09-30T00:00:00Z",
            },
            "tenderPeriod": {"endDate": "2024-03-01T00:00:00Z"},
        },
    )
    award = _release(
        "r2",
        "2024-05-01T00:00:00Z",
        "award",
        parties=PARTIES[1:],
        awards=[
            {
                "id": "a1",
                "status": "active",
                "date": "2024-05-01",
                "value": {"amount": 600000, "currency": "GBP"},
                "suppliers": [{"id": "sup-1", "name": "Cape Hill Catering CIC"}],
            },
            {
                "id": "a2",
                "status": "active",
                "date": "2024-05-01",
                "value": {"amount": 300000, "currency": "GBP"},
                "suppliers": [
                    {"id": "sup-1", "name": "Cape Hill Catering CIC"},
                    {"id": "sup-2", "name": "Big Catering plc"},
                ],
            },
            {"id": "a3", "status": "cancelled", "suppliers": [{"id": "sup-2"}]},
        ],
    )
    path = tmp_path / "package.json"
    path.write_text(
        json.dumps(
            {
                "uri": "x",
                "version": "1.1",
                "publishedDate": "2024-05-02T00:00:00Z",
                "license": "https://example.org/licence",
                "releases": [tender, award],
            }
        )
    )
    return path


def test_releases_are_compiled_per_ocid(package):
    result = import_ocds(package, project="mmuh")
    assert result.read == 2
    opps = result.tables["opportunities"].set_index("id")
    assert list(opps.index) == ["ocds:ocds-test-001/lot/1", "ocds:ocds-test-001/lot/2"]
    lot1 = opps.loc["ocds:ocds-test-001/lot/1"]
    assert lot1["title"] == "Catering for the new hospital – Staff restaurant"
    assert lot1[["type", "project", "sector", "value", "starts", "ends"]].tolist() == [
        "contract",
        "mmuh",
        "catering",
        600000.0,
        "2024-10-01",
        "2027-09-30",
    ]
    # the skills are the sector's vocabulary codes (the one sector table); CPV labels kept
    assert lot1["skills"] == "catering"
    assert lot1["cpv_labels"] == "Catering services"
    assert lot1["skills_basis"] == "sector catering → catering"
    assert lot1["buyer"] == "Sandwell and West Birmingham NHS Trust"
    assert lot1["deadline"] == "2024-03-01"
    assert opps.loc["ocds:ocds-test-001/lot/2", "sector"] == "food"
    assert opps.loc["ocds:ocds-test-001/lot/2", "skills"] == "catering;cook"
    assert set(opps["licence"]) == {"https://example.org/licence"}


def test_suppliers_and_spend(package):
    result = import_ocds(package, project="mmuh")
    suppliers = result.tables["assets"].set_index("id")
    assert suppliers.loc[
        "GB-COH-11111111", ["category", "registered_number", "postcode"]
    ].tolist() == ["social_enterprise", "11111111", "B66 3AA"]
    assert len(suppliers) == 2
    spend = result.tables["spend"]
    # the award shared by two suppliers without their shares is a ceiling, not spend
    assert spend["amount"].sum() == pytest.approx(600000)
    assert not spend["id"].str.contains("/award/a2/").any()
    assert any("1 framework award(s)" in n and "£300,000" in n for n in result.notes)
    assert any("1 × award status cancelled" in n for n in result.notes)
    assert result.skipped == []


def test_record_package_with_compiled_release(tmp_path):
    record = {
        "ocid": "ocds-rec-1",
        "compiledRelease": {
            "ocid": "ocds-rec-1",
            "tender": {
                "title": "Grounds maintenance",
                "value": {"amount": 50000, "currency": "GBP"},
                "items": [
                    {
                        "id": "1",
                        "classification": {
                            "scheme": "CPV",
                            "id": "77310000",
                            "description": "Planting",
                        },
                    }
                ],
            },
        },
    }
    path = tmp_path / "records.json"
    path.write_text(json.dumps({"uri": "x", "version": "1.1", "records": [record]}))
    result = import_ocds(path, project="p")
    opp = result.tables["opportunities"].iloc[0]
    assert (
        opp["id"] == "ocds:ocds-rec-1"
        and opp["sector"] == "grounds maintenance"
        and opp["value"] == 50000
    )


def test_project_is_required(package):
    with pytest.raises(UsageError, match="project"):
        import_ocds(package, project="")


def test_cpv_sector():
    assert cpv_sector("90911200-8") == "cleaning"
    assert cpv_sector("45000000") == "construction"
    assert cpv_sector("") is None


@pytest.mark.realdata
def test_contracts_finder_packages(realdata):
    folder = realdata / "ocds_contracts_finder_bluetail" / "json_1_1_raw"
    packages = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    releases = [r for p in packages for r in p["releases"]]
    result = import_ocds(folder, project="mmuh")
    assert result.read == len(releases) == 100
    opps = result.tables["opportunities"].set_index("ocid")
    assert len(opps) == 100 and not result.skipped
    bfi = opps.loc["ocds-b5fd17raw-0054a4e6-0715-42c6-9109-e219fe9d3289"]
    assert bfi["title"] == "UK Film Presence at Cannes 2020 - AWARD"
    assert bfi["value"] == 755000 and bfi["buyer"] == "BFI"
    assert bfi["cpv"] == "79952000;79952100" and bfi["sector"] == "events"
    # spend: the awards to one supplier (or to several with their own x_awardValue shares)
    # that are not frameworks; a framework's value is a ceiling, not spend
    words = ("framework", "dps", "dynamic purchasing")
    expected = 0.0
    for release in releases:
        parties = {p["id"]: p for p in release["parties"]}
        tender = release["tender"]
        for award in release["awards"]:
            own = [
                (parties[s["id"]].get("x_awardValue") or {}).get("amount")
                for s in award["suppliers"]
            ]
            texts = " ".join(
                str(t or "")
                for t in (tender["title"], tender.get("procurementMethodDetails"), award["title"])
            ).lower()
            if any(w in texts.replace("-", " ").split() or w in texts for w in words):
                continue
            if len(own) > 1 and any(v is None for v in own):
                continue
            expected += sum(own) if len(own) > 1 else (award.get("value") or {}).get("amount") or 0
    assert result.tables["spend"]["amount"].sum() == pytest.approx(expected)
    assert result.tables["spend"]["amount"].sum() < 0.2e9  # not the £4.7bn of framework ceilings
    assert set(result.tables["spend"]["buyer"]) <= {r["buyer"]["name"] for r in releases}


def test_flattened_spreadsheet_through_flattentool(tmp_path):
    path = tmp_path / "releases.csv"
    path.write_text(
        "ocid,id,date,tag,buyer/name,tender/id,tender/title,tender/value/amount,tender/value/currency,"
        "tender/items/0/id,tender/items/0/classification/scheme,tender/items/0/classification/id,"
        "tender/items/0/classification/description\n"
        "ocds-sheet-1,r1,2024-01-01,tender,Sandwell Council,t1,Window cleaning,12000,GBP,1,CPV,"
        "90911300,Window-cleaning services\n"
    )
    result = import_ocds(path, project="mmuh")
    opp = result.tables["opportunities"].iloc[0]
    assert opp["id"] == "ocds:ocds-sheet-1"
    assert (opp["title"], opp["value"], opp["sector"], opp["buyer"]) == (
        "Window cleaning",
        12000.0,
        "cleaning",
        "Sandwell Council",
    )
