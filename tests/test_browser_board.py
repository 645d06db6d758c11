"""The map a coordinator emails, and the map a board sees, in headless Chromium.

- The emailed map: the default map (default tiles), its HTML file alone copied to an
  empty folder, opened in an offline browser (``navigator.onLine`` false) whose every
  http(s) request is also aborted, draws every layer (all switched on) with zero
  console errors and zero requests: offline the page does not add the base map and
  says so in a small note. Online with an unreachable tile server, one probe tile
  fails and the note says so; back online, the base map appears.
- The board map: at 1280×800 and in a 900 px notebook cell (900×540, folium's
  60% aspect, as a window and as the iframe Jupyter shows), the title, legend, layer
  control, zoom, search, scale, attribution and base-map note never overlap each
  other, and an open popup (the project's) is inside the map and overlaps no visible
  control. Screenshots are saved under ``tests/output/screenshots/`` (gitignored; CI
  keeps them as an artefact).
- The template's example rows (left out) are named in the title panel.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from browser import DEMO_LAYERS, browser, wait_drawn  # noqa: F401
from test_first_hour import EXAMPLES_NOTE, fresh  # noqa: F401 - the fixture

import cwb
from cwb.bench.maps import png_1px
from cwb.demo import demo_dataset_path
from cwb.maps.elements import BASEMAP_FAILED, BASEMAP_OFFLINE, NO_LEAFLET_MESSAGE
from cwb.pipeline import Pipeline

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "output" / "screenshots"
TILE = re.compile(r"^https://[a-z.]*(tile\.openstreetmap\.org|basemaps\.cartocdn\.com)/")
MAP = "Object.values(window).find(v => v instanceof L.Map)"
#: Whether the page has a tile layer on its map (the base map).
TILES_ON = (
    "() => { const t = Object.values(window).find(v => v instanceof L.TileLayer);"
    " return !!t && Object.values(window).find(v => v instanceof L.Map).hasLayer(t); }"
)
CWB_LAYERS = (
    "Object.values(window).filter("
    "v => v instanceof cwbMap.PointLayer || v instanceof cwbMap.LineLayer)"
)
CONTROLS = {
    "title": ".cwb-title",
    "legend": ".cwb-legend",
    "layers": ".leaflet-control-layers",
    "zoom": ".leaflet-control-zoom",
    "search": ".cwb-search",
    "fullscreen": ".cwb-fullscreen",
    "scale": ".leaflet-control-scale",
    "attribution": ".leaflet-control-attribution",
    "basemap": ".cwb-basemap-note",
}


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.open(demo_dataset_path())


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory, pipeline: Pipeline) -> dict[str, Path]:
    """The demo's default map and one without tiles, each alone in an empty folder."""
    made = tmp_path_factory.mktemp("made")
    out = {}
    default = pipeline.write_map(made / "map.html")
    no_tiles = Pipeline.open(demo_dataset_path(), map_options={"tiles": "none"})
    plain = no_tiles.write_map(made / "plain.html")
    for name, path in (("default", default), ("no_tiles", plain)):
        folder = tmp_path_factory.mktemp(f"email_{name}")  # the attachment, saved alone
        out[name] = Path(shutil.copy(path, folder / "map.html"))
        assert [p.name for p in folder.iterdir()] == ["map.html"]
    return out


