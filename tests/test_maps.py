"""cwb.maps: encoding round trips, privacy, escaping, layers, self-hosting."""

from __future__ import annotations

import base64
import html as html_module
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from folium.plugins import FastMarkerCluster
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from cwb import settings as settings_module
from cwb.dataset.manifest import manifest_from_dict
from cwb.dataset.model import Dataset
from cwb.dataset.schema import ASSETS, OPPORTUNITIES
from cwb.errors import UsageError
from cwb.flows.census import flows_from_shares
from cwb.maps.compose import CATEGORY_COLOURS, make_map, save_map, write_map
from cwb.maps.elements import (
    BASEMAP_OFFLINE,
    QUANTUM,
    CwbLayer,
    _read_varints,
    decode_column,
    decode_points,
    encode_points,
    iter_elements,
    local_asset_path,
    number_column,
    safe_json,
    text_column,
    unpack_fields,
    zigzag_varints,
)
from cwb.maps.flows import flow_map
from cwb.maps.layers import strongest_first
from cwb.maps.tables import indicator_classes, link_table

WEBASSETS = Path(__file__).resolve().parent / "webassets" / "node_modules"
HOSTILE_SCRIPT = "</script><script>window.__pwned=1</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_URL = "javascript:window.__pwned=1"

# Two 1 km squares west and east of a hospital at (-1.9447, 52.4951).
WEST = box(-1.9597, 52.4861, -1.9447, 52.5041)
EAST = box(-1.9447, 52.4861, -1.9297, 52.5041)


def _frame(spec, rows: list[dict]) -> gpd.GeoDataFrame:
    records = [
        {c: r.get(c) for c in spec.column_names} | {"geometry": r.get("geometry")} for r in rows
    ]
    frame = pd.DataFrame(records, columns=[*spec.column_names, "geometry"])
    return gpd.GeoDataFrame(
        frame.drop(columns=["lat", "lon"]), geometry="geometry", crs="EPSG:4326"
    )


