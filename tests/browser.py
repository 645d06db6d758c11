"""Offline headless-Chromium helpers for the browser tests (maps and report).

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright. Every CDN
file a page links is served from ``tests/webassets/node_modules`` (installed by
``npm ci --ignore-scripts`` in ``tests/webassets``) through a route on the
browser context; tile requests get a 1×1 PNG; every other http(s) request is
aborted and recorded. When chromium, Playwright or the web assets are missing
the tests fail if the environment variable ``CI`` is set, and skip otherwise.

Import the fixtures in a test module: ``from tests.browser import browser, open_page``.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cwb.map_layers import local_asset_path

CHROMIUM = Path(os.environ.get("CWB_CHROMIUM", "/usr/bin/chromium"))
WEBASSETS = Path(__file__).resolve().parent / "webassets" / "node_modules"
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
_TILE = re.compile(r"^https?://([a-z0-9-]+\.)*(tile\.openstreetmap\.org|basemaps\.cartocdn\.com|tile\.)")


def _png_1px(rgb: tuple[int, int, int]) -> bytes:
    """A 1×1 PNG of one colour (answers tile requests)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes([0, *rgb]))) \
        + chunk(b"IEND", b"")


_PNG_1PX = _png_1px((236, 236, 232))
_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml",
          ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".map": "application/json"}


def unavailable(reason: str) -> None:
    """Fail under CI (the browser tests must run there), skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def local_file(url: str) -> Path | None:
    """The file in ``tests/webassets/node_modules`` that answers a CDN URL, if any."""
    rel = local_asset_path(url.split("?")[0].split("#")[0])
    if rel is None:
        return None
    path = WEBASSETS / rel
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (session-wide)."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    if not (WEBASSETS / "leaflet" / "dist" / "leaflet.js").is_file():
        unavailable(f"web assets missing in {WEBASSETS} (cd tests/webassets && npm ci --ignore-scripts)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_context(browser: Any, log: PageLog, *, width: int = 1280, height: int = 860) -> Any:
    """A browser context that serves CDN files locally and blocks everything else."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)

    def handle(route: Any) -> None:
        url = route.request.url
        if url in EMPTY_CSS:
            route.fulfill(status=200, body="", content_type="text/css")
            return
        if _TILE.match(url):
            route.fulfill(status=200, body=_PNG_1PX, content_type="image/png")
            return
        path = local_file(url)
        if path is None:
            log.blocked.append(url)
            route.abort()
            return
        log.served.append(url)
        route.fulfill(status=200, body=path.read_bytes(),
                      content_type=_TYPES.get(path.suffix, "application/octet-stream"),
                      headers={"Access-Control-Allow-Origin": "*"})

    context.route(re.compile(r"^https?://"), handle)
    return context


def open_page(browser: Any, html: Path, *, timeout_ms: int = 60_000) -> tuple[Any, PageLog]:
    """Open a local HTML file and wait until it has drawn (load event, then two frames).

    Returns the page (close its context with ``page.context.close()``) and the log.
    """
    log = PageLog()
    context = new_context(browser, log)
    page = context.new_page()
    page.on("console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.goto(html.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
    wait_drawn(page)
    return page, log


def wait_drawn(page: Any) -> None:
    """Wait for two animation frames (the page has painted what its scripts drew)."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))")
