"""Sector vocabulary (cwb.spend.sectors): CPV, SIC and category text → cwb sectors.

Known answers are read off the public classifications: CPV 2008 (79713000
guard services, 79540000 interpretation, 90910000 cleaning ...) and SIC 2007
(81.21 general cleaning of buildings, 74.30 translation and interpretation ...).
"""

from __future__ import annotations

import pandas as pd
import pytest
from realdata_paths import REALDATA

from cwb.spend.load import SpendSettings, prepare_transactions, read_spend_file, reconciliation
from cwb.spend.sectors import (
    SECTOR_SCHEMES,
    classify_one,
    classify_sectors,
    sector_scheme_table,
    sector_vocabulary,
)

PCARDS = (
    REALDATA
    / "spend_birmingham_city_council_pcards"
    / "bcc_purchase_card_transactions_2016-04_to_2017-03.csv"
)


@pytest.mark.parametrize(
    ("value", "sector"),
    [
        ("45000000-7", "construction"),
        ("45210000", "construction"),
        ("79713000-5", "security"),
        ("79710000", "security"),
        ("79540000-1", "interpreting"),
        ("79620000", "agency staffing"),
        ("79400000", "professional services"),
        ("90910000", "cleaning"),
        ("90500000", "waste"),
        ("55520000", "catering"),
        ("72000000", "IT"),
        ("60100000", "transport"),
        ("85100000", "health and care"),
        ("33600000", "pharmaceuticals"),
        ("33140000", "medical supplies"),
        ("77310000", "grounds maintenance"),
        ("09100000", "energy"),
        ("22100000", "printing and design"),
        ("98310000", "laundry"),
    ],
)
def test_cpv_codes_by_longest_prefix(value, sector):
    assert classify_one(value) == (sector, "cpv")


@pytest.mark.parametrize(
    ("value", "sector"),
    [
        ("81.21", "cleaning"),
        ("8121", "cleaning"),
        ("81210", "cleaning"),
        ("81.22", "cleaning"),
        ("81.10", "facilities management"),
        ("81.30", "grounds maintenance"),
        ("41201", "construction"),
        ("56.10/1", "catering"),
        ("49.32", "transport"),
        ("62020", "IT"),
        ("80.10", "security"),
        ("38110", "waste"),
        ("69.10", "professional services"),
        ("74.30", "interpreting"),
        ("74.10", "printing and design"),
        ("96.01", "laundry"),
        ("87300", "health and care"),
        ("18.12", "printing and design"),
        ("35.11", "energy"),
        ("78.20", "agency staffing"),
        ("21.20", "pharmaceuticals"),
    ],
)
def test_sic_codes_by_longest_prefix(value, sector):
    assert classify_one(value) == (sector, "sic")


@pytest.mark.parametrize(
    ("value", "sector"),
    [
        ("Purchases Food", "food"),
        ("PURCHASES  FOOD", "food"),
        ("Vehicle Fuel", "energy"),
        ("Clothing&Uniforms", "uniforms and textiles"),
        ("Translations", "interpreting"),
        ("Security Contracts", "security"),
        ("Bldg RM Departmental", "facilities management"),
    ],
)
def test_known_category_text(value, sector):
    assert classify_one(value) == (sector, "text")


def test_unknown_values_stay_as_given():
    assert classify_one("Other Third Parties") == ("Other Third Parties", "given")
    assert classify_one("20160401") == ("20160401", "given")  # 8 digits, no CPV division 20
    assert classify_one("9999") == ("9999", "given")
    assert classify_one("catering") == ("catering", "given")  # already a cwb sector
    assert classify_one("") == ("unknown", "given")
    assert classify_one(None) == ("unknown", "given")


def test_sector_map_wins_over_every_scheme():
    mapping = {"purchases food": "food banks", "81.21": "window cleaning", "45000000-7": "x"}
    assert classify_one("Purchases Food", mapping) == ("food banks", "sector_map")
    assert classify_one("81.21", mapping) == ("window cleaning", "sector_map")
    assert classify_one("45000000-7", mapping) == ("x", "sector_map")
    assert classify_one("45000000", mapping) == ("construction", "cpv")


