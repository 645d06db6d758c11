"""Aiming an OCDS import: region, buyer, CPV, dates, open only; text repairs; accounting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.errors import UsageError
from cwb.importers.ocds import import_ocds
from cwb.importers.ocds_filter import OcdsFilter, TextCleaner, postcode_region

runner = CliRunner()


def _release(ocid: str, buyer: str, postcode: str, cpv: str, **extra) -> dict:
    return {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": "2024-03-01T00:00:00Z",
        "tag": ["tender"],
        "buyer": {"id": "b", "name": buyer},
        "parties": [
            {"id": "b", "name": buyer, "roles": ["buyer"], "address": {"postalCode": postcode}}
        ],
        "tender": {
            "id": "t",
            "title": extra.pop("title", "A notice"),
            "status": "active",
            "classification": {"scheme": "CPV", "id": cpv, "description": "Some services"},
            **extra.pop("tender", {}),
        },
        **extra,
    }


AWARD = {
    "id": "a1",
    "status": "active",
    "value": {"amount": 1000, "currency": "GBP"},
    "suppliers": [{"id": "s", "name": "Local Ltd"}],
}


@pytest.fixture
def package(tmp_path: Path) -> Path:
    releases = [
        _release(
            "o-1", "Sandwell Council", "B69 3DE", "90911000", title="Caf\u00c3\u00a9 cleaning"
        ),
        _release("o-2", "Leeds City Council", "LS1 1UR", "90911000"),
        _release("o-3", "Birmingham &amp;amp; Solihull ICB", "B1 1TT", "45000000"),
        _release(
            "o-4",
            "Birmingham City Council",
            "B4 7DJ",
            "55520000",
            awards=[AWARD],
            parties=[
                {
                    "id": "b",
                    "name": "Birmingham City Council",
                    "roles": ["buyer"],
                    "address": {"postalCode": "B4 7DJ"},
                },
                {"id": "s", "name": "Local Ltd", "roles": ["supplier"]},
            ],
        ),
        # delivered in London although the buyer is in Birmingham
        _release(
            "o-5",
            "Birmingham Hub",
            "B5 4UA",
            "45000000",
            tender={"items": [{"id": "1", "deliveryAddresses": [{"region": "London"}]}]},
        ),
        _release("o-6", "Old buyer", "B66 2QT", "45000000", date="2015-01-01T00:00:00Z"),
    ]
    releases[5]["date"] = "2015-01-01T00:00:00Z"
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"uri": "x", "releases": releases}), encoding="utf-8")
    return path


def _ocids(result) -> set[str]:
    return set(result.tables["opportunities"]["ocid"])


def _adds_up(result) -> None:
    line = next(n for n in result.notes if n.startswith("releases: "))
    read, parts = re.match(r"releases: (\d+) read = (.*)", line).groups()
    assert int(read) == result.read
    assert sum(int(p.split(" ", 1)[0]) for p in parts.split(" + ")) == result.read


def test_region_from_delivery_else_buyer_postcode(package):
    result = import_ocds(package, project="p", where=OcdsFilter(region="West Midlands"))
    assert _ocids(result) == {"o-1", "o-3", "o-4", "o-6"}  # not Leeds, not delivered in London
    _adds_up(result)
    assert postcode_region("B66 2QT") == "West Midlands" and postcode_region("LS1 1UR") == (
        "Yorkshire and the Humber"
    )


def test_buyer_postcode_cpv_and_dates(package):
    def ocids(**kw) -> set[str]:
        return _ocids(import_ocds(package, project="p", where=OcdsFilter(**kw)))

    assert ocids(buyers=["birmingham"]) == {"o-3", "o-4", "o-5"}
    assert ocids(postcode_areas=["B66", "LS"]) == {"o-2", "o-6"}
    assert ocids(cpv=["9091"]) == {"o-1", "o-2"}  # read from tender.classification
    assert ocids(since="2020-01-01") == {"o-1", "o-2", "o-3", "o-4", "o-5"}
    assert ocids(until="2016-12-31") == {"o-6"}
    assert ocids(delivery_region="London") == {"o-5"}
    assert ocids(buyer_region="West Midlands") == {"o-1", "o-3", "o-4", "o-5", "o-6"}
    with pytest.raises(UsageError):
        OcdsFilter(since="last year")


def test_open_only_leaves_awarded_processes_as_spend(package):
    everything = import_ocds(package, project="p")
    opps = everything.tables["opportunities"].set_index("ocid")
    assert opps.loc["o-4", "status"] == "awarded" and opps.loc["o-1", "status"] == "active"
    result = import_ocds(package, project="p", where=OcdsFilter(open_only=True))
    assert "o-4" not in _ocids(result) and len(_ocids(result)) == 5
    spend = result.tables["spend"]
    assert spend["ocid"].tolist() == ["o-4"] and spend["sector"].tolist() == ["catering"]
    assert "1 awarded or closed processes (spend and suppliers only)" in result.notes[0]
    _adds_up(result)


def test_text_repaired_and_counted(package):
    result = import_ocds(package, project="p")
    opps = result.tables["opportunities"].set_index("ocid")
    assert opps.loc["o-1", "title"] == "Café cleaning"
    assert opps.loc["o-3", "buyer"] == "Birmingham & Solihull ICB"
    assert opps.loc["o-1", "sector"] == "cleaning" and opps.loc["o-1", "cpv"] == "90911000"
    assert "text repaired: HTML entities 1, mojibake 1" in result.notes


def test_text_cleaner():
    cleaner = TextCleaner()
    assert cleaner.clean("Scope:rnrnThe work") == "Scope: The work"
    assert cleaner.clean("Line one\\r\\nLine two") == "Line one Line two"
    assert cleaner.clean("Return Home policy") == "Return Home policy"  # not debris
    assert cleaner.clean("A &amp;amp; B") == "A & B"
    assert cleaner.strip_keys({"title ": "x", "items": [{" id": 1}]}) == {
        "title": "x",
        "items": [{"id": 1}],
    }
    assert cleaner.repairs == {"escape_debris": 2, "html_entities": 1, "keys": 2}


def test_keys_with_spaces_and_duplicate_releases(tmp_path):
    release = _release("k-1", "Sandwell Council", "B69 3DE", "90911000")
    release["tender"]["title "] = release["tender"].pop("title")
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"releases": [release, release]}), encoding="utf-8")
    result = import_ocds(path, project="p")
    assert result.tables["opportunities"]["title"].tolist() == ["A notice"]
    assert any("1 release(s) share an ocid" in n and "1 of them repeat" in n for n in result.notes)
    assert "text repaired: keys with spaces 2" in result.notes
    _adds_up(result)


def test_cli_filters_and_usage(mini_copy, package):
    result = runner.invoke(
        app,
        ["import", "ocds", str(package), "--into", str(mini_copy), "--region", "West Midlands"]
        + ["--cpv", "45,9091", "--since", "2020-01-01", "--open-only"],
    )
    assert result.exit_code == 0, result.output
    assert "releases: 6 read = 2 open notices (opportunities) + " in result.output
    ids = set(read_dataset(mini_copy).opportunities["id"])
    assert {"ocds:o-1", "ocds:o-3"} <= ids and "ocds:o-4" not in ids
    bad = runner.invoke(
        app, ["import", "osm", str(package), "--into", str(mini_copy), "--cpv", "4"]
    )
    assert bad.exit_code == 2 and "ocds imports only" in bad.output
    bad = runner.invoke(
        app, ["import", "ocds", str(package), "--into", str(mini_copy), "--since", "soon"]
    )
    assert bad.exit_code == 2 and "--since" in bad.output


REAL = "ocds_contracts_finder_bluetail/json_1_1_raw"


@pytest.mark.realdata
def test_contracts_finder_west_midlands(realdata):
    result = import_ocds(realdata / REAL, project="mmuh", where=OcdsFilter(region="West Midlands"))
    opps = result.tables["opportunities"]
    assert len(opps) == 8
    assert opps["buyer_postcode"].map(postcode_region).eq("West Midlands").all()
    assert opps["cpv"].notna().all() and opps["sector"].notna().all()
    assert set(opps["buyer"]) >= {"Birmingham City Council", "Coventry University"}
    assert result.notes[0] == (
        "releases: 100 read = 92 left out (not a notice of West Midlands "
        "(delivery, else buyer region)) + 8 awarded notices (opportunities marked awarded)"
    )
    assert "text repaired: HTML entities 18" in result.notes
    # every award of these notices went to several suppliers without shares: ceilings, not spend
    assert not len(result.tables["spend"])


@pytest.mark.realdata
def test_contracts_finder_open_only_and_repairs(realdata):
    result = import_ocds(realdata / REAL, project="mmuh", where=OcdsFilter(open_only=True))
    assert not len(result.tables["opportunities"])  # every notice here was awarded
    assert result.notes[0] == (
        "releases: 100 read = 100 awarded or closed processes (spend and suppliers only)"
    )
    assert "text repaired: HTML entities 58" in result.notes  # suppliers and awards only
    full = import_ocds(realdata / REAL, project="mmuh")
    assert "text repaired: escape debris 1, HTML entities 118" in full.notes
    assert any(n.startswith("93 framework award(s)") for n in result.notes)
    assert not any("&amp;" in str(n) for n in result.tables["assets"]["name"])
