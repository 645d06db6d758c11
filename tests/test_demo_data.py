"""Checks on the bundled Birmingham demo dataset (data/birmingham/).

These read the committed files directly with pandas/geopandas, so they hold
whatever the rest of cwb does; a last test runs cwb's own validation on them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from realdata_paths import REALDATA

from cwb.dataset.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES, TABLES, split_list

DEMO = Path(__file__).resolve().parents[1] / "data" / "birmingham"


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / f"{name}.csv", dtype="str", keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def assets() -> pd.DataFrame:
    return _csv("assets")


@pytest.fixture(scope="module")
def opportunities() -> pd.DataFrame:
    return _csv("opportunities")


@pytest.fixture(scope="module")
def spend() -> pd.DataFrame:
    return _csv("spend")


@pytest.fixture(scope="module")
def postcodes() -> pd.DataFrame:
    return _csv("postcodes")


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "areas.geojson")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return tomllib.loads((DEMO / "dataset.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("table", ["assets", "opportunities", "spend", "links", "postcodes"])
def test_columns_are_exactly_the_schema(table: str) -> None:
    """No column outside the schema (a misspelt column would be silently kept as an extra)."""
    header = list(_csv(table).columns)
    assert header == TABLES[table].column_names


def test_every_file_is_utf8() -> None:
    for path in DEMO.iterdir():
        if path.is_file():
            path.read_text(encoding="utf-8")  # raises on anything else


def test_manifest_declares_the_hospital(manifest: dict) -> None:
    (project,) = manifest["projects"]
    assert project["id"] == "mmuh"
    assert project["beds"] == 736
    assert project["opened"] == "2024-10-06"
    assert abs(project["lat"] - 52.4951) < 0.002 and abs(project["lon"] + 1.9447) < 0.002
    assert manifest["privacy"]["min_count"] == 5
    assert manifest["catchment"]["bands_m"] == [1000, 2000, 3000, 5000]
    assert set(manifest["files"]) == {
        "assets",
        "opportunities",
        "areas",
        "spend",
        "links",
        "postcodes",
        "flows",
        "needs",
        "pacts",
    }
    assert "matching" not in manifest


def test_assets_cover_every_kind_and_category(assets: pd.DataFrame) -> None:
    assert len(assets) >= 450
    pairs = set(zip(assets["kind"], assets["category"], strict=True))
    expected = {(k, c) for k, cs in ASSET_CATEGORIES.items() for c in cs}
    assert pairs <= expected, pairs - expected
    assert pairs == expected, f"categories without a row: {sorted(expected - pairs)}"
    assert assets["id"].is_unique and assets["id"].str.fullmatch(r"A\d{4}").all()
    assert assets["name"].is_unique


def test_human_assets_are_aggregates_by_area(assets: pd.DataFrame, areas: gpd.GeoDataFrame) -> None:
    human = assets[assets["kind"] == "human"]
    assert (
        (human["lat"] == "").all()
        and (human["lon"] == "").all()
        and (human["postcode"] == "").all()
    )
    assert human["area_code"].isin(areas["code"]).all()
    groups = human[human["category"] == "skills_group"]
    counts = groups["count"].astype(int)
    assert counts.between(3, 40).all()
    assert (counts < 5).sum() >= 5, "some groups must fall below the privacy threshold"
    assert groups["skills"].str.contains("overseas nursing qualification").sum() >= 10
    individuals = human[human["category"] == "individual"]
    assert len(individuals) >= 5
    assert individuals["contact_email"].str.endswith("@example.org").all()
    assert individuals["contact_phone"].str.fullmatch(r"07700 900\d{3}").all()


def test_contacts_are_fake(assets: pd.DataFrame) -> None:
    has = assets[assets["contact_email"] != ""]
    assert has["contact_email"].str.endswith("@example.org").all()
    assert has["contact_phone"].str.fullmatch(r"(07700 900\d{3})|(0121 496 \d{4})").all()


def test_numbers_and_dates_parse(
    assets: pd.DataFrame, opportunities: pd.DataFrame, spend: pd.DataFrame
) -> None:
    for frame, columns in ((assets, ["capacity", "count"]), (opportunities, ["quantity", "value"])):
        for column in columns:
            values = pd.to_numeric(frame[column].replace("", None))
            assert (values.dropna() >= 0).all(), column
    for frame, columns in (
        (assets, ["collected_on", "last_verified"]),
        (opportunities, ["starts", "ends"]),
        (spend, ["date"]),
    ):
        for column in columns:
            given = frame[column][frame[column] != ""]
            pd.to_datetime(given, format="%Y-%m-%d")  # raises if any is not ISO
    assert (
        assets["last_verified"][assets["last_verified"] != ""]
        >= assets["collected_on"][assets["last_verified"] != ""]
    ).all()


def test_some_records_are_stale(assets: pd.DataFrame) -> None:
    stale = assets["last_verified"].between("2000-01-01", "2021-12-31")
    assert 20 <= stale.sum() <= len(assets) // 2


def test_every_located_asset_sits_in_or_near_the_areas(
    assets: pd.DataFrame, postcodes: pd.DataFrame, areas: gpd.GeoDataFrame
) -> None:
    lookup = postcodes.set_index("postcode")
    located = assets[assets["kind"] != "human"]
    lat = located["lat"].where(located["lat"] != "", located["postcode"].map(lookup["lat"]))
    lon = located["lon"].where(located["lon"] != "", located["postcode"].map(lookup["lon"]))
    assert lat.notna().all() and lon.notna().all(), (
        "every non-human asset has coordinates or a known postcode"
    )
    points = gpd.GeoSeries(
        gpd.points_from_xy(lon.astype(float), lat.astype(float)), crs=4326
    ).to_crs(27700)
    union = areas.to_crs(27700).union_all()
    distance = points.distance(union)
    assert (distance <= 6000).all(), located["name"][(distance > 6000).to_numpy()].tolist()
    assert (distance == 0).mean() > 0.85


def test_postcodes_are_exactly_those_used(
    assets: pd.DataFrame,
    opportunities: pd.DataFrame,
    spend: pd.DataFrame,
    postcodes: pd.DataFrame,
    manifest: dict,
) -> None:
    used = set(assets["postcode"]) | set(opportunities["postcode"]) | set(spend["postcode"])
    used = (used - {""}) | {manifest["projects"][0]["postcode"]}
    assert set(postcodes["postcode"]) == used
    assert postcodes["postcode"].is_unique
    lat, lon = postcodes["lat"].astype(float), postcodes["lon"].astype(float)
    assert lat.between(49.5, 56).all() and lon.between(-5, 1.5).all()


def test_opportunities(opportunities: pd.DataFrame, assets: pd.DataFrame) -> None:
    assert len(opportunities) >= 45
    assert (opportunities["project"] == "mmuh").all()
    assert set(opportunities["type"]) == set(OPPORTUNITY_TYPES)
    jobs = opportunities[opportunities["type"] == "job"]
    assert (jobs["pay_band"] != "").all() and (jobs["quantity"].astype(int) > 0).all()
    assert jobs["value"].astype(float).between(20_000, 100_000).all()
    assert {
        "overseas_nurse_registration",
        "overseas_doctor_plab",
        "overseas_pharmacist_osp",
        "apprenticeship",
        "sector_based_work_academy",
    } <= set(opportunities["pathway"])
    contracts = opportunities[opportunities["type"] == "contract"]
    values = contracts["value"].astype(float)
    assert values.between(50_000, 5_000_000).all()
    firms = assets[assets["category"].isin(["business", "social_enterprise", "cooperative"])]
    largest = (
        firms.assign(capacity=firms["capacity"].astype(float)).groupby("sector")["capacity"].max()
    )
    too_big = contracts[(values >= 1_000_000).to_numpy()]
    assert len(too_big) >= 2
    for lot in too_big.itertuples():
        assert largest[lot.sector] < float(lot.value), (
            f"{lot.title}: a single local firm could take it"
        )
        assert (firms["sector"] == lot.sector).sum() >= 3, (
            f"{lot.title}: too few firms to form a consortium"
        )


def test_skills_vocabulary_is_shared(assets: pd.DataFrame, opportunities: pd.DataFrame) -> None:
    """Every job's first skill is offered by some residents' group or firm."""
    offered = {s.lower() for cell in assets["skills"] for s in split_list(cell)}
    for row in opportunities[opportunities["type"].isin(["job", "contract"])].itertuples():
        first = split_list(row.skills)[0].lower()
        assert first in offered, f"{row.title}: nobody offers {first!r}"


def test_spend(spend: pd.DataFrame, postcodes: pd.DataFrame, areas: gpd.GeoDataFrame) -> None:
    assert len(spend) >= 1500 and spend["id"].is_unique
    assert spend["buyer"].nunique() >= 3
    dates = spend["date"][spend["date"] != ""]
    assert dates.min() >= "2019-04-01" and dates.max() <= "2025-03-31"
    amount = spend["amount"].astype(float)
    assert 3 <= (amount < 0).sum() <= 20, "a few credit notes"
    assert 1 <= (spend["currency"] == "EUR").sum() <= 10
    assert 1 <= (spend["postcode"] == "").sum() <= 20
    assert spend["sme"].isin(["true", "false"]).all()
    same = spend.drop(columns="id").duplicated(keep=False)
    assert 2 <= same.sum() <= 6, "a couple of duplicate-looking invoices"
    lookup = postcodes.set_index("postcode")
    gbp = spend[(spend["currency"] == "GBP") & (spend["postcode"] != "")]
    points = gpd.GeoDataFrame(
        gbp,
        geometry=gpd.points_from_xy(
            gbp["postcode"].map(lookup["lon"]).astype(float),
            gbp["postcode"].map(lookup["lat"]).astype(float),
        ),
        crs=4326,
    )
    inside = points.geometry.within(areas.union_all())
    share = (gbp["amount"].astype(float) * inside).groupby(gbp["period"]).sum() / gbp[
        "amount"
    ].astype(float).groupby(gbp["period"]).sum()
    assert share.is_monotonic_increasing or share.iloc[-1] > 2 * share.iloc[0], share
    assert not inside.all() and inside.any()


def test_links_join_assets(assets: pd.DataFrame) -> None:
    links = _csv("links")
    assert 30 <= len(links) <= 60
    assert links["source"].isin(assets["id"]).all() and links["target"].isin(assets["id"]).all()
    assert set(links["relation"]) == {"partner", "member_of", "funds", "uses_space"}


def test_areas_carry_real_indicators(areas: gpd.GeoDataFrame, manifest: dict) -> None:
    assert 10 <= len(areas) <= 16 and areas["code"].is_unique
    assert areas.is_valid.all() and not areas.is_empty.any()
    assert set(areas["local_authority"]) == {"Birmingham", "Sandwell"}
    assert areas["imd_decile"].between(1, 10).all()
    assert areas["population"].gt(5_000).all()
    hospital = gpd.points_from_xy(
        [manifest["projects"][0]["lon"]], [manifest["projects"][0]["lat"]], crs=4326
    )
    assert areas.to_crs(27700).distance(gpd.GeoSeries(hospital).to_crs(27700).iloc[0]).min() < 100


@pytest.mark.realdata
def test_area_indicators_match_realdata(areas: gpd.GeoDataFrame) -> None:
    """Recompute one ward's IMD decile from the shared real data."""
    if not REALDATA.exists():
        pytest.skip("../shared/realdata is not available")
    lookup = pd.read_csv(
        REALDATA / "lookups_ons" / "lookup_lsoa11_ward19_lad19_west_midlands_met.csv"
    )
    imd = pd.read_csv(
        REALDATA
        / "imd2019_energy_flex"
        / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_ENGLAND.csv",
        encoding="utf-8-sig",
        dtype="str",
    )
    lsoas = lookup.loc[lookup["WD19NM"] == "Lozells", "LSOA11CD"]
    deciles = (
        imd.set_index("LSOA code (2011)")
        .loc[lsoas, "Index of Multiple Deprivation (IMD) Decile"]
        .astype(int)
    )
    row = areas.set_index("name").loc["Lozells"]
    assert row["lsoa_count"] == len(lsoas)
    assert row["share_most_deprived_10pc"] == pytest.approx((deciles == 1).mean(), abs=0.001)


def test_cwb_validates_the_demo_cleanly() -> None:
    validate = pytest.importorskip("cwb.dataset.validate")
    report = validate.validate_dataset(DEMO)
    errors = [p for p in report.problems if p.severity == "error"]
    assert errors == []
    warnings = [p for p in report.problems if p.severity == "warning"]
    assert all(p.file == "spend.csv" for p in warnings), warnings[:3]


def test_data_readme_documents_every_column_and_category() -> None:
    """data/README.md is generated from cwb.dataset.schema; a schema change must regenerate it."""
    text = (DEMO.parent / "README.md").read_text(encoding="utf-8")
    for name in ("assets", "opportunities", "areas", "spend", "links", "postcodes", "flows"):
        section = text.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
        for column in TABLES[name].column_names:
            assert f"| `{column}` |" in section, f"{name}.{column} is not documented"
    for categories in ASSET_CATEGORIES.values():
        for category in categories:
            assert f"`{category}`" in text
    for kind in OPPORTUNITY_TYPES:
        assert f"`{kind}`" in text