def make_dataset(*, extra_assets: list[dict] | None = None, min_count: int = 5) -> Dataset:
    """A hand-made dataset: two areas, public assets (some hostile), residents, opportunities."""
    manifest = manifest_from_dict(
        {
            "dataset": {"name": "Map test <b>dataset</b>"},
            "projects": [
                {
                    "id": "hosp",
                    "name": "Test Hospital",
                    "lat": 52.4951,
                    "lon": -1.9447,
                    "kind": "hospital",
                }
            ],
            "catchment": {"bands_m": [1000, 2000]},
            "privacy": {"min_count": min_count},
        }
    )
    public = [
        {
            "id": "P1",
            "name": "Smethwick Library",
            "kind": "physical",
            "category": "library",
            "geometry": Point(-1.9500, 52.4960),
            "precision": "exact",
            "source": "survey",
            "licence": "OGL",
        },
        {
            "id": "P2",
            "name": HOSTILE_SCRIPT,
            "kind": "physical",
            "category": "green_space",
            "geometry": Point(-1.9400, 52.4940),
            "precision": "exact",
            "source": HOSTILE_URL,
        },
        {
            "id": "F1",
            "name": HOSTILE_IMG,
            "kind": "financial",
            "category": "social_enterprise",
            "geometry": Point(-1.9480, 52.4990),
            "precision": "postcode",
            "skills": "catering;cleaning",
            "capacity": 250000.0,
            "contact_name": "Mo Owner",
            "contact_email": "mo@example.org",
            "contact_phone": "0121 496 0000",
        },
        {
            "id": "C1",
            "name": "Tenants Association",
            "kind": "community",
            "category": "tenants_association",
            "geometry": Point(-1.9350, 52.4900),
            "precision": "exact",
        },
        {
            "id": "C2",
            "name": "Lost Group",
            "kind": "community",
            "category": "charity",
            "geometry": None,
            "precision": "none",
        },
    ]
    residents = [
        # west: a skills group of 12 (shown) and two individuals at exact homes (2: suppressed)
        {
            "id": "H1",
            "name": "Overseas-qualified nurses",
            "kind": "human",
            "category": "skills_group",
            "area_code": "W",
            "count": 12,
            "skills": "registered nurse",
            "precision": "area",
        },
        {
            "id": "H2",
            "name": "Jane Resident",
            "kind": "human",
            "category": "individual",
            "geometry": Point(-1.95811, 52.48777),
            "count": 1,
            "skills": "driving",
            "precision": "exact",
            "contact_name": "Jane Resident",
            "contact_email": "jane@example.org",
            "contact_phone": "07700 900123",
        },
        {
            "id": "H3",
            "name": "John Resident",
            "kind": "human",
            "category": "individual",
            "geometry": Point(-1.95833, 52.48799),
            "count": 1,
            "skills": "driving",
            "precision": "exact",
        },
        # east: three individuals with the same skills at exact homes: 6 residents, shown as a group
        *(
            {
                "id": f"E{i}",
                "name": f"East Resident {i}",
                "kind": "human",
                "category": "individual",
                "geometry": Point(-1.9310 - i * 0.0011, 52.4871 + i * 0.0009),
                "count": 2,
                "skills": "cleaning",
                "precision": "exact",
            }
            for i in range(3)
        ),
    ]
    assets = _frame(ASSETS, public + residents + (extra_assets or []))
    opportunities = _frame(
        OPPORTUNITIES,
        [
            {
                "id": "O1",
                "project": "hosp",
                "type": "job",
                "title": "Registered nurse",
                "quantity": 40,
                "value": 33000.0,
                "skills": "registered nurse",
            },
            {
                "id": "O2",
                "project": "hosp",
                "type": "contract",
                "title": "Catering <i>lot</i>",
                "quantity": 1,
                "value": 1200000.0,
            },
            {
                "id": "O3",
                "project": "hosp",
                "type": "space",
                "title": "Meeting room",
                "geometry": Point(-1.9420, 52.4970),
            },
        ],
    )
    areas = gpd.GeoDataFrame(
        {
            "code": ["W", "E"],
            "name": ["West <ward>", "East"],
            "imd_decile": [1.0, 4.0],
            "imd_rank": [1200.0, 9000.0],
            "population": [9000, 8000],
            "local_authority": ["Sandwell", "Sandwell"],
        },
        geometry=[WEST, EAST],
        crs="EPSG:4326",
    )
    return Dataset(manifest=manifest, assets=assets, opportunities=opportunities, areas=areas)


MATCHES = pd.DataFrame(
    {
        "asset_id": ["F1", "H1", "P1", "H2", "H3"],
        "opportunity_id": ["O2", "O1", "O3", "O1", "O1"],
        "score": [0.91, 0.8, 0.45, 0.6, 0.6],
        "reasons": ["covers catering · 450 m", "registered nurse", "has a meeting room", "x", "y"],
    }
)


def layers_of(fmap: folium.Map) -> dict[str, CwbLayer]:
    return {
        e.spec.get("options", {}).get("id", e.factory): e
        for e in iter_elements(fmap)
        if isinstance(e, CwbLayer)
    }


def all_coordinates(fmap: folium.Map) -> np.ndarray:
    """Every packed point of every canvas layer, as (lon, lat) rows."""
    rows = [
        np.column_stack(decode_points(layer.spec))
        for layer in layers_of(fmap).values()
        if "dx" in layer.spec
    ]
    return np.vstack(rows)


def all_field_values(fmap: folium.Map) -> list[str]:
    values: list[str] = []
    for layer in layers_of(fmap).values():
        if "dx" in layer.spec:
            for column in unpack_fields(layer.spec).values():
                values += column
    return values


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return make_dataset()


@pytest.fixture(scope="module")
def fmap(ds: Dataset) -> folium.Map:
    return make_map(ds, matches=MATCHES, date="2025-01-31")


@pytest.fixture(scope="module")
def html(fmap: folium.Map) -> str:
    return fmap.get_root().render()


