"""Supplier register (cwb.spend.register): hand-built known answers.

Spend rows and register entries (register places P1..P6 are distinct points):

    row  supplier                    id        register entry                       expected
    S1   Acme Cleaning               1234567   01234567 "ACME CLEANING SERVICES" P1  company_number
    S2   Brum Caterers Limited       -         "BRUM CATERERS LTD" P2                name
    S3   Sandwell Laundry Servces    -         "Sandwell Laundry Services" P3        fuzzy_name (98)
    S4   Smith Builders              -         "Smith Builders" P4 and P5            ambiguous
    S5   Green Gardens               -         "Green Gardens A" P5, "... B" P6      tie (92.9)
    S6   Totally Different Co        -         -                                     unlocated
    S7   Brum Caterers               -         (already located by postcode)         postcode
    S8   Sandwell Laundry            -         best score 78 < 92                    unlocated
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from cwb.dataset.io import read_dataset
from cwb.dataset.model import WGS84
from cwb.errors import DatasetError, UsageError
from cwb.spend.analysis import analyse_spend
from cwb.spend.load import spend_settings
from cwb.spend.register import (
    locate_by_register,
    name_key,
    read_supplier_register,
    register_from_assets,
)

FIXTURE = Path(__file__).parent / "data" / "spend"

P = {
    "P1": (52.50, -1.99),
    "P2": (52.50, -1.97),
    "P3": (52.51, -1.98),
    "P4": (52.48, -1.90),
    "P5": (53.48, -2.24),
    "P6": (51.50, -0.12),
}


def register() -> pd.DataFrame:
    rows = [
        ("ACME CLEANING SERVICES", "01234567", "P1", "true", "social_enterprise"),
        ("BRUM CATERERS LTD", None, "P2", "false", "private"),
        ("Sandwell Laundry Services", None, "P3", None, "cooperative"),
        ("Smith Builders", None, "P4", None, None),
        ("Smith Builders Ltd", None, "P5", None, None),
        ("Green Gardens A", None, "P5", None, None),
        ("Green Gardens B", None, "P6", None, None),
    ]
    frame = pd.DataFrame(rows, columns=["name", "company_number", "place", "sme", "org_type"])
    frame["lat"] = frame["place"].map(lambda p: P[p][0])
    frame["lon"] = frame["place"].map(lambda p: P[p][1])
    frame["postcode"] = ["AB1 1AA", pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA]
    frame["size_band"] = pd.NA
    frame["precision"] = "exact"
    frame["source"] = "register.csv"
    return frame.drop(columns="place")


def spend() -> gpd.GeoDataFrame:
    rows = [
        ("S1", "Acme Cleaning", "1234567", None),
        ("S2", "Brum Caterers Limited", None, None),
        ("S3", "Sandwell Laundry Servces", None, None),
        ("S4", "Smith Builders", None, None),
        ("S5", "Green Gardens", None, None),
        ("S6", "Totally Different Co", None, None),
        ("S7", "Brum Caterers", None, "B1 1AA"),
        ("S8", "Sandwell Laundry", None, None),
    ]
    frame = pd.DataFrame(rows, columns=["id", "supplier_name", "supplier_id", "postcode"])
    frame["sme"] = pd.NA
    frame["org_type"] = ["", "public", "", "", "", "", "", ""]
    frame["size_band"] = pd.NA
    frame["precision"] = ["none"] * 6 + ["postcode", "none"]
    geometry = [None] * 6 + [Point(-1.90, 52.48), None]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


@pytest.fixture(scope="module")
def located() -> gpd.GeoDataFrame:
    return locate_by_register(spend(), register()).set_index("id")


def test_located_by_each_way(located):
    assert list(located["located_by"]) == [
        "company_number",
        "name",
        "fuzzy_name",
        "",
        "",
        "",
        "postcode",
        "",
    ]


def test_matched_rows_take_the_register_place(located):
    for row, place in (("S1", "P1"), ("S2", "P2"), ("S3", "P3")):
        point = located.geometry[row]
        assert (point.y, point.x) == P[place]
        assert located.at[row, "precision"] == "exact"
    assert located.at["S1", "postcode"] == "AB1 1AA"
    assert located.at["S3", "register_match"] == "Sandwell Laundry Services (98)"


def test_missing_sme_and_org_type_are_filled_given_ones_kept(located):
    assert located.at["S1", "sme"] == "true"
    assert located.at["S1", "org_type"] == "social_enterprise"
    assert located.at["S2", "org_type"] == "public"  # given, not replaced
    assert located.at["S2", "sme"] == "false"
    assert located.at["S3", "org_type"] == "cooperative"


def test_ties_and_weak_matches_stay_unlocated(located):
    for row in ("S4", "S5", "S6", "S8"):
        assert located.geometry[row] is None
        assert located.at[row, "precision"] == "none"
    assert located.at["S4", "register_match"] == "ambiguous: Smith Builders; Smith Builders Ltd"
    assert located.at["S5", "register_match"] == "ambiguous: Green Gardens A; Green Gardens B"
    assert located.at["S6", "register_match"] == ""
    assert located.at["S8", "register_match"] == ""


def test_already_located_rows_are_not_moved(located):
    assert located.at["S7", "register_match"] == ""
    assert (located.geometry["S7"].y, located.geometry["S7"].x) == (52.48, -1.90)


def test_threshold_is_configurable():
    strict = locate_by_register(spend(), register(), threshold=99).set_index("id")
    assert strict.at["S3", "located_by"] == ""
    loose = locate_by_register(spend(), register(), threshold=75).set_index("id")
    # S8 "sandwell laundry" now scores 78 against one entry only: a match
    assert loose.at["S8", "located_by"] == "fuzzy_name"
    assert loose.at["S5", "located_by"] == ""  # still a tie


def test_same_place_twice_is_not_ambiguous():
    reg = register()
    twin = reg.iloc[[1]].assign(name="Brum Caterers")  # same place P2, another spelling
    out = locate_by_register(spend(), pd.concat([reg, twin], ignore_index=True))
    assert out.set_index("id").at["S7", "located_by"] == "postcode"
    assert out.set_index("id").at["S2", "located_by"] == "name"


def test_name_key():
    names = pd.Series(["The Acme Co. Ltd", "ACME & Sons PLC", "Acme Limited", None])
    assert list(name_key(names)) == ["acme", "acme and sons", "acme", ""]


def test_assets_as_register_and_register_file_wins():
    assets = gpd.GeoDataFrame(
        {
            "name": ["Brum Caterers", "Green Gardens A", "A Person"],
            "kind": ["financial", "financial", "human"],
            "category": ["social_enterprise", "business", "individual"],
            "registered_number": [None, None, None],
            "precision": ["exact", "postcode", "exact"],
        },
        geometry=[Point(-1.5, 52.0), Point(-1.6, 52.1), Point(-1.7, 52.2)],
        crs=WGS84,
    )
    from_assets = register_from_assets(assets)
    assert list(from_assets["name"]) == ["Brum Caterers", "Green Gardens A"]
    assert list(from_assets["org_type"]) == ["social_enterprise", "private"]
    both = locate_by_register(spend(), pd.concat([register(), from_assets], ignore_index=True))
    both = both.set_index("id")
    # the asset "Brum Caterers" is shadowed by the file's BRUM CATERERS LTD (same name key)
    assert (both.geometry["S2"].y, both.geometry["S2"].x) == P["P2"]
    alone = locate_by_register(spend(), from_assets).set_index("id")
    assert alone.at["S2", "located_by"] == "name"
    assert alone.at["S2", "precision"] == "exact"
    assert alone.at["S5", "located_by"] == "fuzzy_name"  # one candidate only: a match


def test_read_register_file_locates_by_postcode(tmp_path):
    path = tmp_path / "suppliers.csv"
    path.write_text(
        "Supplier Name,Company Number,Post Code,Latitude,Longitude,SME\n"
        "Far Builders Ltd,,M1 1AA,,,yes\n"
        "Exact Ltd,99,,52.1,-1.1,\n"
        "Nowhere Ltd,,ZZ1 1ZZ,,,\n",
        encoding="utf-8",
    )
    reg = read_supplier_register(path, postcodes=FIXTURE / "postcodes.csv")
    assert list(reg["name"]) == ["Far Builders Ltd", "Exact Ltd", "Nowhere Ltd"]
    assert list(reg["precision"][:2]) == ["postcode", "exact"]
    assert reg.loc[0, "lat"] == pytest.approx(53.48)
    assert reg.loc[1, "company_number"] == "99"
    assert pd.isna(reg.loc[2, "lat"])


def test_register_errors(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        read_supplier_register(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("colour,size\nred,1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no supplier name or company number"):
        read_supplier_register(bad)
    with pytest.raises(DatasetError):
        spend_settings({"register_fuzzy_threshold": 0})
    with pytest.raises(DatasetError):
        spend_settings({"register_assets": "maybe"})


def fixture_with_register(tmp_path: Path, register_csv: str) -> Path:
    """A copy of the spend fixture whose [spend] names suppliers.csv holding ``register_csv``."""
    folder = tmp_path / "spend"
    shutil.copytree(FIXTURE, folder)
    (folder / "suppliers.csv").write_text(register_csv, encoding="utf-8")
    toml = (folder / "dataset.toml").read_text()
    (folder / "dataset.toml").write_text(
        toml.replace("[spend]\n", '[spend]\nsupplier_register = "suppliers.csv"\n')
    )
    return folder


def test_analysis_reports_located_by(tmp_path):
    """T07 Unknown Ltd (£700, no postcode) is in the register at B66 1AA's point: now local."""
    folder = fixture_with_register(
        tmp_path,
        "supplier_name,lat,lon,org_type\n"
        "Unknown Limited,52.50,-1.99,social_enterprise\n"
        "Euro Supplies,52.50,-1.99,\n"
        "Euro Supplies,53.48,-2.24,\n",
    )
    analysis = analyse_spend(read_dataset(folder))
    how = analysis.located_by.set_index("located_by")
    assert how.loc["name", "transactions"] == 1
    assert how.loc["name", "amount_gbp"] == 700.0
    assert how.loc["ambiguous", "transactions"] == 1  # Euro Supplies, two places
    assert how.loc["ambiguous", "amount_gbp"] == 85.0
    assert how["transactions"].sum() == len(analysis.transactions)
    read = analysis.reconciliation.set_index("line").loc["read"]
    assert how["amount_gbp"].sum() == pytest.approx(read["amount_gbp"])
    trust = analysis.summary.set_index("buyer").loc["Test Trust"]
    assert trust["local_gbp"] == 2000.0  # 1300 + 700
    # T07's given org_type "private" is kept: still only the co-op's £800
    assert trust["social_enterprise_gbp"] == 800.0
    assert any("Supplier register" in note for note in analysis.notes)
    review = analysis.register_review
    assert review.to_dict(orient="records") == [
        {
            "supplier_name": "Euro Supplies",
            "outcome": "ambiguous",
            "register_match": "Euro Supplies; Euro Supplies",
            "transactions": 1,
            "amount_gbp": 85.0,
        }
    ]


