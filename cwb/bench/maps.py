"""Map benchmark: HTML size, build+save time and time-to-drawn, beside FastMarkerCluster.

For a dataset, :func:`bench_map` builds and saves the cwb map and a plain
Folium map with ``FastMarkerCluster`` on the same points (the located public
assets the cwb map draws), then opens both in headless Chromium, offline, and
reports the seconds from navigation start until the page has loaded and painted
two animation frames. The offline serving (CDN files from a local npm folder,
1×1 tiles, everything else blocked) is shared with the browser tests.

Chromium (``/usr/bin/chromium``) and Playwright are needed for the drawn times
only; without them those figures are ``None``.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import shapely
from folium.plugins import FastMarkerCluster

from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.errors import MissingDependencyError
from cwb.maps.compose import make_map
from cwb.maps.elements import local_asset_path
from cwb.synth.generate import synth_dataset

if TYPE_CHECKING:
    import folium
    from playwright.sync_api import Browser, BrowserContext, Page, Route


log = logging.getLogger(__name__)

CHROMIUM = Path(os.environ.get("CWB_CHROMIUM", "/usr/bin/chromium"))
#: npm folder holding the web assets (``tests/webassets/node_modules`` in a source checkout).
WEBASSETS = Path(
    os.environ.get(
        "CWB_WEBASSETS",
        Path(__file__).resolve().parents[2] / "tests" / "webassets" / "node_modules",
    )
)
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Stylesheets folium links that have no npm source: answered with an empty stylesheet.
EMPTY_CSS = (
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
)
_TILE = re.compile(r"^https?://([a-z0-9-]+\.)*(tile\.openstreetmap\.org|basemaps\.cartocdn\.com)/")
_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".map": "application/json",
}


def png_1px(rgb: tuple[int, int, int]) -> bytes:
    """A 1×1 PNG of one colour (the answer to tile requests)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, *rgb])))
        + chunk(b"IEND", b"")
    )


_TILE_PNG = png_1px((236, 236, 232))


def local_file(url: str, webassets: Path = WEBASSETS) -> Path | None:
    """The file in the npm folder that answers a CDN URL, if any."""
    rel = local_asset_path(url.split("?")[0].split("#")[0])
    if rel is None:
        return None
    path = webassets / rel
    if not path.is_file() and ".min." in path.name:  # jsDelivr minifies on the fly
        path = path.with_name(path.name.replace(".min.", "."))
    return path if path.is_file() else None


@dataclass
class PageLog:
    """What happened while a page loaded."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions together."""
        return self.console_errors + self.page_errors