# ---------------------------------------------------------------- encoding


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=200))
def test_varints_round_trip(values: list[int]) -> None:
    arr = np.array(values, dtype=np.int64)
    assert _read_varints(zigzag_varints(arr), len(arr)).tolist() == values


@settings(max_examples=50)
@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-85, 85)), min_size=1, max_size=100))
def test_points_round_trip_within_half_a_step(points: list[tuple[float, float]]) -> None:
    lon, lat = np.array(points).T
    back_lon, back_lat = decode_points(encode_points(lon, lat))
    assert np.all(np.abs(back_lon - lon) <= QUANTUM / 2 + 1e-9)
    assert np.all(np.abs(back_lat - lat) <= QUANTUM / 2 + 1e-9)


@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=80))
def test_text_column_round_trip(values: list[str | None]) -> None:
    expected = ["" if v is None else v.replace("\r", " ").replace("\n", " ") for v in values]
    assert decode_column(text_column(values), len(values)) == expected


def test_text_column_chooses_compact_forms() -> None:
    assert text_column(["a"] * 10) == {"const": "a"}
    assert "dict" in text_column(["a", "b"] * 50)
    assert "list" in text_column([f"name {i}" for i in range(1000)])
    assert decode_column(number_column([1.5, None, 3]), 3) == ["1.5", "", "3"]


@given(st.text())
def test_safe_json_cannot_close_a_script(text: str) -> None:
    out = safe_json({"name": text, "list": [text]})
    assert "<" not in out and ">" not in out and "&" not in out
    assert json.loads(out) == {"name": text, "list": [text]}


# ---------------------------------------------------------------- layers and legend


def test_every_layer_is_built_and_listed(fmap: folium.Map, html: str) -> None:
    layers = layers_of(fmap)
    assert set(layers) == {
        "areas",
        "rings",
        "physical",
        "financial",
        "community",
        "human",
        "opportunities",
        "links",
        "projects",
    }
    for name in (
        "Physical assets (2)",
        "Financial assets (1)",
        "Community assets (1)",
        "Opportunities (3)",
        "Catchment rings",
        "Areas by IMD decile",
        "Capital project",
    ):
        assert name in html, name
    assert '"Matched links (' in html
    assert "L.control.layers" in html and "L.control.scale" in html
    assert "cwbMap.fullscreen(" in html
    assert "cwbMap.search(" in html and "cwbMap.legend(" in html and "cwbMap.title(" in html


def test_categories_come_from_one_legend(fmap: folium.Map) -> None:
    legend = next(e for e in iter_elements(fmap) if getattr(e, "factory", None) == "legend")
    sections = {s["id"]: s for s in legend.spec["sections"]}
    physical = {i["label"]: i for i in sections["physical"]["items"]}
    assert set(physical) == {"Library", "Green space"}
    layer = layers_of(fmap)["physical"].spec
    for item in physical.values():
        category = layer["categories"][item["category"]]
        assert item["colour"] == category["colour"] == CATEGORY_COLOURS["physical"][category["key"]]
        assert item["layer"] == "physical" and item["count"] == 1
    deciles = [i["label"] for i in sections["areas"]["items"]]
    assert deciles == ["1 (most deprived)", "4"]
    assert "1 could not be located" in legend.spec["footer"].replace(" community asset(s)", "")


def test_rings_follow_the_manifest_bands(fmap: folium.Map) -> None:
    features = layers_of(fmap)["rings"].spec["geojson"]["features"]
    assert [f["properties"]["label"] for f in features] == [
        "1 km from Test Hospital",
        "2 km from Test Hospital",
    ]
    # the 1 km ring passes ~1000 m north of the project (metric buffer, not degrees)
    lats = [c[1] for c in features[0]["geometry"]["coordinates"]]
    assert max(lats) - 52.4951 == pytest.approx(1000 / 111_250, rel=0.01)


