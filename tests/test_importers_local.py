"""Issue 12: registers without ids, TSV, categories from a column, merges that respect
registered numbers and kinds, and imports kept local (360Giving with its grants)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from realdata_paths import REALDATA
from shapely.geometry import Point
from typer.testing import CliRunner

from cwb.build import read_recipe
from cwb.cli import app
from cwb.dataset.catchment_areas import build_catchment_areas
from cwb.dataset.io import read_dataset, write_table
from cwb.dataset.manifest import manifest_from_dict
from cwb.dataset.postcodes import PostcodeLookup
from cwb.dataset.schema import TABLES
from cwb.errors import UsageError
from cwb.graph.build import build_graph
from cwb.importers.common import Provenance
from cwb.importers.duplicates import find_batch_duplicates
from cwb.importers.local import keep_local, parse_distance
from cwb.importers.merge import import_into
from cwb.importers.registers import (
    import_register,
    parse_category_map,
    read_register_csv,
)
from cwb.importers.threesixtygiving import import_360giving

DATA = Path(__file__).resolve().parent / "data" / "importers"
WARM = DATA / "warm_spaces_no_ids.csv"
MMUH = (52.4951, -1.9447)


def test_register_without_ids_keeps_every_row_and_finds_lat_lon():
    result = import_register(WARM, mapping={"name": "title", "address": "address"})
    assets = result.tables["assets"]
    # 6 rows, two pairs of equal names (one an exact repeat): none lost as a "duplicate id"
    assert result.read == 6 and len(assets) == 6 and not result.skipped
    assert assets["id"].is_unique
    assert assets["id"].str.startswith("warm_spaces_no_ids:").all()
    # the exact repeat gets the same hash with a suffix, in file order
    library = assets[assets["name"] == "Smethwick Library"]["id"].tolist()
    assert library[1] == library[0] + "-2"
    # lat/lon were recognised without a mapping
    assert (assets["precision"] == "exact").sum() == 5
    assert assets.iloc[5]["precision"] == "none"
    again = import_register(WARM, mapping={"name": "title", "address": "address"})
    assert list(again.tables["assets"]["id"]) == list(assets["id"])
    assert "accounted for: 6 read = 6 assets imported + 0 skipped" in result.summary()


def test_keep_columns_category_from_and_collected_on():
    result = import_register(
        WARM,
        mapping={"name": "title", "collected_on": "updated", "contact_phone": "contact"},
        keep=["url", "hours"],
        category_from="type",
        category_map=parse_category_map(
            "Church=place_of_worship,community centre=community_centre"
        ),
        category="building",
    )
    assets = result.tables["assets"]
    assert list(assets["category"]) == [
        "place_of_worship",
        "community_centre",
        "library",  # the value is itself a cwb category
        "library",
        "building",  # "Pub" has no category: the fallback, and a note says so
        "community_centre",
    ]
    assert any("'Pub' × 1" in note for note in result.notes)
    assert assets.loc[0, "url"] == "https://example.org/a"
    assert assets.loc[1, "hours"] == "Tue 12-3"
    assert assets.loc[0, "contact_phone"] == "01210000001"
    # dates from the column; the undated row stays empty (never today) and a note says so
    assert assets.loc[0, "collected_on"] == "2023-11-02"
    assert assets.loc[4, "collected_on"] is None
    assert any("collected_on is unknown" in note for note in result.notes)
    dated = import_register(
        WARM, mapping={"name": "title"}, provenance=Provenance(collected_on="2023-12-01")
    )
    assert set(dated.tables["assets"]["collected_on"]) == {"2023-12-01"}
    assert not any("collected_on" in note for note in dated.notes)


def test_category_map_file_and_errors(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("value,category\nChurch,place_of_worship\n")
    assert parse_category_map(str(path)) == {"church": "place_of_worship"}
    with pytest.raises(UsageError, match="unknown category"):
        parse_category_map("Pub=pub")
    with pytest.raises(UsageError, match="value=category"):
        parse_category_map("Pub")
    with pytest.raises(UsageError, match="--keep nope"):
        import_register(WARM, mapping={"name": "title"}, keep=["nope"])


def test_tab_separated_charity_extract():
    frame = read_register_csv(DATA / "charity_extract.tsv")
    assert list(frame.columns)[:2] == ["registered_charity_number", "charity_name"]
    assert frame.loc[1, "charity_name"] == "Windmill Lane Food Bank, Smethwick"
    result = import_register(DATA / "charity_extract.tsv", preset="charity_commission")
    assets = result.tables["assets"]
    assert list(assets["id"]) == ["GB-CHC-1100002", "GB-CHC-1100003"]
    assert [p.reason for p in result.skipped] == ["not a registered charity"]


def test_easting_northing_found_without_mapping(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("Site,Easting,Northing\nOld Baths,402500,288000\n")
    assets = import_register(path, mapping={"name": "Site"}).tables["assets"]
    assert assets.loc[0, "precision"] == "exact"
    assert round(assets.geometry.y[0], 2) == 52.49


def test_shared_charity_number_with_different_company_numbers_not_merged():
    """'Locality' and Horfield Common CIC both give charity number 1036460 (a data error)."""
    result = import_360giving(DATA / "grants_locality.json")
    assets = result.tables["assets"]
    recipients = assets[assets["category"] != "funder"]
    assert set(recipients["registered_number"]) == {"1036460"}
    assert find_batch_duplicates(recipients).empty
    # the same two with the same company number would be one organisation
    same = recipients.assign(company_number="04472171")
    assert len(find_batch_duplicates(same)) == 1
    # collected_on is the publication's own date (its grants' latest modification)
    assert set(assets["collected_on"]) == {"2019-05-15"}


def _sites(rows: list[tuple[str, str, str, str, float, float]]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["id", "name", "kind", "category", "lat", "lon"])
    frame["registered_number"] = [r[0] if r[0].startswith("M") else None for r in rows]
    return gpd.GeoDataFrame(frame, geometry=[Point(r[5], r[4]) for r in rows], crs="EPSG:4326")


def test_no_merge_across_categories_or_distinct_ods_codes():
    sites = _sites(
        [
            ("a", "Cape Hill Library", "physical", "library", 52.4908, -1.9632),
            ("b", "Cape Hill Medical Centre", "physical", "health_facility", 52.4908, -1.9633),
            ("M85001", "Cape Hill Medical Practice", "physical", "health_facility", 52.49, -1.96),
            ("M85002", "Cape Hill Medical Practice", "physical", "health_facility", 52.49, -1.96),
            ("c", "Cape Hill Library", "physical", "building", 52.4908, -1.9632),
        ]
    )
    found = find_batch_duplicates(sites, rule=None)
    pairs = set(zip(found["incoming_id"], found["existing_id"], strict=True))
    # a generic building may be the library; practices with two ODS codes never merge
    assert pairs == {("c", "a")}


def test_parse_distance():
    assert parse_distance("3km") == 3000 and parse_distance("800 m") == 800
    assert parse_distance(None) is None
    with pytest.raises(UsageError, match="not a distance"):
        parse_distance("near")


def test_keep_local_keeps_grants_and_their_funder():
    result = import_360giving(
        DATA / "grants_small.json", postcodes=PostcodeLookup.from_csv(MINI_POSTCODES)
    )
    before = len(result.tables["links"])
    keep_local(result, centres=[MMUH], within_m=3000)
    links = result.tables["links"]
    ids = set(result.tables["assets"]["id"])
    assert set(links["target"]) <= ids and set(links["source"]) <= ids
    assert "GB-CHC-999001" in ids  # the unlocated funder of local recipients stays
    assert len(links) + len(result.skipped) == result.read
    assert len(links) < before


def test_keep_local_without_links_skips_far_rows():
    result = import_register(WARM, mapping={"name": "title"})
    keep_local(result, centres=[(52.4926, -1.9702)], within_m=1000)
    kept = result.tables["assets"]
    assert sorted(kept["name"]) == ["Smethwick Library"] * 2 + ["Warm Welcome Cafe"] * 2
    # 1.6 km away, and unlocated: both skipped with the reason
    assert [p.reason for p in result.skipped] == [
        "not local (not within 1 km of the project(s))"
    ] * 2
    assert len(kept) + len(result.skipped) == result.read == 6


def test_parallel_grants_keep_their_amounts_in_the_graph(mini_copy):
    import_into("360giving", DATA / "grants_small.json", mini_copy)
    ds = read_dataset(mini_copy)
    G = build_graph(ds)
    edge = G.edges["asset:GB-CHC-999001", "asset:GB-CHC-1100001", "link:funds"]
    # two grants (12,500 and 2,000) between one funder and one recipient: one edge, summed
    assert edge["count"] == 2 and edge["amount"] == pytest.approx(14500)
    # importing the same file again adds no links (grant ids are known)
    again = import_into("360giving", DATA / "grants_small.json", mini_copy)
    assert again.merged["links already present"] == 3


ROOT = Path(__file__).resolve().parents[1]
MINI_POSTCODES = Path(__file__).resolve().parent / "data" / "mini" / "postcodes.csv"


# ---------------------------------------------------------------- real public data


@pytest.fixture(scope="module")
def real_base(tmp_path_factory, realdata_module):
    """The real-data catchment dataset (wards within 5 km of MMUH), no rows imported."""
    recipe = read_recipe(ROOT / "examples" / "smethwick_recipe.toml")
    manifest = {k: v for k, v in recipe.items() if k != "build"}
    manifest["files"] = {t: f"{t}.csv" for t in ("assets", "opportunities", "spend", "links")}
    manifest["files"] |= {"areas": "areas.geojson", "postcodes": "postcodes.csv"}
    out = tmp_path_factory.mktemp("real") / "base"
    out.mkdir()
    (out / "dataset.toml").write_text(manifest_from_dict(manifest).to_toml(), encoding="utf-8")
    project = recipe["projects"][0]
    wards = build_catchment_areas(
        [realdata_module / "boundaries_geographr" / "wards22_west_midlands_met.geojson"],
        centres=[(project["lat"], project["lon"])],
        within_m=5000,
        local_authorities=["Birmingham", "Sandwell"],
    )
    write_table(wards.areas, out / "areas.geojson")
    lookup = pd.read_csv(
        realdata_module / "bsol_mapR" / "WM_Postcodes_B_WS_WV_DY.csv",
        dtype=str,
        usecols=["Postcode", "LAT", "LONG"],
    )
    write_table(lookup.set_axis(["postcode", "lat", "lon"], axis=1), out / "postcodes.csv")
    for table in ("assets", "opportunities", "spend", "links"):
        columns = [c for c in TABLES[table].column_names if c != "precision"]
        write_table(pd.DataFrame(columns=columns), out / f"{table}.csv")
    return out


@pytest.fixture(scope="module")
def realdata_module():
    if not REALDATA.is_dir():
        pytest.skip(f"{REALDATA} is not present")
    return REALDATA


def _copy(base: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ds"
    shutil.copytree(base, target)
    return target


@pytest.mark.realdata
@pytest.mark.parametrize(
    "name, kept, total, organisations, widest",
    [
        ("lloyds_bank_foundation_grants_2010-2015_a002400000OiDBQAA3.json", 28, 946070.0, 23, 2),
        ("power_to_change_grants_2015-2019_a002400000nO46WAAS.json", 9, 398366.34, 8, 3),
    ],
)
def test_real_360giving_within_3km(real_base, tmp_path, name, kept, total, organisations, widest):
    folder = _copy(real_base, tmp_path)
    grants = REALDATA / "360giving_grantnav" / name
    result = import_into("360giving", grants, folder, within_m=3000)
    n = len(json.loads(grants.read_text(encoding="utf-8"))["grants"])
    assert result.read == n
    assert len(result.tables["links"]) == kept
    assert kept + len(result.skipped) == n  # every grant is kept or skipped as not local
    ds = read_dataset(folder)
    funds = ds.links[ds.links["relation"] == "funds"]
    assert len(funds) == kept and funds["amount"].sum() == pytest.approx(total)
    assert len(ds.assets) == organisations  # the recipients and their one funder
    assert set(funds["source"]) <= set(ds.assets["id"])
    G = build_graph(ds)
    links = [d for *_, d in G.edges(data=True) if d.get("edge_type") == "link"]
    assert sum(d["amount"] for d in links) == pytest.approx(total)
    assert max(d["count"] for d in links) == widest  # parallel grants: one edge, summed


@pytest.mark.realdata
def test_real_registers_lose_no_rows_and_keep_ods_practices_apart(real_base, tmp_path):
    gp = REALDATA / "gp_practices_ods" / "epraccur_2019-12_B_WS_WV_DY_postcodes.csv"
    libraries = REALDATA / "libraries_librarieshacked" / "libraries_2016_west_midlands_met.csv"
    folder = _copy(real_base, tmp_path)
    result = import_into("register", gp, folder, preset="gp_practices")
    reasons = result.skip_reasons()
    assert result.read == 1014
    assert len(result.tables["assets"]) == 271
    assert reasons == {
        "not a GP practice (prescribing_setting is not 4)": 294,
        "closed practice (status not A)": 240,
        "located more than 2 km outside the dataset's areas": 209,
    }
    assert 271 + sum(reasons.values()) == 1014
    ds = read_dataset(folder)
    assert len(ds.assets) == 271  # no practice merged into another
    located = ds.assets[ds.assets["postcode"].notna()]
    shared = located.groupby("postcode")["id"].nunique()
    assert (shared > 1).sum() == 23  # practices sharing a building (postcode) …
    assert ds.assets["id"].is_unique  # … and each keeps its own ODS code
    result = import_into("register", libraries, folder, preset="libraries")
    assert result.read == 152
    assert len(result.tables["assets"]) == 63
    assert result.skip_reasons() == {
        "closed library": 10,
        "located more than 2 km outside the dataset's areas": 79,
    }
    assert len(read_dataset(folder).assets) == 271 + 63


def test_cli_register_options(mini_copy):
    args = ["import", "register", str(WARM), "--into", str(mini_copy), "--map", "name=title"]
    result = CliRunner().invoke(
        app,
        [
            *args,
            "--keep",
            "url,hours",
            "--category-from",
            "type",
            "--category-map",
            "Church=place_of_worship,Community centre=community_centre",
            "--collected-on",
            "2023-12-01",
            "--within",
            "3km",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "accounted for: 6 read = 5 assets imported + 1 skipped" in result.output
    ds = read_dataset(mini_copy)
    new = ds.assets[ds.assets["id"].str.startswith("warm_spaces_no_ids:")]
    assert "Mon-Sat 9-5" in set(new["hours"]) and "https://example.org/a" in set(new["url"])
    assert set(new["collected_on"]) == {"2023-12-01"}
    assert "place_of_worship" in set(new["category"])
    bad = CliRunner().invoke(app, [*args, "--within", "near"])
    assert bad.exit_code == 2 and "--within" in bad.output
    wrong = CliRunner().invoke(
        app, ["import", "osm", str(WARM), "--into", str(mini_copy), "--keep", "url"]
    )
    assert wrong.exit_code == 2 and "register options" in wrong.output
