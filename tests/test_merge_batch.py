"""Likely duplicates inside one import: found by the same rules, merged by the same policy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from test_merge import assets as batch
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.importers.merge import (
    DuplicateRule,
    find_batch_duplicates,
    import_into,
    merge_batch,
    name_similarity,
)

#: Metres → degrees of latitude (near enough for fixtures a few hundred metres across).
NORTH = 1 / 111_200


def row(rid: str, name: str, metres_north: float | None = 0.0, **extra) -> dict:
    located = metres_north is not None
    return {
        "id": rid,
        "name": name,
        "kind": extra.pop("kind", "physical"),
        "lat": 52.4969 + metres_north * NORTH if located else None,
        "lon": -1.9667 if located else None,
        "registered_number": extra.pop("registered_number", None),
        "postcode": extra.pop("postcode", None),
        "source": extra.pop("source", "OSM"),
        "sector": extra.pop("sector", None),
        **extra,
    }


BATCH = batch(
    [
        row("osm:way/9", "Smethwick Public Library", 20, sector="libraries"),
        row("osm:node/1", "Smethwick Library", 0),
        row("osm:node/2", "Smethwick Library", 3000),  # a namesake 3 km away
        row("osm:node/3", "Friends of Smethwick Library", 5, kind="community"),
        row("reg:1", "Cape Hill Catering", 9000, registered_number="111"),
        row("reg:2", "Cape Hill Catering CIC", -9000, registered_number=" 111"),
        row("hsds:1", "Windmill Lane Food Bank", None, postcode="B66 3AA", kind="community"),
        row("hsds:2", "The Windmill Lane Food Bank", None, postcode="b66 3aa", kind="community"),
    ]
)


def pairs(found: pd.DataFrame) -> dict[str, str]:
    return dict(zip(found["incoming_id"], found["existing_id"], strict=True))


def test_in_batch_pairs_are_found_by_every_rule():
    found = find_batch_duplicates(BATCH)
    assert pairs(found) == {
        "osm:way/9": "osm:node/1",  # similar name, 20 m apart; node/1 sorts first so it is kept
        "reg:2": "reg:1",  # same registered number, 18 km apart
        "hsds:2": "hsds:1",  # unlocated, same name and postcode
    }
    by_id = found.set_index("incoming_id")
    assert by_id.loc["osm:way/9", "distance_m"] == pytest.approx(20, abs=1)
    assert by_id.loc["reg:2", "reason"] == "same registered number"
    assert by_id.loc["hsds:2", "reason"] == "same name and postcode"


def test_namesake_far_apart_and_other_kind_are_not_duplicates():
    found = pairs(find_batch_duplicates(BATCH))
    assert "osm:node/2" not in found and "osm:node/2" not in found.values()
    assert "osm:node/3" not in found  # the friends' group is a community asset, not the building
    loose = pairs(find_batch_duplicates(BATCH, rule=DuplicateRule(same_kind=False)))
    assert loose["osm:node/3"] == "osm:node/1"
    assert "osm:way/9" not in pairs(find_batch_duplicates(BATCH, rule=DuplicateRule(10)))


def test_names_that_swap_words_are_not_supersets():
    # token-set similarity gives 91 (three long shared words), but hall and nursery differ
    hall, nursery = "smethwick baptist church hall", "smethwick baptist church nursery"
    assert name_similarity(hall, nursery) < 90
    assert name_similarity("friends of smethwick library", "smethwick library friends") == 100


def test_chain_keeps_both_ends():
    # A ~ B (200 m) and B ~ C (200 m), but A and C are 400 m apart: B joins A, C stays
    chain = [row(f"c{k}", "Cape Hill Market", 200.0 * k) for k in (1, 2, 3)]
    expected = {"c2": "c1"}
    assert pairs(find_batch_duplicates(batch(chain))) == expected
    assert pairs(find_batch_duplicates(batch(chain[::-1]))) == expected  # file order is irrelevant
    merged, counts, id_map = merge_batch(batch(chain[::-1]), find_batch_duplicates(batch(chain)))
    assert list(merged["id"]) == ["c3", "c1"] and id_map == expected
    assert counts == {"kept_existing": 1}


def test_footprints_are_measured_from_their_edge():
    rows = batch([row("a", "Soho Road Stores", 0), row("b", "Soho Road Stores", 0)])
    # b is a 100 m-wide footprint whose nearest edge is 150 m north of a: within 250 m
    y0, y1 = 52.4969 + 150 * NORTH, 52.4969 + 250 * NORTH
    rows.loc[1, "geometry"] = box(-1.9675, y0, -1.9660, y1)
    (distance,) = find_batch_duplicates(rows)["distance_m"]
    assert distance == pytest.approx(150, abs=2)


@pytest.mark.parametrize(
    "rule, kept, counts",
    [
        ("keep-existing", 5, {"kept_existing": 3}),
        ("fill", 5, {"filled": 3}),
        ("replace", 5, {"replaced": 3}),
        ("keep-both", 8, {"kept_both": 3}),
    ],
)
def test_merge_batch_rules(rule, kept, counts):
    found = find_batch_duplicates(BATCH)
    merged, got, id_map = merge_batch(BATCH, found, on_duplicate=rule)
    assert len(merged) == kept and got == counts
    assert merged["id"].is_unique
    by_id = merged.set_index("id")
    if rule == "keep-both":
        assert not id_map and "merged_ids" not in merged
        return
    assert id_map == pairs(found)
    assert by_id.loc["osm:node/1", "merged_ids"] == "osm:way/9"
    assert by_id.loc["reg:1", "merged_ids"] == "reg:2"
    assert pd.isna(by_id.loc["osm:node/2", "merged_ids"])
    library = by_id.loc["osm:node/1"]
    if rule == "keep-existing":
        assert library["name"] == "Smethwick Library" and pd.isna(library["sector"])
    if rule == "fill":
        assert library["name"] == "Smethwick Library" and library["sector"] == "libraries"
    if rule == "replace":
        assert library["name"] == "Smethwick Public Library"
        assert library.geometry.y == pytest.approx(52.4969 + 20 * NORTH)


def test_fill_joins_the_sources():
    two = batch([row("a", "Soho Road Stores", 0, source="OSM"), row("b", "Soho Road Stores", 30)])
    two.loc[1, "source"] = "Open Referral"
    merged, _, _ = merge_batch(two, find_batch_duplicates(two), on_duplicate="fill")
    assert merged.loc[0, "source"] == "OSM; Open Referral"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Hall", "Hall Ltd", "Park", "Unit 4", "Unit 5"]), st.integers(0, 6)
        ),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_no_row_lost_and_order_free(spec, rnd):
    rows = [row(f"r{k:02d}", name, 150.0 * step) for k, (name, step) in enumerate(spec)]
    found = find_batch_duplicates(batch(rows))
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    assert pairs(find_batch_duplicates(batch(shuffled))) == pairs(found)
    merged, _, id_map = merge_batch(batch(rows), found)
    assert len(merged) + len(id_map) == len(rows)
    assert set(id_map.values()) <= set(merged["id"])  # every merge points at a kept row
    assert not set(id_map) & set(merged["id"])


# ----------------------------------------------------------------------------- end to end


def osm_extract(path: Path) -> Path:
    """A library drawn twice (a node and its building way) and a namesake far away."""
    lon, lat = -1.9560, 52.4890
    ring = [
        [lon - 0.0003, lat - 0.0002],
        [lon + 0.0003, lat - 0.0002],
        [lon + 0.0003, lat + 0.0002],
        [lon - 0.0003, lat + 0.0002],
    ]
    features = [
        {
            "type": "Feature",
            "id": "way/7001",
            "properties": {
                "building": "yes",
                "amenity": "library",
                "name": "Bearwood Library",
                "addr:postcode": "B66 4BW",
                "@id": "way/7001",
            },
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        },
        {
            "type": "Feature",
            "id": "node/7002",
            "properties": {"amenity": "library", "name": "Bearwood Library", "@id": "node/7002"},
            "geometry": {"type": "Point", "coordinates": [lon + 0.0004, lat]},
        },
        {
            "type": "Feature",
            "id": "node/7003",
            "properties": {"amenity": "library", "name": "Bearwood Library", "@id": "node/7003"},
            "geometry": {"type": "Point", "coordinates": [lon, lat + 0.03]},
        },
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_import_into_merges_within_the_import(mini_copy, tmp_path, caplog):
    caplog.set_level("INFO", logger="cwb.importers.merge")
    result = import_into("osm", osm_extract(tmp_path / "x.geojson"), mini_copy, on_duplicate="fill")
    assert pairs(result.batch_duplicates) == {"osm:way/7001": "osm:node/7002"}
    assert result.merged["assets within the import filled"] == 1
    assert result.merged["assets added"] == 2
    assert "within the import" in caplog.text
    assets = read_dataset(mini_copy).assets.set_index("id")
    kept = assets.loc["osm:node/7002"]
    assert kept["merged_ids"] == "osm:way/7001"
    assert kept["footprint"].startswith("POLYGON")  # filled from the building way
    assert "osm:way/7001" not in assets.index and "osm:node/7003" in assets.index
    # importing the same extract again adds nothing and keeps the ids
    again = import_into("osm", tmp_path / "x.geojson", mini_copy)
    assert "assets added" not in again.merged and not len(again.batch_duplicates)
    assert list(read_dataset(mini_copy).assets["id"]) == list(assets.index)


def test_cli_reports_duplicates_within_the_import(mini_copy, tmp_path):
    dups = tmp_path / "dups.csv"
    args = ["import", "osm", str(osm_extract(tmp_path / "x.geojson")), "--into", str(mini_copy)]
    result = CliRunner().invoke(app, [*args, "--duplicates-csv", str(dups)])
    assert result.exit_code == 0, result.output
    assert "assets within the import kept_existing 1" in result.output
    assert "likely duplicates within the import: 1" in result.output
    listing = pd.read_csv(dups)
    inside = listing[listing["scope"] == "import"]
    assert len(inside) == 1 and inside.iloc[0]["incoming_id"] == "osm:way/7001"
    assert np.isclose(inside.iloc[0]["similarity"], 100)


def test_links_follow_rows_merged_within_the_import(mini_copy, tmp_path):
    funder = {"id": "GB-CHC-999001", "name": "Smethwick Community Fund"}

    def grant(gid: str, org: dict) -> dict:
        return {
            "id": gid,
            "title": "Kitchen",
            "currency": "GBP",
            "amountAwarded": 1000,
            "awardDate": "2021-04-15",
            "fundingOrganization": [funder],
            "recipientOrganization": [{**org, "postalCode": "B66 3AA"}],
        }

    grants = tmp_path / "grants.json"
    kitchen = {"id": "GB-CHC-1100001", "name": "Cape Hill Kitchen", "charityNumber": "1100001"}
    twin = {"id": "360G-org-77", "name": "Cape Hill Kitchen CIO"}  # the same charity, no number
    grants.write_text(json.dumps({"grants": [grant("g1", kitchen), grant("g2", twin)]}))
    result = import_into("360giving", grants, mini_copy)
    assert pairs(result.batch_duplicates) == {"GB-CHC-1100001": "360G-org-77"}
    ds = read_dataset(mini_copy)
    funds = ds.links[ds.links["relation"] == "funds"]
    assert sorted(funds["target"]) == ["360G-org-77", "360G-org-77"]
    assert "GB-CHC-1100001" not in set(ds.assets["id"])


def test_cli_any_kind(mini_copy, tmp_path):
    path = tmp_path / "x.geojson"
    data = json.loads(osm_extract(path).read_text())
    data["features"][0]["properties"] = {"office": "charity", "name": "Bearwood Library"}
    path.write_text(json.dumps(data))
    args = ["import", "osm", str(path), "--into", str(mini_copy), "--dry-run"]
    assert "within the import" not in CliRunner().invoke(app, args).output
    assert "within the import: 1" in CliRunner().invoke(app, [*args, "--any-kind"]).output