def test_popup_fields_carry_name_category_skills_provenance(fmap: folium.Map) -> None:
    fields = unpack_fields(layers_of(fmap)["financial"].spec)
    assert fields["Name"] == [HOSTILE_IMG]
    assert fields["Skills"] == ["catering; cleaning"]
    assert fields["Located at"] == ["postcode centroid"]
    assert fields["Capacity"] == ["250000"]
    physical = unpack_fields(layers_of(fmap)["physical"].spec)
    assert set(physical["Provenance"]) == {"survey · OGL", HOSTILE_URL}


def test_unknown_indicator_is_a_usage_error(ds: Dataset) -> None:
    with pytest.raises(UsageError, match="no column 'nope'.*imd_decile"):
        make_map(ds, indicator="nope", links=False)


def test_other_indicator_shades_by_quantiles(ds: Dataset) -> None:
    fmap = make_map(ds, indicator="imd_rank", links=False)
    feats = layers_of(fmap)["areas"].spec["geojson"]["features"]
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in feats}
    assert fills["W"] != fills["E"]
    # a low rank is more deprived: drawn with the darker colour
    assert fills["W"] == "#b30000"


@pytest.mark.parametrize("indicator", ["imd_decile", "imd_rank"])
def test_an_area_without_the_value_is_no_data(ds: Dataset, tmp_path: Path, indicator: str) -> None:
    ds.areas.loc[ds.areas["code"] == "W", indicator] = np.nan
    fmap = make_map(ds, indicator=indicator, links=False)
    feats = layers_of(fmap)["areas"].spec["geojson"]["features"]
    west = next(f["properties"] for f in feats if f["properties"]["code"] == "W")
    assert west["value"] is None
    legend = next(e for e in iter_elements(fmap) if getattr(e, "factory", None) == "legend")
    items = next(s for s in legend.spec["sections"] if s["id"] == "areas")["items"]
    assert items[-1]["label"] == "no data"
    assert west["fill"] == items[-1]["colour"]
    saved = save_map(ds, tmp_path / "map.html", indicator=indicator, links=False)
    assert "no data" in saved.read_text(encoding="utf-8")


def test_one_level_of_several_is_drawn(ds: Dataset) -> None:
    ds.areas["level"] = ["ward22", "lsoa11"][: len(ds.areas)] + ["lsoa11"] * (len(ds.areas) - 2)
    for level, expected in ((None, "ward22"), ("lsoa11", "lsoa11")):
        fmap = make_map(ds, area_level=level, links=False)
        codes = {
            f["properties"]["code"] for f in layers_of(fmap)["areas"].spec["geojson"]["features"]
        }
        assert codes == set(ds.areas.loc[ds.areas["level"] == expected, "code"])
        legend = next(e for e in iter_elements(fmap) if getattr(e, "factory", None) == "legend")
        assert (
            f"Areas: {expected} (levels ward22, lsoa11; choose with --level)"
            in legend.spec["footer"]
        )
    with pytest.raises(UsageError, match="no level 'msoa'.*lsoa11, ward22"):
        make_map(ds, area_level="msoa", links=False)


# ---------------------------------------------------------------- privacy


def test_residents_only_in_aggregate(fmap: folium.Map, ds: Dataset) -> None:
    human = layers_of(fmap)["human"].spec
    fields = unpack_fields(human)
    # west: the group of 12 is shown, the two drivers (2 < k) are suppressed; east: 6 cleaners
    assert sorted(fields["Residents"]) == ["12", "6"]
    assert any("registered nurse: 12" in g for g in fields["Skills groups"])
    assert not any("driving" in g for g in fields["Skills groups"])
    # drawn at the areas' representative points, not at any home
    lon, lat = decode_points(human)
    reps = ds.areas.geometry.representative_point()
    for x, y in zip(lon, lat, strict=True):
        assert min(Point(x, y).distance(r) for r in reps) < 2e-5


