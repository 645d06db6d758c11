"""Offline headless-Chromium fixtures for the browser tests (maps and report).

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright. Every CDN
file a page links is served from ``tests/webassets/node_modules`` (installed by
``npm ci --ignore-scripts`` in ``tests/webassets``) through a route on the
browser context; tile requests get a 1×1 PNG; every other http(s) request is
aborted and recorded (see :mod:`cwb.bench.maps`, which the benchmark shares).
When chromium, Playwright or the web assets are missing the tests FAIL if the
environment variable ``CI`` is set, and skip otherwise.

Use in a test module: ``from browser import browser, open_page  # noqa: F401``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from cwb.bench.maps import WEBASSETS, PageLog, chromium, open_page, wait_drawn
from cwb.errors import MissingDependencyError

__all__ = ["PageLog", "browser", "open_page", "unavailable", "wait_drawn"]


def unavailable(reason: str) -> None:
    """Fail under CI (the browser tests must run there), skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for one test module.

    Module scope, because each module imports this fixture: two session-scoped
    copies would run two Playwright loops at once, which Playwright refuses.
    """
    if not (WEBASSETS / "leaflet" / "dist" / "leaflet.js").is_file():
        unavailable(
            f"web assets missing in {WEBASSETS} (cd tests/webassets && npm ci --ignore-scripts)"
        )
    try:
        with chromium() as chrome:
            yield chrome
    except MissingDependencyError as exc:
        unavailable(str(exc))
