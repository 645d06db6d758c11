"""The flow layer in headless Chromium, offline: Census flows of England and Wales, and the demo.

The 5,894 local-authority commuting flows (Census 2021) and two patient flows
(a trust's admissions given as shares, one place name hostile) are drawn on
one map: no console error, the largest flows drawn, the filters by kind and
by number working, popups with the figures, hostile names shown as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browser import browser, open_page, wait_drawn  # noqa: F401
from realdata_paths import census_flows

from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.flows.atlas import flow_atlas, with_flows
from cwb.flows.census import flows_from_shares, read_census_flows
from cwb.maps.compose import save_map
from cwb.maps.flows import flow_map
from cwb.matching.core import match_dataset
from cwb.spend.analysis import analyse_spend

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"window.__pwned='flow'\">"
LAYER = "Object.values(window).find(v => v instanceof cwbMap.FlowLayer)"


def _flows() -> pd.DataFrame:
    census = read_census_flows(census_flows())
    shares = pd.DataFrame(
        {
            "origin": ["E08000028", "E08000025"],
            "destination": ["mmuh", "mmuh"],
            "share": [0.57, 0.43],
            "destination_name": [HOSTILE, HOSTILE],
            "destination_lat": [52.4951, 52.4951],
            "destination_lon": [-1.9447, -1.9447],
        }
    )
    patients = flows_from_shares(shares, kind="patients", unit="patients", total=10_000)
    return pd.concat([census, patients], ignore_index=True)


@pytest.fixture(scope="module")
def flows_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flows") / "flows.html"
    flow_map(_flows(), tiles="OpenStreetMap", title="Commuting and patients").save(str(path))
    return path


@pytest.fixture
def page(browser: Any, flows_html: Path) -> Any:  # noqa: F811
    page, log = open_page(browser, flows_html)
    page.cwb_log = log
    yield page
    page.context.close()


def _state(page: Any) -> dict[str, Any]:
    return page.evaluate(
        f"() => {{ const l = {LAYER}; return {{n: l.n, shown: l.shown, selected: l.selected, "
        "drawn: l.drawn, first: l._vis[0], pixels: l.paintedPixels(), "
        "kinds: Array.from(new Set(l._vis.map(i => l._k[i]))).map(k => l.kinds[k].key)}; }"
    )


def test_census_flows_draw_offline_without_errors(page: Any) -> None:
    log = page.cwb_log
    assert log.errors == [] and log.blocked == []
    state = _state(page)
    assert state["n"] == 5894 + 2
    assert state["selected"] == 5896
    # the top 5,000 flows by default, largest first; internal flows are circles, not lines
    assert state["shown"] == 5000
    assert state["drawn"] > 5000 and state["pixels"] > 20_000
    largest = page.evaluate(
        f"() => {{ const l = {LAYER}; let m = 0; for (let i = 0; i < l.n; i++) "
        "{ if (l._o[i] !== l._d[i] && l._mag[i] > m) m = l._mag[i]; } "
        "return [m, l._mag[l._vis[0]]]; }"
    )
    assert largest[0] == largest[1]
    assert "5,000 of 5,896 flows drawn" in page.inner_text(".cwb-flow-status")


def test_filter_by_kind_and_number(page: Any) -> None:
    page.locator(".cwb-flow-kind[value=commuting]").uncheck()
    wait_drawn(page)
    state = _state(page)
    assert state["kinds"] == ["patients"] and state["shown"] == 2 and state["selected"] == 2
    page.locator(".cwb-flow-kind[value=commuting]").check()
    page.locator(".cwb-flow-kind[value=patients]").uncheck()
    page.select_option(".cwb-flow-top", "100")
    wait_drawn(page)
    state = _state(page)
    assert state["kinds"] == ["commuting"] and state["shown"] == 100
    page.select_option(".cwb-flow-top", "5896")
    wait_drawn(page)
    assert _state(page)["shown"] > 5000


def test_popups_give_the_figures_and_names_stay_text(page: Any) -> None:
    texts = page.evaluate(
        f"() => {{ const l = {LAYER}; const out = []; "
        "for (let i = 0; i < l.n; i++) { const o = l._pname(l._o[i]), d = l._pname(l._d[i]); "
        "if ((o === 'Sandwell' && d === 'Birmingham') || l.kinds[l._k[i]].key === 'patients') "
        "out.push(l.describe(i).textContent); } "
        "const b = l.pn; let j = 0; for (; j < b; j++) if (l._pname(j) === 'Birmingham') break; "
        "out.push(l.describe(l.n + j).textContent); return out; }"
    )
    assert any("Sandwell → Birmingham" in t and "22,812 people" in t for t in texts)
    assert any("5,700 patients" in t and "57.0 %" in t for t in texts)
    assert any("Internal355,566" in t.replace(" people", "") for t in texts)
    # open a real popup on the hospital's circle and check the hostile name is only text
    point = page.evaluate(
        f"() => {{ const l = {LAYER}; const m = l._map; let j = 0; "
        "for (; j < l.pn; j++) if (l._pname(j).indexOf('<img') === 0) break; "
        "m.setView(l.placeLatLng(j), 12, {animate: false}); "
        "const p = m.latLngToContainerPoint(l.placeLatLng(j)); return [p.x, p.y]; }"
    )
    wait_drawn(page)
    page.mouse.click(point[0], point[1])
    page.wait_for_selector(".leaflet-popup-content .cwb-card")
    assert HOSTILE in page.inner_text(".leaflet-popup-content")
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert page.cwb_log.errors == []


def test_demo_map_draws_spend_and_resident_flows(browser: Any, tmp_path: Path) -> None:  # noqa: F811

    ds = read_dataset(demo_dataset_path())
    result = match_dataset(ds)
    atlas = flow_atlas(ds, match_result=result, spend_analysis=analyse_spend(ds))
    html = save_map(with_flows(ds, atlas.flows), tmp_path / "map.html", matches=result.matches)
    page, log = open_page(browser, html)
    try:
        page.locator(
            ".leaflet-control-layers-overlays label", has_text="Flows between places"
        ).locator("input").check()
        wait_drawn(page)
        state = _state(page)
        assert log.errors == []
        assert {"spend", "matched_residents"} <= set(state["kinds"])
        assert state["pixels"] > 500
    finally:
        page.context.close()