def test_no_resident_location_or_personal_field_anywhere(
    fmap: folium.Map, ds: Dataset, html: str
) -> None:
    homes = ds.assets[(ds.assets["kind"] == "human") & ds.assets.geometry.notna()]
    coords = all_coordinates(fmap)
    for home in homes.geometry:
        nearest = np.min(np.hypot(coords[:, 0] - home.x, coords[:, 1] - home.y))
        assert nearest > 1e-4, f"a resident's home {home} is drawn"
        for text in (
            f"{home.x:.5f},{home.y:.5f}",
            f"{home.y:.5f}, {home.x:.5f}",
            f"{home.y:.5f},{home.x:.5f}",
        ):
            assert text not in html
    values = " ".join(all_field_values(fmap)) + html
    for secret in (
        "Jane Resident",
        "John Resident",
        "East Resident",
        "jane@example.org",
        "07700 900123",
        "Mo Owner",
        "mo@example.org",
        "0121 496 0000",
    ):
        assert secret not in values, secret
    assert "contact_" not in html


def test_links_from_residents_are_merged_per_area_and_suppressed(ds: Dataset) -> None:
    table = link_table(ds, MATCHES)
    assert table["score"].tolist() == sorted(table["score"], reverse=True)
    names = table["name"].tolist()
    assert f"{HOSTILE_IMG} → Catering <i>lot</i>" in names
    assert "Smethwick Library → Meeting room" in names
    # H1 (12 residents) + H2 + H3 in the west → one line of 14 residents; no individual names
    residents = table[table["kind"] == "residents"]
    assert residents["name"].tolist() == ["14 residents in West <ward> → Registered nurse"]
    west = WEST.representative_point()
    assert (residents["x1"].iloc[0], residents["y1"].iloc[0]) == pytest.approx((west.x, west.y))
    assert residents["score"].iloc[0] == 0.8
    # the opportunity without a location is drawn at its project
    catering = table[table["name"].str.startswith(HOSTILE_IMG)].iloc[0]
    assert (catering["x2"], catering["y2"]) == pytest.approx((-1.9447, 52.4951))


def test_small_resident_links_are_dropped(ds: Dataset) -> None:
    only_small = MATCHES[MATCHES["asset_id"].isin(["H2", "H3"])]
    assert link_table(ds, only_small).empty


def test_matcher_group_ids_use_its_area_and_count(ds: Dataset) -> None:
    grouped = pd.DataFrame(
        {
            "asset_id": ["group:E:abc"],
            "asset_kind": ["human"],
            "area_code": ["E"],
            "count": [6],
            "opportunity_id": ["O1"],
            "score": [0.7],
            "reasons": ["cleaning"],
        }
    )
    table = link_table(ds, grouped)
    assert table["name"].tolist() == ["6 residents in East → Registered nurse"]


# ---------------------------------------------------------------- safe HTML


def test_hostile_strings_cannot_break_out_of_script(html: str) -> None:
    calm = make_dataset()
    calm.assets["name"] = calm.assets["name"].replace({HOSTILE_SCRIPT: "Park", HOSTILE_IMG: "Cafe"})
    calm.assets["source"] = calm.assets["source"].replace({HOSTILE_URL: "survey"})
    benign = make_map(calm, matches=MATCHES, date="2025-01-31")
    assert "<img" not in html
    # exactly as many <script> tags as the same map always has: none came from the data
    assert html.count("<script") == benign.get_root().render().count("<script")
    assert HOSTILE_SCRIPT not in html and HOSTILE_IMG not in html
    assert html.count("<") == benign.get_root().render().count("<")


def test_hostile_column_name_is_inert_in_the_layer_control() -> None:
    """An areas column named like markup stays text in the layer control (issue 11)."""
    hostile = "<img src=x onerror=alert(1)>"
    ds = make_dataset()
    ds.areas[hostile] = np.arange(len(ds.areas), dtype=float)
    fmap = make_map(ds, indicator=hostile, links=False, date="2025-01-31")
    layer = layers_of(fmap)["areas"]
    assert "<" not in layer.layer_name and "&lt;img" in layer.layer_name
    assert "<img" not in fmap.get_root().render()


def test_dataset_name_is_escaped_in_the_title(html: str) -> None:
    assert "Map test <b>dataset</b>" not in html
    assert "Map test \\u003cb\\u003edataset" in html


