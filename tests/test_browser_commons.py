"""Places and pacts on the demo map, in headless Chromium offline (see tests/browser.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import browser, open_page, wait_drawn  # noqa: F401

from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.maps.compose import save_map

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"window.__pwned='pact'\">"
CWB_LAYERS = "Object.values(window).filter(v => v instanceof cwbMap.PointLayer)"


@pytest.fixture(scope="module")
def commons_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ds = read_dataset(demo_dataset_path())
    ds.pacts.loc[0, "title"] = HOSTILE
    return save_map(ds, tmp_path_factory.mktemp("map") / "map.html", links=False)


@pytest.fixture
def page(browser: Any, commons_map: Path) -> Any:  # noqa: F811 - the fixture imported above
    page, log = open_page(browser, commons_map)
    page.cwb_log = log
    page.evaluate(f"() => Promise.all({CWB_LAYERS}.map(l => l.ready))")
    yield page
    page.context.close()


def _drawn(page: Any, layer: str) -> int:
    return page.evaluate(f"() => {CWB_LAYERS}.find(l => l.options.id === '{layer}').drawn")


def test_places_and_pacts_layers_are_drawn_and_filterable(page: Any) -> None:
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


def test_pact_popup_shows_text_and_never_runs_it(page: Any) -> None:
    page.fill(".cwb-search input", "window.__pwned")
    page.wait_for_selector(".cwb-search-hit")
    page.locator(".cwb-search-hit").first.click()
    text = page.wait_for_selector(".leaflet-popup-content").inner_text()
    assert HOSTILE in text and "Partners" in text and "Insured by" in text
    wait_drawn(page)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    images = "() => document.querySelectorAll('.leaflet-popup-content img').length"
    assert page.evaluate(images) == 0
