"""Hostile names in the map and the report, in headless Chromium (issue 11, item 5).

The mini dataset gets an ``areas`` column named like markup (drawn as the area
layer's indicator, so its name reaches the layer control and the legend), a hostile
dataset and project name (the report's title), and hostile asset names, categories
and skills (put in after validation, which would
refuse such categories: the outputs must stay safe on their own). The page is
opened offline; the layer control, the legend and a popup are opened; nothing
injected may exist and ``window.__pwned`` must stay undefined.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser import browser, open_page, wait_drawn  # noqa: F401

from cwb.dataset.io import read_dataset
from cwb.maps.compose import save_map
from cwb.pipeline import Pipeline

pytestmark = pytest.mark.browser

COLUMN = "<img src=x onerror=window.__pwned=1>"
NAME = "<img src=x onerror=\"window.__pwned='name'\">"
CATEGORY = "<svg onload=\"window.__pwned='category'\"></svg>"
SKILL = "</script><script>window.__pwned='skill'</script>"
TITLE = "<img src=x onerror=\"window.__pwned='title'\">"
PROJECT = "<b onmouseover=\"window.__pwned='project'\">Hospital</b>"


def _injected(page: Any) -> list[str]:
    """Elements a payload would create if parsed as HTML (img src=x, on* handlers, scripts)."""
    return page.evaluate(
        """() => [...document.querySelectorAll("img, svg, script")]
            .filter(e => e.getAttribute('src') === 'x' || e.hasAttribute('onload')
                || e.hasAttribute('onerror')
                || (e.tagName === 'SCRIPT'
                    && e.textContent.trim().startsWith('window.__pwned')))
            .map(e => e.outerHTML.slice(0, 120))"""
    )


@pytest.fixture(scope="module")
def hostile(mini_path_module: Path) -> Pipeline:
    ds = read_dataset(mini_path_module)
    areas = ds.areas.assign(**{COLUMN: np.arange(1, len(ds.areas) + 1, dtype=float)})
    assets = ds.assets.copy()
    physical = assets.index[assets["kind"] == "physical"]
    assets.loc[physical[0], "name"] = NAME
    assets.loc[physical, "category"] = CATEGORY
    assets.loc[physical, "skills"] = SKILL
    manifest = replace(
        ds.manifest,
        name=TITLE,
        projects=[replace(p, name=PROJECT) for p in ds.manifest.projects],
    )
    return Pipeline(replace(ds, assets=assets, areas=areas, manifest=manifest), map_href="map.html")


@pytest.fixture(scope="module")
def mini_path_module() -> Path:
    return Path(__file__).parent / "data" / "mini"


@pytest.fixture(scope="module")
def hostile_map(tmp_path_factory: pytest.TempPathFactory, hostile: Pipeline) -> Path:
    return save_map(
        hostile.dataset, tmp_path_factory.mktemp("hostile") / "map.html", indicator=COLUMN
    )


def test_hostile_column_name_and_values_are_inert_in_the_map(
    browser: Any,  # noqa: F811 - the fixture imported above
    hostile_map: Path,
) -> None:
    html = hostile_map.read_text(encoding="utf-8")
    assert COLUMN not in html and NAME not in html and CATEGORY not in html
    page, log = open_page(browser, hostile_map)
    try:
        # the layer control: expand it and switch every overlay on and off again
        page.hover(".leaflet-control-layers")
        labels = page.locator(".leaflet-control-layers-overlays label")
        texts = labels.all_inner_texts()
        # the column name, shown as text (its underscores as spaces, as every column's are)
        shown = COLUMN.split("_")[0]
        assert any(shown in t for t in texts), texts
        for i in range(labels.count()):
            labels.nth(i).locator("input").click()
            labels.nth(i).locator("input").click()
        wait_drawn(page)
        # the legend names the hostile column and category as text
        legend = page.inner_text(".cwb-legend")
        assert shown in legend and CATEGORY.split("_")[0] in legend, legend
        # a popup of the asset with the hostile name
        page.fill(".cwb-search input", "__pwned='name'")
        page.wait_for_selector(".cwb-search-hit")
        page.locator(".cwb-search-hit").first.click()
        popup = page.wait_for_selector(".leaflet-popup-content").inner_text()
        assert NAME.split("_")[0] in popup and CATEGORY.split("_")[0] in popup, popup
        wait_drawn(page)
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert _injected(page) == []
        assert log.page_errors == []
    finally:
        page.context.close()


def test_hostile_column_name_and_values_are_inert_in_the_report(
    browser: Any,  # noqa: F811 - the fixture imported above
    hostile: Pipeline,
    hostile_map: Path,
) -> None:
    report = hostile.write_report(hostile_map.parent / "report.html")
    html = report.read_text(encoding="utf-8")
    for payload in (NAME, CATEGORY, COLUMN, TITLE, PROJECT):
        assert payload not in html
    page, log = open_page(browser, report)
    try:
        for details in page.locator("details").all():  # open every folded section
            details.evaluate("d => { d.open = true; }")
        wait_drawn(page)
        text = page.inner_text("body")
        assert TITLE.split("_")[0] in text and PROJECT in text, text[:300]
        assert page.locator("b[onmouseover]").count() == 0
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert _injected(page) == []
        assert log.page_errors == []
    finally:
        page.context.close()