# ---------------------------------------------------------------- self-hosted assets and saving


def test_assets_prefix_points_every_link_at_the_prefix(ds: Dataset) -> None:
    html = (
        make_map(ds, links=False, assets_prefix="https://intranet.example/npm").get_root().render()
    )
    links = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert links
    assert all(u.startswith("https://intranet.example/npm/") for u in links), links
    assert "https://intranet.example/npm/leaflet/dist/leaflet.js" in links


def test_folium_assets_kept_on_request(ds: Dataset, caplog: pytest.LogCaptureFixture) -> None:
    lean = make_map(ds, links=False).get_root().render()
    assert "CDNs" not in caplog.text
    full = make_map(ds, links=False, folium_assets=True).get_root().render()
    assert "jquery" not in lean and "jquery" in full
    assert "bootstrap-glyphicons" not in full
    assert "stay linked from their CDNs" in caplog.text  # said, since the map is not offline


@pytest.mark.skipif(not WEBASSETS.is_dir(), reason="tests/webassets not installed")
def test_every_linked_file_exists_in_the_npm_packages(ds: Dataset) -> None:
    fmap = make_map(ds, links=False, folium_assets=True, assets="cdn")
    FastMarkerCluster([[52.49, -1.94]]).add_to(fmap)
    html = fmap.get_root().render()
    for url in re.findall(r'(?:src|href)="(https?://[^"]+)"', html):
        local = local_asset_path(url)
        assert local is not None, url
        path = WEBASSETS / local
        assert path.is_file(), (url, path)


def test_default_map_is_self_contained_with_a_title(ds: Dataset) -> None:
    html = make_map(ds, links=False).get_root().render()
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="', html)  # nothing fetched
    assert 't.version="1.9.3"' in html  # Leaflet inlined from cwb/maps/vendor
    assert "<title>Map test &lt;b&gt;dataset&lt;/b&gt;</title>" in html
    assert "could not load its map library" in html and "<noscript>" in html


def test_cdn_assets_link_leaflet(ds: Dataset) -> None:
    html = make_map(ds, links=False, assets="cdn").get_root().render()
    assert 'src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"' in html
    assert 't.version="1.9.3"' not in html


@pytest.mark.parametrize(
    ("tiles", "url"),
    [
        ("openstreetmap", "tile.openstreetmap.org"),
        ("cartodb-positron", "basemaps.cartocdn.com"),
        ("CartoDB positron", "basemaps.cartocdn.com"),
        ("none", None),
        (None, None),
    ],
)
def test_tiles_choice(ds: Dataset, tiles: str | None, url: str | None) -> None:
    html = make_map(ds, links=False, tiles=tiles).get_root().render()
    assert ("L.tileLayer(" in html) == (url is not None)
    if url:
        assert url in html


def test_unknown_tiles_is_a_usage_error(ds: Dataset) -> None:
    with pytest.raises(UsageError, match="cartodb-positron"):
        make_map(ds, links=False, tiles="no-such-tiles")


def test_save_map_writes_relative_prefix(tmp_path: Path, ds: Dataset) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    out = save_map(ds, tmp_path / "maps" / "map.html", links=False, assets_prefix=str(assets))
    html = out.read_text(encoding="utf-8")
    assert 'src="../assets/leaflet/dist/leaflet.js"' in html
    assert not list(out.parent.glob(".map.*"))  # no temporary file left behind


def test_missing_tables_still_map(ds: Dataset) -> None:
    empty = Dataset(
        manifest=ds.manifest,
        assets=ds.assets.iloc[:0],
        opportunities=ds.opportunities.iloc[:0],
        areas=ds.areas,
    )
    layers = layers_of(make_map(empty))
    assert set(layers) == {"areas", "rings", "projects"}


# ---------------------------------------------------------------- board-ready defaults


def _legend_section(fmap: folium.Map, section: str) -> dict[str, Any]:
    legend = next(e for e in iter_elements(fmap) if getattr(e, "factory", None) == "legend")
    return next(s for s in legend.spec["sections"] if s["id"] == section)