def offline_context(
    browser: Browser,
    log: PageLog,
    *,
    webassets: Path = WEBASSETS,
    width: int = 1280,
    height: int = 860,
) -> BrowserContext:
    """A Playwright browser context that serves CDN files locally and blocks everything else."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1
    )
    cache: dict[Path, bytes] = {}

    def handle(route: Route) -> None:
        url = route.request.url
        if url in EMPTY_CSS:
            route.fulfill(status=200, body="", content_type="text/css")
            return
        if _TILE.match(url):
            route.fulfill(status=200, body=_TILE_PNG, content_type="image/png")
            return
        path = local_file(url, webassets)
        if path is None:
            log.blocked.append(url)
            route.abort()
            return
        log.served.append(url)
        if path not in cache:
            cache[path] = path.read_bytes()
        route.fulfill(
            status=200,
            body=cache[path],
            content_type=_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"Access-Control-Allow-Origin": "*"},
        )

    context.route(re.compile(r"^https?://"), handle)
    return context


def open_page(
    browser: Browser, html: Path, *, timeout_ms: int = 120_000, webassets: Path = WEBASSETS
) -> tuple[Page, PageLog]:
    """Open a local HTML file offline and wait until it has drawn; the page and what happened."""
    log = PageLog()
    context = offline_context(browser, log, webassets=webassets)
    page = context.new_page()
    page.on(
        "console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None
    )
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.goto(Path(html).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
    wait_drawn(page)
    return page, log


def wait_drawn(page: Page) -> float:
    """Wait for two animation frames after load; seconds since navigation start."""
    return (
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame("
            "() => requestAnimationFrame(() => r(performance.now()))))"
        )
        / 1000.0
    )


@contextmanager
def chromium(executable: Path = CHROMIUM) -> Iterator[Browser]:
    """A headless Chromium driven by Playwright (raises MissingDependencyError when absent)."""
    if not executable.exists():
        raise MissingDependencyError(f"{executable} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise MissingDependencyError.for_extra(
            "bench", "timing maps in a browser (playwright)"
        ) from exc
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ---------------------------------------------------------------- the benchmark


def public_points(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """lat, lon of the located public (non-human) assets: the points both maps draw."""
    assets = ds.assets[ds.assets["kind"] != "human"]
    geom = assets.geometry
    geom = geom[geom.notna() & ~geom.is_empty].to_numpy()
    return shapely.get_y(geom), shapely.get_x(geom)


def fast_marker_cluster_map(lat: np.ndarray, lon: np.ndarray) -> folium.Map:
    """The folium baseline: one ``FastMarkerCluster`` of the points (no base map)."""
    fmap = folium.Map(
        location=[float(np.mean(lat)), float(np.mean(lon))],
        zoom_start=11,
        max_zoom=19,
        tiles=None,
        maxZoom=19,  # the map needs it without tiles
    )
    FastMarkerCluster(np.column_stack([lat, lon]).tolist()).add_to(fmap)
    return fmap


def _timed_save(build: Callable[[], folium.Map], path: Path) -> dict[str, float]:
    start = time.perf_counter()
    fmap = build()
    built = time.perf_counter()
    fmap.save(str(path))
    done = time.perf_counter()
    return {
        "build_s": round(built - start, 3),
        "save_s": round(done - built, 3),
        "html_mb": round(path.stat().st_size / 1e6, 2),
    }


_PAGES = (("cwb", "cwb_map.html"), ("fast_marker_cluster", "fmc_map.html"))
#: What each page shows once drawn: points or clusters on the cwb canvas, cluster and marker icons.
_ITEMS_DRAWN = {
    "cwb": "() => { const m = Object.values(window).find(v => v instanceof L.Map); "
    "return m._cwb.layers.filter(l => l._map).reduce((n, l) => n + l.drawn, 0); }",
    "fast_marker_cluster": "() => document.querySelectorAll("
    "'.marker-cluster, .leaflet-marker-icon').length",
}


def bench_map(
    ds: Dataset,
    out_dir: Path,
    *,
    browser: bool = True,
    baseline: bool = True,
    repeats: int = 5,
    settle_s: float = 1.0,
    chrome: Browser | None = None,
) -> dict[str, Any]:
    """Build, save and (optionally) draw the cwb map and the FastMarkerCluster baseline.

    Drawn times are the median of ``repeats`` page loads, the two maps taking
    turns with ``settle_s`` seconds of rest after each, in ``chrome`` (a
    Playwright browser) or a headless Chromium launched for the purpose.

    Returns
    -------
    dict
        ``points``; ``cwb`` and ``fast_marker_cluster`` with ``build_s``,
        ``save_s``, ``html_mb``, and with a browser ``drawn_s``, ``drawn_runs_s``,
        ``items_drawn`` (points, clusters or icons on screen when the time was
        taken) and ``errors``; and ``drawn_ratio`` (cwb / baseline).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    lat, lon = public_points(ds)
    result: dict[str, Any] = {"points": len(lat)}
    # no base map for either: tiles cost both the same and only add noise to the drawing times
    result["cwb"] = _timed_save(
        lambda: make_map(ds, links=False, tiles=None), out_dir / "cwb_map.html"
    )
    if baseline:
        result["fast_marker_cluster"] = _timed_save(
            lambda: fast_marker_cluster_map(lat, lon), out_dir / "fmc_map.html"
        )
    if browser:
        pages = [(key, out_dir / name) for key, name in _PAGES if key in result]
        try:
            with nullcontext(chrome) if chrome is not None else chromium() as active:
                times: dict[str, list[float]] = {key: [] for key, _ in pages}
                # the two maps take turns, so both see the same machine load
                for _ in range(repeats):
                    for key, html in pages:
                        page, page_log = open_page(active, html)
                        times[key].append(wait_drawn(page))
                        # proof that the time is of a drawn map: what it shows at that moment
                        result[key]["items_drawn"] = page.evaluate(_ITEMS_DRAWN[key])
                        result[key]["errors"] = page_log.errors[:5]
                        page.context.close()
                        time.sleep(settle_s)  # let the browser finish tearing the page down
                for key, values in times.items():
                    result[key]["drawn_s"] = round(float(np.median(values)), 2)
                    result[key]["drawn_runs_s"] = [round(v, 2) for v in values]
        except MissingDependencyError as exc:
            log.warning("no drawn times: %s", exc)
    cwb_drawn = result["cwb"].get("drawn_s")
    fmc_drawn = result.get("fast_marker_cluster", {}).get("drawn_s")
    if cwb_drawn and fmc_drawn:
        result["drawn_ratio"] = round(cwb_drawn / fmc_drawn, 3)
    return result