def _open_offline(
    browser: Any,  # noqa: F811
    html: Path,
    width: int,
    height: int,
    *,
    offline: bool = True,
) -> tuple[Any, dict]:
    """Open ``html`` offline with every http(s) request aborted; the page and what it logged.

    ``offline=False`` leaves the browser online (``navigator.onLine`` true) with the
    requests still aborted: a network that cannot reach the tile server.
    """
    log: dict[str, list[str]] = {"console": [], "page": [], "aborted": []}
    context = browser.new_context(viewport={"width": width, "height": height}, offline=offline)

    def abort(route: Any) -> None:
        log["aborted"].append(route.request.url)
        route.abort()

    context.route(re.compile(r"^https?://"), abort)
    page = context.new_page()
    page.on("console", lambda m: log["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["page"].append(str(e)))
    page.goto(html.resolve().as_uri(), wait_until="load")
    # a page holding the map in an iframe (the notebook) has no cwbMap of its own
    page.evaluate(f"() => window.cwbMap && Promise.all({CWB_LAYERS}.map(l => l.ready))")
    wait_drawn(page)
    return page, log


def _switch_everything_on(page: Any) -> None:
    page.evaluate(
        "() => document.querySelectorAll('.leaflet-control-layers-overlays input')"
        ".forEach(i => { if (!i.checked) i.click(); })"
    )
    wait_drawn(page)


def _drawn(page: Any) -> dict[str, list[Any]]:
    drawn = page.evaluate(f"() => {CWB_LAYERS}.map(l => [l.options.id, !!l._map, l.drawn])")
    return {i: [on, n] for i, on, n in drawn}


@pytest.mark.parametrize("name", ["no_tiles", "default"])
def test_the_emailed_map_opens_with_no_network(
    browser: Any,  # noqa: F811
    maps: dict[str, Path],
    name: str,
) -> None:
    page, log = _open_offline(browser, maps[name], 1280, 800)
    try:
        assert page.evaluate("() => navigator.onLine") is False
        _switch_everything_on(page)
        assert log == {"console": [], "page": [], "aborted": []}  # not one request, not one error
        assert page.locator(".cwb-no-map").count() == 0
        note = page.locator(".cwb-basemap-note")
        if name == "default":
            assert note.inner_text() == BASEMAP_OFFLINE and note.is_visible()
        else:
            assert note.count() == 0  # no base map was asked for: nothing to explain
        assert page.evaluate(TILES_ON) is False
        drawn = _drawn(page)
        for layer in DEMO_LAYERS:
            on, n = drawn[layer]
            assert on and n > 0, (layer, drawn[layer])
        # vector layers: area and ring outlines are SVG paths
        paths = page.evaluate(
            "() => document.querySelectorAll('.leaflet-overlay-pane svg path').length"
        )
        assert paths >= 14 + 4
        assert page.title().startswith("Birmingham and Sandwell")
    finally:
        page.context.close()


def test_an_unreachable_tile_server_costs_one_request(
    browser: Any,  # noqa: F811
    maps: dict[str, Path],
) -> None:
    page, log = _open_offline(browser, maps["default"], 1280, 800, offline=False)
    try:
        page.wait_for_selector(".cwb-basemap-note")
        assert page.inner_text(".cwb-basemap-note") == BASEMAP_FAILED
        assert len(log["aborted"]) == 1 and TILE.match(log["aborted"][0]), log  # the probe tile
        assert len(log["console"]) <= 1 and log["page"] == [], log
        assert all(m.startswith("Failed to load resource") for m in log["console"])
        assert page.evaluate(TILES_ON) is False
        assert all(n > 0 for on, n in _drawn(page).values() if on)
    finally:
        page.context.close()


def test_the_base_map_comes_when_the_browser_is_back_online(
    browser: Any,  # noqa: F811
    maps: dict[str, Path],
) -> None:
    page, log = _open_offline(browser, maps["default"], 1280, 800)
    context = page.context
    try:
        assert page.locator(".cwb-basemap-note").is_visible()
        context.unroute(re.compile(r"^https?://"))
        tile = png_1px((200, 220, 200))
        context.route(TILE, lambda route: route.fulfill(body=tile, content_type="image/png"))
        context.set_offline(False)
        page.wait_for_selector(".leaflet-tile-loaded")
        assert page.evaluate(TILES_ON) is True
        assert page.locator(".cwb-basemap-note").count() == 0
        assert log["console"] == [] and log["page"] == []
    finally:
        context.close()


def test_without_the_map_library_the_page_says_so(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    html = Pipeline.open(demo_dataset_path(), map_options={"assets": "cdn", "tiles": "none"})
    path = html.write_map(tmp_path / "cdn.html")
    log: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route(re.compile(r"^https?://"), lambda route: route.abort())
    page = context.new_page()
    page.on("pageerror", lambda e: log.append(str(e)))
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        message = page.locator(".cwb-no-map")
        assert message.is_visible()
        assert message.inner_text() == NO_LEAFLET_MESSAGE
    finally:
        context.close()


def _boxes(page: Any) -> dict[str, dict[str, float]]:
    """Bounding boxes of the visible controls, by name."""
    out = {}
    for name, selector in CONTROLS.items():
        box = page.evaluate(
            """(sel) => { const e = document.querySelector(sel);
                if (!e || e.offsetParent === null) return null;
                if (getComputedStyle(e).visibility === 'hidden') return null;
                const r = e.getBoundingClientRect();
                return {x: r.left, y: r.top, w: r.width, h: r.height}; }""",
            selector,
        )
        if box and box["w"] > 0 and box["h"] > 0:
            out[name] = box
    return out


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def _inside(a: dict[str, float], width: int, height: int) -> bool:
    return a["x"] >= 0 and a["y"] >= 0 and a["x"] + a["w"] <= width and a["y"] + a["h"] <= height


def _check_controls(frame: Any, width: int, height: int) -> dict[str, dict[str, float]]:
    """Every control (and the offline base-map note) is inside the map and overlaps no other."""
    boxes = _boxes(frame)
    for name in ("title", "legend", "layers", "zoom", "search", "scale", "attribution", "basemap"):
        assert name in boxes, (name, boxes)
        assert _inside(boxes[name], width, height), (name, boxes[name])
    names = sorted(boxes)
    clashes = [
        (a, b) for i, a in enumerate(names) for b in names[i + 1 :] if _overlap(boxes[a], boxes[b])
    ]
    assert clashes == [], boxes
    return boxes


def _unfold_legend(frame: Any, width: int, height: int) -> None:
    """The legend unfolds (on a narrow map it starts folded) and still overlaps nothing."""
    if frame.locator(".cwb-legend.cwb-folded").count():
        assert width < 1000
        frame.click(".cwb-legend-head")
    assert frame.locator(".cwb-legend .cwb-legend-item").first.is_visible()
    boxes = _check_controls(frame, width, height)
    assert boxes["legend"]["h"] > 100, boxes["legend"]


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (900, 540)])
def test_controls_and_popups_never_overlap(
    browser: Any,  # noqa: F811
    maps: dict[str, Path],
    width: int,
    height: int,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, _ = _open_offline(browser, maps["default"], width, height)
    try:
        _check_controls(page, width, height)
        page.screenshot(path=str(SCREENSHOTS / f"map_{width}x{height}.png"))
        _unfold_legend(page, width, height)
        page.screenshot(path=str(SCREENSHOTS / f"map_{width}x{height}_legend.png"))
        # click the project: its popup (grouped by type) opens clear of every control
        point = page.evaluate(
            f"""() => {{ const m = {MAP};
                const p = {CWB_LAYERS}.find(l => l.options.id === 'projects');
                const c = m.latLngToContainerPoint(p.latLngOf(0));
                const r = m.getContainer().getBoundingClientRect();
                return [c.x + r.left, c.y + r.top]; }}"""
        )
        page.mouse.click(point[0], point[1])
        page.wait_for_selector(".leaflet-popup")
        page.wait_for_timeout(600)  # the pan into view and the controls stepping aside
        popup = page.evaluate(
            """() => { const r = document.querySelector('.leaflet-popup').getBoundingClientRect();
                return {x: r.left, y: r.top, w: r.width, h: r.height}; }"""
        )
        found = page.locator(".leaflet-popup-close-button").bounding_box()
        close = {"x": found["x"], "y": found["y"], "w": found["width"], "h": found["height"]}
        assert _inside(popup, width, height), popup
        assert _inside(close, width, height), close
        visible = _boxes(page)
        assert [n for n, b in visible.items() if _overlap(popup, b)] == [], (popup, visible)
        text = page.inner_text(".leaflet-popup-content")
        assert "Midland Metropolitan University Hospital" in text
        assert re.search(r"Opportunities\s+\d+: \d+ jobs", text), text
        groups = page.locator(".cwb-popup-group summary").all_inner_texts()
        assert any(re.fullmatch(r"Job \(\d+\)", g) for g in groups), groups
        page.screenshot(path=str(SCREENSHOTS / f"map_{width}x{height}_popup.png"))
        # closing the popup brings every control back
        page.click(".leaflet-popup-close-button")
        assert set(_boxes(page)) >= {"title", "legend", "layers", "zoom"}
    finally:
        page.context.close()


def test_link_tooltip_and_popup_share_one_score_scale(browser: Any, maps: dict[str, Path]) -> None:  # noqa: F811
    page, _ = _open_offline(browser, maps["no_tiles"], 1280, 800)
    try:
        assert not page.evaluate(f"() => {CWB_LAYERS}.find(l => l.options.id === 'links')._map")
        page.click("text=Matched links")
        wait_drawn(page)
        shown = page.evaluate(
            f"""() => {{ const l = {CWB_LAYERS}.find(l => l.options.id === 'links');
                const i = l._vis[0];
                return [l.label(i), l.describe(i).textContent, l._score[i]]; }}"""
        )
        label, card, percent = shown
        value = f"{percent / 100:.2f}"
        assert label.endswith(f"(score {value})"), label
        assert f"Score (0–1){value}" in card, card
    finally:
        page.context.close()


def test_the_notebook_cell_draws_offline_and_its_controls_never_overlap(
    browser: Any,  # noqa: F811
    pipeline: Pipeline,
    tmp_path: Path,
) -> None:
    """What Jupyter shows: ``_repr_html_`` of the returned map, in a 900 px output column."""
    ds = pipeline.dataset
    shown = cwb.make_map(ds, matches=pipeline.matches, spend=pipeline.spend)._repr_html_()
    notebook = tmp_path / "notebook.html"
    notebook.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>notebook</title></head>"
        "<body style='margin:0;background:#eee'>"
        "<div id='column' style='width:900px;margin:20px auto;background:#fff'>"
        "<div class='output_area'>" + shown + "</div></div></body></html>",
        encoding="utf-8",
    )
    page, log = _open_offline(browser, notebook, 1280, 800)
    try:
        frame = next(f for f in page.frames if f is not page.main_frame)
        frame.wait_for_function(f"() => window.cwbMap && {CWB_LAYERS}.length > 0")
        frame.evaluate(f"() => Promise.all({CWB_LAYERS}.map(l => l.ready))")
        wait_drawn(frame)
        box = page.locator("iframe").bounding_box()
        assert (round(box["width"]), round(box["height"])) == (900, 540), box
        # the map covers folium's "Make this Notebook Trusted" line: the iframe is on top
        span = page.locator("text=Make this Notebook Trusted").bounding_box()
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).tagName",
            [span["x"] + 5, span["y"] + span["height"] / 2],
        )
        assert on_top == "IFRAME"
        assert frame.evaluate(f"() => {MAP}.getSize().x") == 900
        drawn = {i: n for i, on, n in frame.evaluate(
            f"() => {CWB_LAYERS}.map(l => [l.options.id, !!l._map, l.drawn])"
        ) if on}  # fmt: skip
        for layer in ("physical", "financial", "community", "projects"):
            assert drawn.get(layer, 0) > 0, drawn
        assert frame.inner_text(".cwb-basemap-note") == BASEMAP_OFFLINE
        _check_controls(frame, 900, 540)
        page.screenshot(path=str(SCREENSHOTS / "notebook_900.png"))
        _unfold_legend(frame, 900, 540)
        page.screenshot(path=str(SCREENSHOTS / "notebook_900_legend.png"))
        assert log == {"console": [], "page": [], "aborted": []}
    finally:
        page.context.close()