def test_links_are_off_until_switched_on(ds: Dataset) -> None:
    off = make_map(ds, matches=MATCHES)
    assert layers_of(off)["links"].show is False
    on = make_map(ds, matches=MATCHES, links_on=True)
    assert layers_of(on)["links"].show is True
    assert "0.80 – 1.00" in [i["label"] for i in _legend_section(off, "links")["items"]]


def test_capped_links_keep_each_opportunitys_strongest() -> None:
    table = pd.DataFrame(
        {
            "opportunity_id": ["A", "A", "A", "B", "C"],
            "score": [0.99, 0.98, 0.97, 0.40, 0.30],
            "name": ["a1", "a2", "a3", "b1", "c1"],
        }
    )
    ordered = strongest_first(table)
    assert ordered["name"].tolist() == ["a1", "b1", "c1", "a2", "a3"]
    assert strongest_first(table.iloc[:0]).empty


def test_indicator_classes_are_whole_and_say_which_way() -> None:
    ds = make_dataset()  # the module's dataset is changed by other tests
    areas = ds.areas.copy()
    rank = pd.Series(np.linspace(8275, 32800, 20).round(), dtype=float)
    _, items = indicator_classes(rank, "imd_rank")
    labels = [i["label"] for i in items]
    assert labels[0] == "8,275 – 12,147 (most deprived)", labels
    assert labels[-1].endswith("(least deprived)")
    assert not any("e+" in label for label in labels)
    # a ward's mean of its neighbourhoods' deciles shows as its whole decile, nowhere as a mean
    areas["imd_decile"] = [1.9, 4.2]
    fmap = make_map(replace(ds, areas=areas), links=False)
    feats = layers_of(fmap)["areas"].spec["geojson"]["features"]
    assert sorted(f["properties"]["value"] for f in feats) == [2, 4]
    section = _legend_section(fmap, "areas")
    assert section["note"].startswith("1 = most deprived")
    legend = json.dumps(section)
    assert "mean" not in legend and "1.9" not in legend


def test_popups_show_provenance_from_settings_without_collectors(ds: Dataset) -> None:
    assets = ds.assets.copy()
    assets["collected_by"] = "Volunteer Alice"
    assets["source"] = "Asset walk 2024"
    fmap = make_map(replace(ds, assets=assets), links=False)
    values = all_field_values(fmap)
    assert any("Asset walk 2024" in v for v in values)
    assert not any("Volunteer Alice" in v for v in values)
    assert "collected_by" not in settings_module.MAP_POPUP_PROVENANCE


def test_project_popup_counts_its_opportunities_by_type(ds: Dataset) -> None:
    fields = unpack_fields(layers_of(make_map(ds, links=False))["projects"].spec)
    assert fields["Opportunities"] == ["3: 1 job, 1 contract, 1 space"]


def test_jupyter_repr_is_offline(ds: Dataset) -> None:
    shown = make_map(ds, links=False)._repr_html_()
    encoded = re.search(r'src="data:text/html;charset=utf-8;base64,([^"]+)"', shown)
    page = (
        base64.b64decode(encoded.group(1)).decode("utf-8")
        if encoded
        else html_module.unescape(shown)
    )
    assert 't.version="1.9.3"' in page
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)


# ---------------------------------------------------------------- no CDN at all


class _Fetches(HTMLParser):
    """What a page asks the network for as it loads: script, link, img, iframe, CSS urls."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += re.findall(r"""(?:url\(|@import)\s*["']?([^"')\s]+)""", data)


def _remote(page: str) -> list[str]:
    parser = _Fetches()
    parser.feed(page)
    return [u for u in parser.urls if re.match(r"(?i)^(https?:)?//", u)]


def _srcdoc(shown: str) -> str:
    return html_module.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1))