def bench_map_sizes(
    sizes: list[int], work_dir: Path, *, seed: int = 0, baseline: bool = True
) -> list[dict[str, Any]]:
    """:func:`bench_map` on synthetic datasets of each size (from :mod:`cwb.synth`)."""
    rows = []
    for size in sizes:
        folder = work_dir / f"synth_{size}"
        if not (folder / "dataset.toml").exists():
            synth_dataset(
                folder,
                assets=size,
                opportunities=max(100, size // 100),
                seed=seed,
                fmt="parquet",
                overwrite=True,
            )
        ds = read_dataset(folder)
        row = {
            "assets": size,
            **bench_map(
                ds, work_dir / f"maps_{size}", baseline=baseline, repeats=5 if size < 500_000 else 1
            ),
        }
        log.info("map bench %s: %s", size, row)
        rows.append(row)
    return rows


def figure_cell(fig: dict[str, Any] | None, missing: str = "–") -> str:
    """One map's figures as ``build+save s / HTML MB / drawn s`` (``missing`` when not run)."""
    if not fig:
        return missing
    drawn = fig.get("drawn_s")
    return (
        f"{fig['build_s'] + fig['save_s']:.1f} / {fig['html_mb']:.1f} / "
        f"{'–' if drawn is None else f'{drawn:.2f}'}"
    )


def to_markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (build+save s / HTML MB / drawn s)."""
    lines = [
        "| assets (points drawn) | cwb map: build+save s / HTML MB / drawn s | "
        "FastMarkerCluster: build+save s / HTML MB / drawn s | drawn time, cwb ÷ FMC |",
        "|---|---|---|---|",
    ]

    def cell(fig: dict[str, Any] | None) -> str:
        return figure_cell(fig)

    for r in rows:
        ratio = r.get("drawn_ratio")
        lines.append(
            f"| {r['assets']:,} ({r['points']:,}) | {cell(r.get('cwb'))} | "
            f"{cell(r.get('fast_marker_cluster'))} | {'–' if ratio is None else f'{ratio:.2f}'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - manual runs: python -m cwb.bench.maps 10000 100000
    import json
    import sys

    logging.basicConfig(level=logging.INFO)
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    table = bench_map_sizes(sizes, Path(os.environ.get("CWB_BENCH_DIR", "bench-out/maps")))
    print(json.dumps(table, indent=1))
    print(to_markdown(table))