NAMES = ["Acme", "Acme Ltd", "Acme Limited", "Bravo Co", "Bravo", "Charlie", "Delta Services"]


@given(
    spend_names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=12),
    located=st.lists(st.booleans(), min_size=12, max_size=12),
    register_rows=st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(list(P))), max_size=8),
    threshold=st.sampled_from([60.0, 92.0, 100.0]),
)
@settings(max_examples=60, deadline=None)
def test_register_invariants(spend_names, located, register_rows, threshold):
    n = len(spend_names)
    was_located = located[:n]
    frame = gpd.GeoDataFrame(
        {
            "supplier_name": spend_names,
            "supplier_id": [pd.NA] * n,
            "postcode": [pd.NA] * n,
            "sme": [pd.NA] * n,
            "org_type": [pd.NA] * n,
            "size_band": [pd.NA] * n,
            "precision": ["postcode" if f else "none" for f in was_located],
        },
        geometry=[Point(0.5, 51.0) if f else None for f in was_located],
        crs=WGS84,
    )
    reg = pd.DataFrame(
        {
            "name": [r[0] for r in register_rows],
            "company_number": pd.NA,
            "postcode": pd.NA,
            "lat": [P[r[1]][0] for r in register_rows],
            "lon": [P[r[1]][1] for r in register_rows],
            "sme": pd.NA,
            "org_type": pd.NA,
            "size_band": pd.NA,
            "precision": "exact",
            "source": "r",
        }
    )
    out = locate_by_register(frame, reg, threshold=threshold)
    assert len(out) == n and list(out.index) == list(frame.index)
    for i in range(n):
        how = out["located_by"].iloc[i]
        point = out.geometry.iloc[i]
        if was_located[i]:
            assert how == "postcode" and (point.x, point.y) == (0.5, 51.0)
        elif how:
            assert how in ("name", "fuzzy_name")
            assert (point.y, point.x) in P.values()
        else:
            assert point is None and out["precision"].iloc[i] == "none"
        if out["register_match"].iloc[i].startswith("ambiguous"):
            assert not how
    # a register entry with the very same name (one place only) is always found
    places = {}
    for name, place in register_rows:
        places.setdefault(name_key(pd.Series([name])).iloc[0], set()).add(P[place])
    for i, name in enumerate(spend_names):
        key = name_key(pd.Series([name])).iloc[0]
        if not was_located[i] and len(places.get(key, ())) == 1:
            assert out["located_by"].iloc[i] == "name"