def test_vocabulary_file_is_well_formed():
    table = sector_vocabulary()
    assert list(table.columns) == ["scheme", "code", "label", "sector"]
    assert set(table["scheme"]) == {"cpv", "sic", "text"}
    assert not table.duplicated(["scheme", "code"]).any()
    codes = table[table["scheme"] != "text"]["code"]
    assert codes.str.fullmatch(r"\d{2,5}").all()
    assert (table["sector"].str.strip() != "").all()


def spend_rows() -> pd.DataFrame:
    rows = [
        ("79713000", 100.0, "G4"),
        ("81.21", 50.0, "Shiny"),
        ("Purchases Food", 20.0, "Tesco"),
        ("Mystery", 5.0, "Acme"),
        ("Mystery", 7.0, "Acme"),
        ("", 1.0, "Blank"),
    ]
    frame = pd.DataFrame(rows, columns=["sector", "amount", "supplier_name"])
    for column in ("buyer", "supplier_id", "currency", "date", "sme", "size_band", "org_type"):
        frame[column] = pd.NA
    frame["buyer"] = "B"
    frame["date"] = [f"2024-01-0{i}" for i in range(1, 7)]
    return frame


def test_prepare_keeps_source_and_counts_each_scheme():
    settings = SpendSettings(sector_map={"Purchases Food": "catering"})
    frame = prepare_transactions(spend_rows(), settings)
    assert list(frame["sector"]) == [
        "security",
        "cleaning",
        "catering",
        "Mystery",
        "Mystery",
        "unknown",
    ]
    assert list(frame["sector_source"])[:4] == ["79713000", "81.21", "Purchases Food", "Mystery"]
    assert list(frame["sector_scheme"]) == ["cpv", "sic", "sector_map", "given", "given", "given"]
    table = sector_scheme_table(frame).set_index("scheme")
    assert list(table.index) == list(SECTOR_SCHEMES)
    assert table.loc["cpv", "amount_gbp"] == 100.0
    assert table.loc["sic", "transactions"] == 1
    assert table.loc["sector_map", "amount_gbp"] == 20.0
    assert table.loc["given", "transactions"] == 3
    assert table.loc["given", "values"] == 1  # "Mystery" (the empty cell has no source)
    assert table.loc["text", "transactions"] == 0
    # the lines add up to the rows read, like the reconciliation
    read = reconciliation(frame).set_index("line").loc["read"]
    assert table["transactions"].sum() == read["transactions"]
    assert table["amount_gbp"].sum() == pytest.approx(read["amount_gbp"])


def test_preparing_twice_classifies_the_source_again():
    once = prepare_transactions(spend_rows(), SpendSettings())
    twice = prepare_transactions(once, SpendSettings())
    assert list(twice["sector"]) == list(once["sector"])
    assert list(twice["sector_source"]) == list(once["sector_source"])


def test_classify_sectors_keeps_the_index():
    values = pd.Series(["45000000", None, "Laundry"], index=[10, 20, 30])
    out = classify_sectors(values)
    assert list(out.index) == [10, 20, 30]
    assert list(out["sector"]) == ["construction", "unknown", "laundry"]


def test_birmingham_pcard_categories():
    if not PCARDS.exists():
        pytest.skip("../shared/realdata is not available")

    spend = read_spend_file(PCARDS, "bcc-pcards")
    frame = prepare_transactions(spend, SpendSettings(duplicate_key=("card",)))
    table = sector_scheme_table(frame).set_index("scheme")
    assert table["transactions"].sum() == len(spend) == 52526
    by_source = frame.groupby("sector_source")["sector"].first()
    assert by_source["Vehicle Fuel"] == "energy"
    assert by_source["Purchases Food"] == "food"
    assert by_source["Other Third Parties"] == "Other Third Parties"
    # the most frequent categories that clearly belong to a sector are translated
    assert table.loc["text", "transactions"] > 20000
    assert table.loc["cpv", "transactions"] == table.loc["sic", "transactions"] == 0
