"""Birmingham City Council purchase cards (52,526 real transactions) through ``cwb spend``.

The file names merchants as the card network records them, with no supplier
postcode: every included pound must come out as *unlocated*, none dropped.
Skipped when ../shared/realdata is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from realdata_paths import REALDATA
from typer.testing import CliRunner

from cwb.cli import app
from cwb.spend.load import read_spend_file

PCARDS = (
    REALDATA
    / "spend_birmingham_city_council_pcards"
    / "bcc_purchase_card_transactions_2016-04_to_2017-03.csv"
)
FIXTURE = Path(__file__).parent / "data" / "spend"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not PCARDS.exists(), reason="../shared/realdata is not available"),
]


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(PCARDS, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("pcards") / "pcards.json"
    run = CliRunner().invoke(
        app,
        [
            "spend",
            str(FIXTURE),
            "--file",
            str(PCARDS),
            "--mapping",
            "bcc-pcards",
            "-o",
            str(target),
        ],
        env={"COLUMNS": "200"},
    )
    assert run.exit_code == 0, run.output
    return json.loads(target.read_text())


def expected_gbp(raw: pd.DataFrame) -> pd.Series:
    """Billed GBP amount where the file gives one (Jan-Mar 2017), else the original amount."""
    billed = raw["BILLING GROSS AMT"].where(
        raw["BILLING GROSS AMT"] != "", raw["ORIGINAL GROSS AMT"]
    )
    return pd.to_numeric(billed, errors="coerce")


def test_mapping_reads_every_row_unlocated():
    spend = read_spend_file(PCARDS, "bcc-pcards")
    assert len(spend) == 52526
    assert (spend["precision"] == "none").all()
    assert spend.geometry.isna().all()
    assert set(spend["buyer"]) == {"Birmingham City Council"}
    assert spend["id"].is_unique
    # the cost-centre site postcode is kept, but never used to locate the merchant
    assert spend["site_postcode"].notna().sum() == 158


def test_every_row_and_pound_is_accounted_for(result, raw):
    rec = {r["line"]: r for r in result["reconciliation"]}
    assert rec["read"]["transactions"] == len(raw) == 52526
    parts = [r for line, r in rec.items() if line == "included" or line.startswith("excluded")]
    assert sum(r["transactions"] for r in parts) == 52526
    assert sum(r["amount_gbp"] for r in parts) == pytest.approx(rec["read"]["amount_gbp"], abs=0.05)
    assert rec["read"]["amount_gbp"] == pytest.approx(expected_gbp(raw).sum(), abs=0.05)
    assert rec["excluded: invalid_amount"]["transactions"] == 1  # one row has no amount at all


def test_duplicates_count_card_by_card(result, raw):
    amount = expected_gbp(raw)
    currency = raw["BILLING CUR CODE"].where(raw["BILLING CUR CODE"] != "", raw["ORIGINAL CUR"])
    key = pd.DataFrame(
        {
            "date": raw["TRANS DATE"],
            "merchant": raw["MERCHANT NAME"].str.casefold().str.strip(),
            "amount": amount,
            "currency": currency.replace("", "GBP"),
            "card": raw["CARD NUMBER"],
        }
    )[amount.notna()]
    expected = int(key.duplicated().sum())
    rec = {r["line"]: r for r in result["reconciliation"]}
    assert rec["excluded: duplicate"]["transactions"] == expected


def test_unlocated_spend_is_reported_not_dropped(result):
    overall = result["summary"][-1]
    rec = {r["line"]: r for r in result["reconciliation"]}
    assert overall["buyer"] == "(all buyers)"
    assert overall["total_gbp"] == pytest.approx(rec["included"]["amount_gbp"], abs=0.05)
    assert overall["total_gbp"] > 8_000_000
    assert overall["unlocated_gbp"] == pytest.approx(overall["total_gbp"], abs=0.05)
    assert overall["unlocated_share"] == 1.0
    assert overall["local_gbp"] == 0 and overall["leakage_gbp"] == 0
    assert any("could not be located" in note for note in result["notes"])


def test_sectors_and_top_merchants(result):
    sectors = [r for r in result["by_sector"] if r["buyer"] == "(all buyers)"]
    assert sectors[0]["sector"] == "Other Third Parties"
    assert sum(r["total_gbp"] for r in sectors) == pytest.approx(
        result["summary"][-1]["total_gbp"], abs=1.0
    )
    top = [r for r in result["top_suppliers"] if r["buyer"] == "(all buyers)"]
    assert top[0]["supplier_name"] == "travelodge website"
    years = {r["year"] for r in result["by_year"]}
    assert "2016-17" in years


def test_sector_vocabulary_and_located_by_are_reported(result):
    schemes = {r["scheme"]: r for r in result["sector_schemes"]}
    assert sum(r["transactions"] for r in schemes.values()) == 52526
    assert schemes["text"]["transactions"] == 24229  # Vehicle Fuel, Purchases Food, Books ...
    sectors = {r["sector"] for r in result["by_sector"]}
    assert {"energy", "food", "transport", "printing and design"} <= sectors
    assert "Vehicle Fuel" not in sectors
    how = {r["located_by"]: r for r in result["located_by"]}
    assert sum(r["transactions"] for r in how.values()) == 52526
    # the fixture's four financial assets match no merchant: nothing located, nothing ambiguous
    assert how["unlocated"]["transactions"] == 52526
    assert how["ambiguous"]["transactions"] == 0
    assert any("Sectors translated" in note for note in result["notes"])


def test_every_amount_and_date_is_read_to_the_penny(result, raw):
    notes = " | ".join(result["notes"])
    assert (
        f"{PCARDS.name}: 52,526 rows; amounts: 52,525 read, 0 written as a dash (read as £0), "
        "1 empty, 0 unreadable" in notes
    )
    assert "dates (day first): 52,525 read, 0 month only (read as the 1st), 1 empty" in notes
    pence = round(expected_gbp(raw).sum() * 100)
    assert round(result["reconciliation"][0]["amount_gbp"] * 100) == pence
    # card transactions from 8 March 2016 to 3 April 2017, each dated, in three financial years
    dates = pd.to_datetime(raw["TRANS DATE"], format="%Y-%m-%d", errors="coerce")
    assert dates.isna().sum() == 1
    overall = [r for r in result["by_year"] if r["buyer"] == "(all buyers)"]
    assert {r["year"] for r in overall} <= {"2015-16", "2016-17", "2017-18", "unknown"}