def test_default_maps_fetch_nothing_from_a_cdn(ds: Dataset) -> None:
    shares = pd.DataFrame({"origin": ["W", "E"], "destination": ["H", "H"], "share": [0.6, 0.4]})
    flows = flows_from_shares(shares, kind="patients", unit="patients", total=1000)
    places = pd.DataFrame(
        {"place": ["W", "E", "H"], "name": ["West", "East", "Hospital"],
         "lat": [52.49, 52.50, 52.4951], "lon": [-1.95, -1.93, -1.9447]}
    )  # fmt: skip
    pages = {
        "map": make_map(ds, matches=MATCHES).get_root().render(),
        "notebook": _srcdoc(make_map(ds, matches=MATCHES)._repr_html_()),
        "flows": flow_map(flows, places).get_root().render(),
    }
    for name, page in pages.items():
        assert _remote(page) == [], name
        assert 't.version="1.9.3"' in page, name  # Leaflet inlined
        for lib in ("jquery", "bootstrap", "fontawesome", "awesome-markers", "markercluster"):
            assert lib not in page.lower(), (name, lib)
    # the parser does see links: the cdn variant has exactly Leaflet's two
    cdn = make_map(ds, links=False, assets="cdn").get_root().render()
    assert sorted(_remote(cdn)) == [
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    ]
    cdn_flows = flow_map(flows, places, assets="cdn").get_root().render()
    assert len(_remote(cdn_flows)) == 2


def test_base_map_waits_for_the_network(ds: Dataset) -> None:
    fmap = make_map(ds, links=False)
    page = fmap.get_root().render()
    tiles = next(e for e in iter_elements(fmap) if isinstance(e, folium.TileLayer))
    assert tiles.show is False  # the page adds it, when online (cwbMap.basemap)
    assert f"{tiles.get_name()}.addTo(" not in page
    assert f"cwbMap.basemap({fmap.get_name()}, " in page and f"[{tiles.get_name()}]);" in page
    assert BASEMAP_OFFLINE in page
    assert "cwbMap.basemap(" not in make_map(ds, links=False, tiles="none").get_root().render()


def test_a_map_shown_in_jupyter_then_saved_is_the_same_page(ds: Dataset, tmp_path: Path) -> None:
    fmap = make_map(ds, matches=MATCHES, date="2025-01-31")
    shown = _srcdoc(fmap._repr_html_())
    saved = write_map(fmap, tmp_path / "map.html").read_text(encoding="utf-8")
    assert saved == shown
    assert saved.count("cwbMap.title(") == 1 and saved.count("cwbMap.basemap(") == 1
    again = make_map(ds, matches=MATCHES, date="2025-01-31")
    assert write_map(again, tmp_path / "again.html").read_text(encoding="utf-8") == saved


def test_a_tile_url_template_gets_its_servers_name_as_attribution(ds: Dataset) -> None:
    fmap = make_map(ds, links=False, tiles="https://{s}.tiles.example/{z}/{x}/{y}.png")
    tiles = next(e for e in iter_elements(fmap) if isinstance(e, folium.TileLayer))
    assert tiles.options["attribution"] == "Base map: a.tiles.example"
    hostile = make_map(ds, links=False, tiles="https://<b>x/{z}/{x}/{y}.png")
    tiles = next(e for e in iter_elements(hostile) if isinstance(e, folium.TileLayer))
    assert "<b>" not in tiles.options["attribution"]  # Leaflet writes attributions as HTML


def test_illustrative_contracts_are_marked_in_popups_and_legend(ds: Dataset) -> None:
    opportunities = ds.opportunities.assign(illustrative=[False, True, False])
    fmap = make_map(replace(ds, opportunities=opportunities), links=False)
    names = unpack_fields(layers_of(fmap)["opportunities"].spec)["Name"]
    assert sorted(names) == [
        "Catering <i>lot</i> [illustrative]",
        "Meeting room",
        "Registered nurse",
    ]
    html = fmap.get_root().render()
    assert "1 contract(s) marked [illustrative] are notices already awarded" in html
    # an ordinary dataset says nothing of it
    plain = make_map(ds, links=False).get_root().render()
    assert "[illustrative]" not in plain
