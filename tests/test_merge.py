"""Merging imports into datasets: duplicates, rules, stable ids, provenance, links, writes."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from cwb.dataset.io import read_dataset, write_dataset
from cwb.errors import DatasetError, UsageError
from cwb.importers.common import Provenance
from cwb.importers.merge import (
    DuplicateRule,
    find_duplicates,
    import_into,
    merge_table,
    name_similarity,
    normalise_name,
    normalise_names,
)

DATA = Path(__file__).resolve().parent / "data" / "importers"


def assets(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    geometry = [Point(r["lon"], r["lat"]) if r.get("lat") is not None else None for r in rows]
    frame = frame.drop(columns=[c for c in ("lat", "lon") if c in frame])
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"), crs="EPSG:4326"
    )


EXISTING = assets(
    [
        {
            "id": "A1",
            "name": "Cape Hill Catering CIC",
            "registered_number": "11111111",
            "lat": 52.4932,
            "lon": -1.9621,
            "postcode": "B66 3AA",
            "source": "survey",
            "sector": None,
        },
        {
            "id": "A2",
            "name": "Smethwick Library",
            "registered_number": None,
            "lat": 52.4969,
            "lon": -1.9667,
            "postcode": None,
            "source": "survey",
            "sector": None,
        },
        {
            "id": "A3",
            "name": "Windmill Lane Food Bank",
            "registered_number": None,
            "lat": None,
            "lon": None,
            "postcode": "B66 3AA",
            "source": "survey",
            "sector": None,
        },
    ]
)
INCOMING = assets(
    [
        # same registered number, different name and place
        {
            "id": "GB-COH-11111111",
            "name": "CAPE HILL CATERING C.I.C.",
            "registered_number": "11111111",
            "lat": 52.40,
            "lon": -1.90,
            "postcode": None,
            "source": "OCDS",
            "sector": "catering",
        },
        # same library 20 m away, spelt differently
        {
            "id": "osm:node/1",
            "name": "Smethwick Public Library",
            "registered_number": None,
            "lat": 52.4968,
            "lon": -1.9665,
            "postcode": None,
            "source": "OSM",
            "sector": None,
        },
        # a namesake 3 km away: not a duplicate
        {
            "id": "osm:node/2",
            "name": "Smethwick Library",
            "registered_number": None,
            "lat": 52.52,
            "lon": -1.95,
            "postcode": None,
            "source": "OSM",
            "sector": None,
        },
        # unlocated: same name and postcode
        {
            "id": "GB-CHC-1",
            "name": "The Windmill Lane Food Bank",
            "registered_number": None,
            "lat": None,
            "lon": None,
            "postcode": "B66 3AA",
            "source": "360Giving",
            "sector": None,
        },
        # really new
        {
            "id": "osm:node/3",
            "name": "Victoria Park",
            "registered_number": None,
            "lat": 52.50,
            "lon": -1.97,
            "postcode": None,
            "source": "OSM",
            "sector": None,
        },
    ]
)


def test_name_similarity():
    assert name_similarity("smethwick library", "smethwick public library") == 100
    assert name_similarity("library smethwick", "smethwick library") == 100
    assert name_similarity("coseley", "coseley medical centre") < 90
    assert name_similarity("unit 4 studios", "unit 5 studios") == 0


def test_normalise_name():
    assert normalise_name("The Cape Hill Catering C.I.C.") == "cape hill catering"
    assert normalise_name("Soho & Victoria Ltd") == "soho and victoria"
    assert normalise_name(None) == ""
    names = pd.Series(["The Cape Hill Catering C.I.C.", "Soho & Victoria Ltd", None])
    assert normalise_names(names).tolist() == ["cape hill catering", "soho and victoria", ""]


def test_find_duplicates():
    dups = find_duplicates(EXISTING, INCOMING).set_index("incoming_id")
    assert dups.loc["GB-COH-11111111", ["existing_id", "reason"]].tolist() == [
        "A1",
        "same registered number",
    ]
    assert dups.loc["osm:node/1", "existing_id"] == "A2"
    assert dups.loc["osm:node/1", "distance_m"] < 30
    assert dups.loc["GB-CHC-1", ["existing_id", "reason"]].tolist() == [
        "A3",
        "same name and postcode",
    ]
    assert "osm:node/2" not in dups.index and "osm:node/3" not in dups.index
    strict = find_duplicates(EXISTING, INCOMING, rule=DuplicateRule(max_distance_m=5))
    assert "osm:node/1" not in set(strict["incoming_id"])


@pytest.mark.parametrize(
    "rule, rows, counts",
    [
        ("keep-existing", 5, {"added": 2, "kept_existing": 3}),
        ("replace", 5, {"added": 2, "replaced": 3}),
        ("fill", 5, {"added": 2, "filled": 3}),
        ("keep-both", 8, {"added": 2, "kept_both": 3}),
    ],
)
def test_merge_rules(rule, rows, counts):
    dups = find_duplicates(EXISTING, INCOMING)
    merged, got, id_map = merge_table(EXISTING, INCOMING, on_duplicate=rule, duplicates=dups)
    assert len(merged) == rows
    assert {k: v for k, v in got.items() if v} == counts
    assert list(merged["id"][:3]) == ["A1", "A2", "A3"]  # existing ids stay, in order
    by_id = merged.set_index("id")
    if rule == "keep-existing":
        assert (
            by_id.loc["A1", "name"] == "Cape Hill Catering CIC"
            and id_map["GB-COH-11111111"] == "A1"
        )
    if rule == "replace":
        assert (
            by_id.loc["A1", "name"] == "CAPE HILL CATERING C.I.C."
            and by_id.loc["A1", "source"] == "OCDS"
        )
    if rule == "fill":
        assert by_id.loc["A1", "name"] == "Cape Hill Catering CIC"
        assert by_id.loc["A1", "sector"] == "catering"
        assert by_id.loc["A1", "source"] == "survey; OCDS"
    if rule == "keep-both":
        assert not id_map and "GB-COH-11111111" in by_id.index


def test_same_id_is_an_update():
    again = EXISTING.iloc[[1]].copy()
    again["source"] = "resurvey"
    merged, counts, _ = merge_table(EXISTING, again, on_duplicate="replace")
    assert counts["updated"] == 1 and len(merged) == 3
    assert merged.set_index("id").loc["A2", "source"] == "resurvey"
    with pytest.raises(UsageError):
        merge_table(EXISTING, again, on_duplicate="merge-somehow")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["A1", "A2", "A3", "N1", "N2", "N3"]), unique=True, max_size=6),
    st.sampled_from(["keep-existing", "replace", "fill", "keep-both"]),
)
def test_no_existing_row_is_ever_lost(ids, rule):
    incoming = assets([{"id": i, "name": f"name {i}", "lat": 52.49, "lon": -1.96} for i in ids])
    merged, counts, _ = merge_table(EXISTING, incoming, on_duplicate=rule)
    assert set(EXISTING["id"]) <= set(merged["id"])
    assert merged["id"].is_unique
    assert len(merged) == len(EXISTING) + counts["added"] + counts["kept_both"]


def test_import_into_writes_with_provenance(mini_copy):
    result = import_into(
        "osm",
        DATA / "osm_smethwick.geojson",
        mini_copy,
        provenance=Provenance(collected_by="Smethwick researchers", collected_on="2025-05-01"),
    )
    assert result.written == [mini_copy / "assets.csv"]
    ds = read_dataset(mini_copy)
    by_id = ds.assets.set_index("id")
    assert "osm:way/2004" in by_id.index
    assert by_id.loc["osm:way/2004", "collected_by"] == "Smethwick researchers"
    assert by_id.loc["osm:way/2004", "collected_on"] == "2025-05-01"
    assert by_id.loc["osm:way/2004", "licence"] == "ODbL-1.0"
    assert "osm:node/1001" not in by_id.index  # merged into A2, the same library
    assert result.duplicates.set_index("incoming_id").loc["osm:node/1001", "existing_id"] == "A2"
    # importing again changes nothing and keeps the ids
    again = import_into("osm", DATA / "osm_smethwick.geojson", mini_copy)
    assert again.merged == {"assets kept_existing": 8}
    assert list(read_dataset(mini_copy).assets["id"]) == list(ds.assets["id"])


def test_dry_run_writes_nothing(mini_copy):
    before = (mini_copy / "assets.csv").read_bytes()
    result = import_into("osm", DATA / "osm_smethwick.geojson", mini_copy, dry_run=True)
    assert result.written == [] and result.merged["assets added"] == 7
    assert (mini_copy / "assets.csv").read_bytes() == before


def test_360giving_funder_kept_with_its_grants_when_dropping_unlocated(mini_copy):
    result = import_into("360giving", DATA / "grants_small.json", mini_copy, drop_unlocated=True)
    ds = read_dataset(mini_copy)
    new = ds.links[ds.links["relation"] == "funds"]
    # the funder has no location but funds local recipients: it stays, and so do its grants
    assert "GB-CHC-999001" in set(ds.assets["id"])
    assert sorted(new["grant_id"]) == ["360G-test-001", "360G-test-002", "360G-test-003"]
    assert not any(p.value == "GB-CHC-999001" for p in result.skipped)


def test_360giving_into_dataset(mini_copy):
    import_into("360giving", DATA / "grants_small.json", mini_copy)
    ds = read_dataset(mini_copy)
    new = ds.links[ds.links["relation"] == "funds"]
    assert len(new) == 3
    assert set(new["source"]) == {"GB-CHC-999001"}
    kitchen = ds.assets.set_index("id").loc["GB-CHC-1100001"]
    assert kitchen["precision"] == "postcode"


def test_far_rows_are_skipped_with_reason(mini_copy, tmp_path):
    register = tmp_path / "far.csv"
    register.write_text("name,lat,lon\nNear Hall,52.49,-1.95\nLondon Hall,51.5,-0.12\n")
    result = import_into(
        "register", register, mini_copy, mapping={"name": "name", "lat": "lat", "lon": "lon"}
    )
    assert result.merged["assets added"] == 1
    assert [p.reason for p in result.skipped] == [
        "located more than 10 km outside the dataset's areas"
    ]


def test_dataset_with_errors_is_refused(mini_copy):
    assets_csv = mini_copy / "assets.csv"
    assets_csv.write_text(assets_csv.read_text().replace("physical,library", "physical,castle"))
    with pytest.raises(DatasetError, match="before importing"):
        import_into("osm", DATA / "osm_smethwick.geojson", mini_copy)


def test_ocds_into_dataset(mini_copy, tmp_path):
    package = {
        "uri": "x",
        "version": "1.1",
        "releases": [
            {
                "ocid": "ocds-x-1",
                "id": "1",
                "date": "2024-01-01",
                "tag": ["tender"],
                "buyer": {"id": "b", "name": "Test Trust"},
                "parties": [{"id": "b", "name": "Test Trust"}],
                "tender": {"title": "Laundry", "value": {"amount": 10000, "currency": "GBP"}},
            }
        ],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package))
    import_into("ocds", path, mini_copy)
    ds = read_dataset(mini_copy)
    opp = ds.opportunities.set_index("id").loc["ocds:ocds-x-1"]
    assert opp["project"] == "hosp" and opp["type"] == "contract" and opp["precision"] == "project"


@pytest.mark.parametrize("fmt", ["gpkg", "xlsx"])
def test_import_keeps_the_dataset_format(mini_path, tmp_path, fmt):
    folder = write_dataset(read_dataset(mini_path), tmp_path / fmt, format=fmt)
    result = import_into("osm", DATA / "osm_smethwick.geojson", folder)
    assert [p.name for p in result.written] == [f"assets.{fmt}"]
    assert not (folder / "assets.csv").exists()
    ds = read_dataset(folder)
    assert len(ds.assets) == 5 + 7
    church = ds.assets.set_index("id").loc["osm:way/2004"]
    assert church["footprint"].startswith("POLYGON") and church["precision"] == "exact"