def test_example_rows_are_named_in_the_title_panel(
    browser: Any,  # noqa: F811
    fresh: Path,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    path = Pipeline.open(fresh).write_map(tmp_path / "map.html")
    page, log = _open_offline(browser, path, 1280, 800)
    try:
        warning = page.locator(".cwb-title .cwb-title-warning")
        assert warning.is_visible()
        assert warning.inner_text() == EXAMPLES_NOTE
        assert page.locator(".cwb-title-warning b").count() == 0  # text, not markup
        _check_controls(page, 1280, 800)
        assert log == {"console": [], "page": [], "aborted": []}
    finally:
        page.context.close()


def test_a_tile_template_with_keys_of_its_own_still_loads(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``{-y}`` (TMS rows) cannot be probed from the template: the layer is added as is."""
    options = {"tiles": "https://tiles.example/{z}/{x}/{-y}.png", "links": False}
    path = Pipeline.open(demo_dataset_path(), map_options=options).write_map(tmp_path / "m.html")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    asked: list[str] = []
    tile = png_1px((200, 220, 200))

    def serve(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(body=tile, content_type="image/png")

    context.route(re.compile(r"^https?://"), serve)
    page = context.new_page()
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_selector(".leaflet-tile-loaded")
        assert page.evaluate(TILES_ON) is True
        assert asked and all(u.startswith("https://tiles.example/") for u in asked)
        assert page.locator(".cwb-basemap-note").count() == 0
    finally:
        context.close()
