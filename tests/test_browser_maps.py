"""The demo's map and report in headless Chromium, offline (see tests/browser.py).

The Birmingham demo dataset gets a few extra rows before the map is built: assets
with hostile names and a hostile source URL, and residents with contact details
and exact home locations. The page must draw every layer without a console
error, show the hostile strings as text without running them, and hold no
personal field or resident location.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from browser import DEMO_LAYERS, browser, open_page, wait_drawn  # noqa: F401
from shapely.geometry import Point

from cwb.bench.maps import bench_map, to_markdown
from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.maps.compose import save_map
from cwb.pipeline import Pipeline
from cwb.privacy import aggregate_human
from cwb.synth.generate import synth_dataset

pytestmark = pytest.mark.browser

PAYLOADS = {
    "H-SCRIPT": "</script><script>window.__pwned='script'</script>",
    "H-IMG": "<img src=x onerror=\"window.__pwned='img'\">",
    "H-SVG": "<svg onload=\"window.__pwned='svg'\"></svg>",
}
HOSTILE_URL = "javascript:window.__pwned='url'"
SECRETS = ("Priya Secret", "priya.secret@example.org", "07700 900456", "Dev Hidden")
# homes of the injected residents (in Soho and Victoria ward, Smethwick)
HOMES = [(-1.96123, 52.49871), (-1.96147, 52.49893), (-1.96170, 52.49911)]

FIND_MAP = "Object.values(window).find(v => v instanceof L.Map)"
CWB_LAYERS = (
    "Object.values(window).filter("
    "v => v instanceof cwbMap.PointLayer || v instanceof cwbMap.LineLayer)"
)


def _hostile_dataset() -> Any:
    ds = read_dataset(demo_dataset_path())
    base = ds.assets.iloc[0]
    rows = []
    for i, (aid, name) in enumerate(PAYLOADS.items()):
        row = base.copy()
        row["id"], row["name"], row["kind"], row["category"] = (
            aid,
            name,
            "community",
            "voluntary_group",
        )
        row["geometry"] = Point(-1.9440 + 0.001 * i, 52.4960)
        row["precision"], row["source"], row["skills"] = "exact", HOSTILE_URL, name
        rows.append(row)
    for i, (x, y) in enumerate(HOMES):
        row = base.copy()
        row["id"], row["name"], row["kind"], row["category"] = (
            f"H-RES{i}",
            SECRETS[0],
            "human",
            "individual",
        )
        row["geometry"], row["precision"], row["count"], row["area_code"] = (
            Point(x, y),
            "exact",
            2,
            None,
        )
        row["skills"], row["contact_name"], row["contact_email"] = "welding", SECRETS[3], SECRETS[1]
        row["contact_phone"] = SECRETS[2]
        rows.append(row)
    extra = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=ds.assets.crs)
    ds.assets = pd.concat([ds.assets, extra], ignore_index=True)
    return ds


@pytest.fixture(scope="module")
def hostile() -> Pipeline:
    """The demo dataset with hostile strings and residents, as map and report share it."""
    return Pipeline(_hostile_dataset(), map_href="map.html")


@pytest.fixture(scope="module")
def demo_map(tmp_path_factory: pytest.TempPathFactory, hostile: Pipeline) -> Path:
    return hostile.write_map(tmp_path_factory.mktemp("map") / "map.html")


@pytest.fixture
def page(browser: Any, demo_map: Path) -> Any:  # noqa: F811 - the fixture imported above
    page, log = open_page(browser, demo_map)
    page.cwb_log = log
    page.evaluate(f"() => Promise.all({CWB_LAYERS}.map(l => l.ready))")
    yield page
    page.context.close()


def test_map_loads_offline_without_errors(page: Any) -> None:
    log = page.cwb_log
    assert log.errors == []
    assert log.blocked == []
    assert log.served == []  # Leaflet is inlined: the page fetches nothing but tiles


def test_every_layer_is_present_and_drawn(page: Any) -> None:
    names = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.textContent.trim())"
    )
    for prefix in (
        "Areas by IMD decile",
        "Catchment rings",
        "Physical assets",
        "Financial assets",
        "Community assets",
        "Residents' skills",
        "Opportunities",
        "Matched links",
        "Supplier spend by area",
        "Capital project",
    ):
        assert any(n.startswith(prefix) for n in names), (prefix, names)
    # spend and links start hidden: switch them on through the layer control
    page.click("text=Supplier spend by area")
    page.click("text=Matched links")
    wait_drawn(page)
    drawn = page.evaluate(
        f"() => {CWB_LAYERS}.map(l => [l.options.id, !!l._map, l.drawn, l.paintedPixels()])"
    )
    by_id = {i: (on, n, px) for i, on, n, px in drawn}
    for layer in DEMO_LAYERS:
        on, n, px = by_id[layer]
        assert on and n > 0 and px > 50, (layer, by_id[layer])
    # vector layers: an SVG path per area and per ring
    paths = page.evaluate(
        "() => document.querySelectorAll('.leaflet-overlay-pane svg path').length"
    )
    assert paths >= 14 + 4
    # the legend: a swatch per item and a checkbox per category filter
    assert page.locator(".cwb-legend-item").count() > 30
    assert page.locator(".cwb-legend-item input[type=checkbox]").count() > 20
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".cwb-fullscreen a").count() >= 1
    assert "Midland Metropolitan" in page.inner_text(".cwb-title")
    assert "Sources:" in page.inner_text(".cwb-title")


def test_category_filter_hides_points(page: Any) -> None:
    before = page.evaluate(f"() => {CWB_LAYERS}.find(l => l.options.id === 'physical').drawn")
    page.locator(".cwb-legend-item", has_text="Library").locator("input").uncheck()
    after = page.evaluate(f"() => {CWB_LAYERS}.find(l => l.options.id === 'physical').drawn")
    assert 0 < after < before


def test_hostile_names_show_as_text_and_never_run(page: Any) -> None:
    page.fill(".cwb-search input", "window.__pwned")
    page.wait_for_selector(".cwb-search-hit")
    hits = page.eval_on_selector_all(".cwb-search-hit", "els => els.map(e => e.textContent)")
    for payload in PAYLOADS.values():
        assert any(h.startswith(payload) for h in hits), (payload, hits)
    page.locator(".cwb-search-hit").first.click()
    popup = page.wait_for_selector(".leaflet-popup-content")
    text = popup.inner_text()
    assert "window.__pwned" in text and HOSTILE_URL in text
    wait_drawn(page)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert (
        page.evaluate(
            "() => document.querySelectorAll('.leaflet-popup-content img, "
            ".leaflet-popup-content svg, .leaflet-popup-content a').length"
        )
        == 0
    )


def test_popup_and_tooltip_show_name_category_skills_provenance(page: Any) -> None:
    point = page.evaluate(f"""() => {{
        const map = {FIND_MAP}, layers = {CWB_LAYERS}.filter(l => l._map && l._px);
        const layer = layers.find(l => l.options.id === 'financial');
        for (let j = 0; j < layer._m; j++) {{
            const x = layer._px[j], y = layer._py[j];
            if (x < 300 || y < 200 || x > 900 || y > 800) continue;
            const crowded = layers.some(o => {{
                for (let k = 0; k < o._m; k++) {{
                    const d = Math.hypot(o._px[k] - x, o._py[k] - y);
                    if ((o !== layer || k !== j) && d < 25) return true;
                }}
                return false;
            }});
            if (!crowded) return {{x: x, y: y, name: layer.label(layer._vis[j])}};
        }}
        return null;
    }}""")
    assert point is not None, "no isolated financial asset in view"
    page.evaluate(
        f"() => {{ {FIND_MAP}.eachLayer(l => l.getTooltip && l.getTooltip() && l.closeTooltip()); }}"  # noqa: E501
    )
    box = page.locator("#" + page.evaluate(f"() => {FIND_MAP}.getContainer().id")).bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector(".cwb-hover")
    assert page.inner_text(".cwb-hover") == point["name"]
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    text = page.wait_for_selector(".leaflet-popup-content").inner_text()
    assert point["name"] in text and "Category" in text and "Provenance" in text


def test_no_personal_field_and_no_resident_location(page: Any, demo_map: Path) -> None:
    html = demo_map.read_text(encoding="utf-8")
    seen = page.evaluate(f"""() => {{
        const out = {{coords: [], text: []}};
        for (const l of {CWB_LAYERS}) {{
            const p = l._pts, n = p.lon.length;
            for (let i = 0; i < n; i++) out.coords.push([p.lon[i] * p.q, p.lat[i] * p.q]);
            for (const f of l._fields) for (let i = 0; i < l.n; i++) out.text.push(f.get(i));
        }}
        return out;
    }}""")
    text = " ".join(seen["text"]) + html + page.content()
    for secret in SECRETS:
        assert secret not in text, secret
    for x, y in HOMES:
        near = [c for c in seen["coords"] if abs(c[0] - x) < 2e-4 and abs(c[1] - y) < 2e-4]
        assert near == [], (x, y, near)
    # the residents are counted in their ward (with everyone else there in groups of at least k)
    ds = _hostile_dataset()
    groups, _ = aggregate_human(ds.assets, ds.areas, min_count=ds.min_count)
    expected = int(groups.loc[groups["area_code"] == "E05001278", "count"].sum())
    assert int(groups.loc[groups["skills"] == "welding", "count"].sum()) == 6
    shown = page.evaluate(f"""() => {{
        const l = {CWB_LAYERS}.find(l => l.options.id === 'human');
        const f = Object.fromEntries(l._fields.map(f => [f.label, f]));
        for (let i = 0; i < l.n; i++) {{
            if (f['Area code'].get(i) === 'E05001278') return f['Residents'].get(i);
        }}
    }}""")
    assert shown == f"{expected:,}"


@pytest.fixture(scope="module")
def demo_report(demo_map: Path, hostile: Pipeline) -> Path:
    return hostile.write_report(demo_map.parent / "report.html")


def test_report_renders_offline_with_charts_and_tables(browser: Any, demo_report: Path) -> None:  # noqa: F811
    page, log = open_page(browser, demo_report)
    try:
        assert log.errors == [] and log.blocked == [] and log.served == []  # fetches nothing at all
        charts = page.evaluate(
            "() => [...document.querySelectorAll('figure.chart')].map(f => "
            "[f.dataset.chart, f.querySelectorAll('svg path').length, "
            "f.querySelector('svg').getBoundingClientRect().width])"
        )
        names = {name for name, paths, width in charts if paths > 5 and width > 100}
        assert {"assets", "map", "filled", "training", "spend_year", "leakage"} <= names, charts
        assert page.locator("table tbody tr").count() > 10
        assert page.locator(".headline .figure").count() >= 7
        page.click("text=Open the interactive map")
        page.wait_for_load_state("load")
        assert page.url.endswith("/map.html")
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
    finally:
        page.context.close()


def test_report_shows_no_personal_data(demo_report: Path) -> None:
    text = demo_report.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text
    assert "<script" not in text


def test_map_benchmark_times_drawn_maps(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """The map benchmark times both maps only once they show something, without errors."""
    synth_dataset(tmp_path / "ds", assets=3000, opportunities=100, seed=3, fmt="parquet")
    result = bench_map(
        read_dataset(tmp_path / "ds"), tmp_path / "maps", repeats=2, settle_s=0, chrome=browser
    )
    assert result["points"] > 1000
    for key in ("cwb", "fast_marker_cluster"):
        fig = result[key]
        assert fig["errors"] == [], (key, fig["errors"])
        assert fig["items_drawn"] > 0, key
        assert len(fig["drawn_runs_s"]) == 2 and fig["drawn_s"] > 0
        assert fig["html_mb"] > 0
    assert result["drawn_ratio"] == pytest.approx(
        result["cwb"]["drawn_s"] / result["fast_marker_cluster"]["drawn_s"], abs=0.01
    )
    assert "3,000" in to_markdown([{"assets": 3000, **result}])


# ---------------------------------------------------------------- places and pacts (CO-CITY)

PACT_HOSTILE = "<img src=x onerror=\"window.__pwned='pact'\">"
POINT_LAYERS = "Object.values(window).filter(v => v instanceof cwbMap.PointLayer)"


@pytest.fixture(scope="module")
def commons_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ds = read_dataset(demo_dataset_path())
    ds.pacts.loc[0, "title"] = PACT_HOSTILE
    return save_map(ds, tmp_path_factory.mktemp("map") / "map.html", links=False)


@pytest.fixture
def commons_page(browser: Any, commons_map: Path) -> Any:  # noqa: F811 - the fixture imported above
    page, log = open_page(browser, commons_map)
    page.cwb_log = log
    page.evaluate(f"() => Promise.all({POINT_LAYERS}.map(l => l.ready))")
    yield page
    page.context.close()


def _drawn(page: Any, layer: str) -> int:
    return page.evaluate(f"() => {POINT_LAYERS}.find(l => l.options.id === '{layer}').drawn")


def test_places_and_pacts_layers_are_drawn_and_filterable(commons_page: Any) -> None:
    page = commons_page
    assert page.cwb_log.errors == []
    names = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.textContent.trim())"
    )
    assert any(n.startswith("Places by use (31)") for n in names), names
    assert any(n.startswith("Pacts of collaboration (7)") for n in names), names
    wait_drawn(page)
    assert _drawn(page, "places") > 0
    pacts = _drawn(page, "pacts")
    assert pacts > 0
    legend = page.inner_text(".cwb-legend")
    for label in ("Under used", "Vacant", "Derelict", "Active", "Negotiating", "Ended"):
        assert label in legend, legend
    section = page.locator(".cwb-legend-section", has_text="Pacts of collaboration")
    section.locator(".cwb-legend-item", has_text="Active").locator("input").uncheck()
    assert _drawn(page, "pacts") == pacts - 2
    places = _drawn(page, "places")
    section = page.locator(".cwb-legend-section", has_text="Places by use")
    section.locator(".cwb-legend-item", has_text="Vacant").locator("input").uncheck()
    assert 0 < _drawn(page, "places") < places


def test_pact_popup_shows_text_and_never_runs_it(commons_page: Any) -> None:
    page = commons_page
    page.fill(".cwb-search input", "window.__pwned")
    page.wait_for_selector(".cwb-search-hit")
    page.locator(".cwb-search-hit").first.click()
    text = page.wait_for_selector(".leaflet-popup-content").inner_text()
    assert PACT_HOSTILE in text and "Partners" in text and "Insured by" in text
    wait_drawn(page)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    images = "() => document.querySelectorAll('.leaflet-popup-content img').length"
    assert page.evaluate(images) == 0
