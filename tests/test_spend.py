"""Spend analysis on a hand-built fixture (tests/data/spend) with hand-computed figures.

The fixture's included transactions, by buyer (GBP; EUR at 0.85):

Test Trust (total 7085)
    T01 Kitchen Co-op   1000  A1 (Sandwell, IMD decile 1)  local   SME  co-op
    T02 Kitchen Co-op   -200  credit note, netted           local   SME  co-op
    T03 City Caterers    500  A2 (Birmingham)               local
    T04 Brum Cleaning   2000  B1 1AA, outside the areas     regional SME
    T05 Manc Laundry    3000  M1 1AA                        elsewhere
    T07 Unknown Ltd      700  no postcode                   unlocated
    T08 Euro Supplies     85  100 EUR, no postcode          unlocated
  excluded: T06 duplicate of T05 (3000), T09 USD without a rate, T10 only a credit (-300)
Test Council (total 1250)
    T11 Kitchen Co-op    400  local; T12 Far Builders 600 (B99 9ZZ not in the lookup: unlocated);
    T14 Brum Cleaning    250  regional; excluded: T13 has no amount
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cwb.dataset.manifest import manifest_from_dict
from cwb.dataset.model import WGS84, Dataset
from cwb.errors import DatasetError, UsageError
from cwb.spend.analysis import (
    ALL_BUYERS,
    analyse_spend,
    relocalisable_opportunities,
    supplier_points,
    supplier_spend_by_area,
    write_spend,
)
from cwb.spend.load import (
    extract_postcode,
    financial_year,
    locate_spend,
    mapping_names,
    parse_amounts,
    prepare_transactions,
    read_mapping,
    read_spend_file,
    reconciliation,
    spend_settings,
)
from cwb.spend.multiplier import read_survey

FIXTURE = Path(__file__).parent / "data" / "spend"


def load_fixture() -> Dataset:
    """The fixture as a Dataset, built without cwb.dataset.io (so these tests stand alone)."""
    manifest = manifest_from_dict(tomllib.loads((FIXTURE / "dataset.toml").read_text()))
    postcodes = pd.read_csv(FIXTURE / "postcodes.csv", dtype={"postcode": str})
    spend = locate_spend(pd.read_csv(FIXTURE / "spend.csv", dtype=str), postcodes)
    raw_assets = pd.read_csv(FIXTURE / "assets.csv", dtype={"postcode": str})
    assets = gpd.GeoDataFrame(
        raw_assets.drop(columns=["lat", "lon"]),
        geometry=gpd.points_from_xy(raw_assets["lon"], raw_assets["lat"]),
        crs=WGS84,
    )
    opportunities = gpd.GeoDataFrame(
        pd.read_csv(FIXTURE / "opportunities.csv"), geometry=[None], crs=WGS84
    )
    return Dataset(
        manifest=manifest,
        assets=assets,
        opportunities=opportunities,
        areas=gpd.read_file(FIXTURE / "areas.geojson"),
        spend=spend,
        path=FIXTURE,
    )


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_fixture()


@pytest.fixture(scope="module")
def analysis(ds):
    return analyse_spend(ds)


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for key, value in where.items():
        mask &= table[key] == value
    assert mask.sum() == 1, f"{where}: {mask.sum()} rows"
    return table[mask].iloc[0]


def test_statuses_of_each_transaction(analysis):
    status = analysis.transactions.set_index("id")["status"]
    assert status["T06"] == "duplicate"
    assert status["T09"] == "no_fx_rate"
    assert status["T10"] == "net_credit"
    assert status["T13"] == "invalid_amount"
    assert status["T02"] == "included"
    assert (status == "included").sum() == 10
    assert analysis.transactions.set_index("id").loc["T08", "amount_gbp"] == pytest.approx(85.0)


def test_reconciliation_adds_up(analysis):
    rec = analysis.reconciliation.set_index("line")
    assert rec.loc["read", "transactions"] == 14
    assert rec.loc["read", "amount_gbp"] == pytest.approx(11035.0)
    assert rec.loc["included", "amount_gbp"] == pytest.approx(8335.0)
    assert rec.loc["excluded: duplicate", "amount_gbp"] == pytest.approx(3000.0)
    assert rec.loc["excluded: net_credit", "amount_gbp"] == pytest.approx(-300.0)
    assert rec.loc["excluded: no_fx_rate", "other_currency"] == "USD 50.00"
    assert rec.loc["  of which credit notes", "amount_gbp"] == pytest.approx(-200.0)
    parts = rec[rec.index.str.startswith("excluded") | (rec.index == "included")]
    assert parts["transactions"].sum() == 14
    assert parts["amount_gbp"].sum() == pytest.approx(11035.0)


def test_headline_figures_per_buyer(analysis):
    trust = row(analysis.summary, buyer="Test Trust")
    assert trust["total_gbp"] == pytest.approx(7085.0)
    assert trust["local_gbp"] == pytest.approx(1300.0)
    assert trust["regional_gbp"] == pytest.approx(2000.0)
    assert trust["elsewhere_gbp"] == pytest.approx(3000.0)
    assert trust["unlocated_gbp"] == pytest.approx(785.0)
    assert trust["local_share"] == pytest.approx(1300 / 7085, abs=1e-6)
    assert trust["local_share_of_located"] == pytest.approx(1300 / 6300, abs=1e-6)
    assert trust["leakage_gbp"] == pytest.approx(5000.0)
    assert trust["sme_gbp"] == pytest.approx(2800.0)
    assert trust["sme_share"] == pytest.approx(2800 / 7085, abs=1e-6)
    assert trust["social_enterprise_gbp"] == pytest.approx(800.0)
    assert trust["deprived_areas_gbp"] == pytest.approx(800.0)
    council = row(analysis.summary, buyer="Test Council")
    assert council["total_gbp"] == pytest.approx(1250.0)
    assert council["local_share"] == pytest.approx(0.32)
    assert council["unlocated_gbp"] == pytest.approx(600.0)
    everyone = row(analysis.summary, buyer=ALL_BUYERS)
    assert everyone["total_gbp"] == pytest.approx(8335.0)
    assert everyone["local_gbp"] == pytest.approx(1700.0)
    assert analysis.summary["buyer"].iloc[-1] == ALL_BUYERS


def test_location_classes_partition_the_total(analysis):
    s = analysis.summary
    parts = s[["local_gbp", "regional_gbp", "elsewhere_gbp", "unlocated_gbp"]].sum(axis=1)
    assert parts.to_numpy() == pytest.approx(s["total_gbp"].to_numpy())


def test_nested_geographies_and_bands(analysis):
    sandwell = row(analysis.geographies, buyer="Test Trust", geography="Sandwell")
    assert sandwell["inside_gbp"] == pytest.approx(800.0)
    region = row(analysis.geographies, buyer="Test Council", geography="region")
    # B99 9ZZ is not in the lookup but its postcode area B is in the region
    assert region["inside_gbp"] == pytest.approx(400 + 600 + 250)
    bands = analysis.bands
    assert row(bands, buyer="Test Trust", band="Sandwell")["amount_gbp"] == pytest.approx(800.0)
    assert row(bands, buyer="Test Trust", band="neighbourhood")["amount_gbp"] == pytest.approx(
        500.0
    )
    assert row(bands, buyer="Test Trust", band="region")["amount_gbp"] == pytest.approx(2000.0)
    assert row(bands, buyer="Test Trust", band="elsewhere")["amount_gbp"] == pytest.approx(3000.0)
    assert row(bands, buyer="Test Trust", band="unlocated")["amount_gbp"] == pytest.approx(785.0)


def test_leakage_by_sector(analysis):
    leak = analysis.leakage[analysis.leakage["buyer"] == "Test Trust"]
    assert list(leak["sector"]) == ["laundry", "cleaning"]
    assert list(leak["leakage_gbp"]) == pytest.approx([3000.0, 2000.0])
    catering = row(analysis.by_sector, buyer="Test Trust", sector="catering")
    assert catering["total_gbp"] == pytest.approx(2000.0)  # 1000 - 200 + 500 + 700
    assert catering["local_gbp"] == pytest.approx(1300.0)
    assert catering["leakage_gbp"] == 0
    assert catering["unlocated_gbp"] == pytest.approx(700.0)


def test_years_and_before_after(analysis):
    y = row(analysis.by_year, buyer="Test Trust", year="2023-24")
    assert y["total_gbp"] == pytest.approx(3300.0)
    assert y["local_share"] == pytest.approx(1300 / 3300, abs=1e-6)
    assert row(analysis.by_year, buyer="Test Trust", year="2024-25")["local_gbp"] == 0
    before = row(analysis.before_after, buyer="Test Trust", before_after="before 2024-01-01")
    after = row(analysis.before_after, buyer="Test Trust", before_after="from 2024-01-01")
    assert before["total_gbp"] == pytest.approx(800.0)
    assert before["local_share"] == pytest.approx(1.0)
    assert after["total_gbp"] == pytest.approx(6285.0)
    assert after["local_gbp"] == pytest.approx(500.0)


def test_top_suppliers_and_org_types(analysis):
    top = analysis.top_suppliers[analysis.top_suppliers["buyer"] == ALL_BUYERS]
    assert list(top["supplier_name"][:3]) == ["Manc Laundry", "Brum Cleaning", "Kitchen Co-op"]
    assert list(top["amount_gbp"][:3]) == pytest.approx([3000.0, 2250.0, 1200.0])
    assert row(analysis.by_org_type, buyer=ALL_BUYERS, org_type="cooperative")["amount_gbp"] == 1200


def test_lm3_by_hand(analysis):
    m = analysis.multiplier.set_index("buyer")
    # Trust: R1 7085, R2 1300, R3 = 800 * 0.6 (survey) + 500 * 0.25 (default) = 605
    assert m.loc["Test Trust", "r2_gbp"] == pytest.approx(1300.0)
    assert m.loc["Test Trust", "r3_gbp"] == pytest.approx(605.0)
    assert m.loc["Test Trust", "lm3"] == pytest.approx(round(8990 / 7085, 4))
    assert m.loc["Test Trust", "surveyed_suppliers"] == 1
    # Council: (1250 + 400 + 240) / 1250
    assert m.loc["Test Council", "lm3"] == pytest.approx(1.512)
    assert m.loc[ALL_BUYERS, "lm3"] == pytest.approx(round(10880 / 8335, 4))
    assert "estimate" in m.loc[ALL_BUYERS, "label"]


def test_lm3_with_local_employees(ds):
    section = ds.manifest.section("spend") | {
        "employees": {"Test Trust": {"payroll": 10000, "local_share": 0.5, "local_respend": 0.4}}
    }
    m = analyse_spend(ds, settings=section).multiplier.set_index("buyer")
    # R1 = 7085 + 10000; R2 = 1300 + 5000; R3 = 605 + 5000 * 0.4
    assert m.loc["Test Trust", "r1_gbp"] == pytest.approx(17085.0)
    assert m.loc["Test Trust", "r2_employees_gbp"] == pytest.approx(5000.0)
    assert m.loc["Test Trust", "lm3"] == pytest.approx(round(25990 / 17085, 4))


def test_lm3_without_survey_uses_default(ds):
    section = {k: v for k, v in ds.manifest.section("spend").items() if k != "survey"}
    section["default_local_respend"] = 0.5
    m = analyse_spend(ds, settings=section).multiplier.set_index("buyer")
    assert m.loc["Test Council", "r3_gbp"] == pytest.approx(200.0)
    assert m.loc["Test Council", "surveyed_suppliers"] == 0


def test_local_override_by_authority(ds):
    a = analyse_spend(ds, local=["Sandwell"])
    trust = row(a.summary, buyer="Test Trust")
    assert a.local == "Sandwell"
    assert trust["local_gbp"] == pytest.approx(800.0)
    assert trust["regional_gbp"] == pytest.approx(2500.0)  # City Caterers (A2) + Brum Cleaning
    a2 = analyse_spend(ds, local=["codes=A2"])
    assert row(a2.summary, buyer="Test Trust")["local_gbp"] == pytest.approx(500.0)


def test_local_override_rejects_unknown(ds):
    with pytest.raises(UsageError, match="Narnia"):
        analyse_spend(ds, local=["Narnia"])


def test_buyer_filter(ds):
    a = analyse_spend(ds, buyer="test council")
    assert set(a.summary["buyer"]) == {"Test Council", ALL_BUYERS}
    assert row(a.summary, buyer=ALL_BUYERS)["total_gbp"] == pytest.approx(1250.0)
    with pytest.raises(UsageError, match="buyers: Test Council, Test Trust"):
        analyse_spend(ds, buyer="Nobody")


def test_relocalisable_spend_points_at_local_firms(analysis):
    r = analysis.relocalisable
    cleaning = row(r, buyer="Test Trust", sector="cleaning")
    assert cleaning["enterprise_ids"] == "F1"  # not F4 (an anchor) nor the human group
    assert cleaning["capacity_gbp"] == 1500
    assert cleaning["addressable_gbp"] == 1500
    laundry = row(r, buyer="Test Trust", sector="laundry")
    assert laundry["enterprise_ids"] == "F2"  # by its skills; F3 is outside the neighbourhood
    assert math.isnan(laundry["addressable_gbp"])
    assert row(r, buyer="Test Council", sector="cleaning")["addressable_gbp"] == 250


def test_relocalisable_opportunities_shape(ds, analysis):
    opps = relocalisable_opportunities(ds, analysis)
    assert list(opps["id"]) == ["SPEND-001", "SPEND-002", "SPEND-003"]
    assert set(opps["type"]) == {"contract"}
    assert set(opps["project"]) == {"hosp"}
    assert opps.crs.to_epsg() == 4326
    assert sorted(opps["value"]) == [250.0, 2000.0, 3000.0]
    for column in ("id", "project", "type", "title", "skills", "sector", "quantity", "value"):
        assert column in opps.columns


def test_settings_errors_are_collected(ds):
    with pytest.raises(DatasetError) as info:
        spend_settings({"fx": {"EUR": -1}, "geographies": "all", "default_local_respend": 2})
    assert len(info.value.problems) == 3


def test_spend_by_area_and_points(analysis, ds):
    by_area = supplier_spend_by_area(analysis, ds.areas).set_index("code")
    assert by_area.loc["A1", "spend_gbp"] == pytest.approx(1200.0)  # both buyers' Kitchen Co-op
    assert by_area.loc["A2", "spend_gbp"] == pytest.approx(500.0)
    assert by_area.loc["A1", "suppliers"] == 1
    points = supplier_points(analysis)
    assert (
        len(points) == 4
    )  # Kitchen Co-op, City Caterers, Brum Cleaning, Manc Laundry; not unlocated ones
    assert points.set_index("supplier_name").loc["Brum Cleaning", "spend_gbp"] == pytest.approx(
        2250.0
    )


def test_write_json_and_csv(analysis, tmp_path):
    data = json.loads(write_spend(analysis, tmp_path / "spend.json").read_text())
    assert data["local_geography"] == "neighbourhood"
    assert {r["line"] for r in data["reconciliation"]} >= {
        "read",
        "included",
        "excluded: duplicate",
    }
    assert any("unlocated" in note for note in data["notes"])
    csv = pd.read_csv(write_spend(analysis, tmp_path / "spend.csv"))
    assert list(csv["buyer"]) == ["Test Council", "Test Trust", ALL_BUYERS]
    with pytest.raises(UsageError):
        write_spend(analysis, tmp_path / "spend.txt")


def test_read_survey_rejects_bad_shares(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("supplier_name,local_respend\nA,0.3\nB,140%\nC,lots\n")
    with pytest.raises(DatasetError) as info:
        read_survey(path)
    assert [p.row for p in info.value.problems] == [3, 4]


# --------------------------------------------------------------------------- invariant

_suppliers = st.sampled_from(["Alpha", "Beta", "Gamma", "Delta"])
_rows = st.fixed_dictionaries(
    {
        "buyer": st.sampled_from(["B1", "B2"]),
        "supplier_name": _suppliers,
        "amount": st.one_of(
            st.integers(-500, 5000).map(str), st.sampled_from(["", "n/a", "(12.50)", "£1,000"])
        ),
        "currency": st.sampled_from(["GBP", "", "EUR", "USD"]),
        "date": st.sampled_from(["2023-01-01", "2023-06-30", "", "2024-04-01"]),
        "postcode": st.sampled_from(["B66 1AA", "M1 1AA", "", "B99 9ZZ"]),
        "sector": st.sampled_from(["catering", "cleaning", ""]),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_rows, min_size=0, max_size=40))
def test_parts_always_reconcile_with_the_total_read(rows):
    spend = pd.DataFrame(
        rows, columns=["buyer", "supplier_name", "amount", "currency", "date", "postcode", "sector"]
    )
    spend.insert(0, "id", [f"T{i}" for i in range(len(spend))])
    for column in ("supplier_id", "period", "sme", "size_band", "org_type", "area_code"):
        spend[column] = pd.NA
    settings_ = spend_settings({"fx": {"EUR": 0.85}})
    frame = prepare_transactions(spend, settings_)
    rec = reconciliation(frame).set_index("line")
    parts = rec[rec.index.str.startswith("excluded") | (rec.index == "included")]
    assert parts["transactions"].sum() == rec.loc["read", "transactions"] == len(spend)
    assert parts["amount_gbp"].sum() == pytest.approx(rec.loc["read", "amount_gbp"], abs=0.02)
    included = frame[frame["status"] == "included"]
    net = included.groupby(["buyer", "supplier_key"])["amount_gbp"].sum()
    assert (net >= -0.005).all()


_CACHE: dict[str, Dataset] = {}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_rows, min_size=1, max_size=30))
def test_location_classes_always_sum_to_the_total(rows):
    ds = _CACHE.setdefault("ds", load_fixture())
    spend = pd.DataFrame(rows)
    spend.insert(0, "id", [f"T{i}" for i in range(len(spend))])
    located = locate_spend(spend, pd.read_csv(FIXTURE / "postcodes.csv", dtype={"postcode": str}))
    a = analyse_spend(ds, spend=located)
    s = a.summary
    parts = s[["local_gbp", "regional_gbp", "elsewhere_gbp", "unlocated_gbp"]].sum(axis=1)
    assert parts.to_numpy() == pytest.approx(s["total_gbp"].to_numpy(), abs=0.05)
    bands = a.bands.groupby("buyer")["amount_gbp"].sum()
    assert bands.reindex(s["buyer"]).to_numpy() == pytest.approx(
        s["total_gbp"].to_numpy(), abs=0.05
    )


# --------------------------------------------------------------------------- loading helpers


def test_parse_amounts_handles_messy_text():
    values = parse_amounts(pd.Series(["£1,234.50", "(12.00)", "abc", "5CR", " -7 ", None]))
    assert values[:2].tolist() == [1234.5, -12.0]
    assert math.isnan(values[2]) and math.isnan(values[5])
    assert values[3:5].tolist() == [-5.0, -7.0]


def test_postcode_in_free_text():
    found = extract_postcode(pd.Series(["Trinity Rd Ch 73 Trinity Rd Aston B6 6LS", "Team", None]))
    assert found[0] == "B6 6LS"
    assert found[1:].isna().all()


def test_financial_and_calendar_years():
    dates = pd.Series(["2017-03-31", "2017-04-01", None])
    periods = pd.Series([None, None, "2015-16"])
    assert financial_year(dates, periods, 4).tolist() == ["2016-17", "2017-18", "2015-16"]
    assert financial_year(dates, periods, 1).tolist() == ["2017", "2017", "2015-16"]


def test_mappings_bundled_and_unknown():
    assert "bcc-pcards" in mapping_names()
    mapping = read_mapping("bcc-pcards")
    assert mapping.constants["buyer"] == "Birmingham City Council"
    assert mapping.settings["duplicate_key"] == ["card"]
    with pytest.raises(UsageError, match="bcc-pcards"):
        read_mapping("nope")


def test_file_in_cwb_columns_needs_no_mapping(ds):
    spend = read_spend_file(FIXTURE / "spend.csv", postcodes=FIXTURE / "postcodes.csv")
    assert (spend["precision"] == "postcode").sum() == 10  # B99 9ZZ is not in the lookup
    a = analyse_spend(ds, spend=spend)
    assert row(a.summary, buyer="Test Trust")["local_gbp"] == pytest.approx(1300.0)


def test_local_geography_from_a_polygon_file(ds, tmp_path):
    path = tmp_path / "west.geojson"
    ds.areas[ds.areas["code"] == "A2"].to_file(path)
    a = analyse_spend(ds, local=[str(path)])
    assert a.local == "west"
    assert row(a.summary, buyer="Test Trust")["local_gbp"] == pytest.approx(500.0)
