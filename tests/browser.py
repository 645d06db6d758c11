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
from contextlib import ExitStack
from typing import Any

import pytest

from cwb.bench.maps import WEBASSETS, PageLog, chromium, open_page, wait_drawn
from cwb.errors import MissingDependencyError

#: The demo map's point and link layers, as ids of the canvas layers the page registers.
DEMO_LAYERS = (
    "physical",
    "financial",
    "community",
    "human",
    "opportunities",
    "links",
    "spend",
    "projects",
)

__all__ = ["DEMO_LAYERS", "PageLog", "browser", "open_page", "unavailable", "wait_drawn"]


def unavailable(reason: str) -> None:
    """Fail under CI (the browser tests must run there), skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


#: The one Chromium of the session and how many test modules use it: each module that imports
#: the fixture gets its own copy of it, and Playwright's sync API cannot run twice at once.
_SHARED: dict[str, Any] = {"users": 0}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium for the whole session (one, however many modules import this)."""
    if not (WEBASSETS / "leaflet" / "dist" / "leaflet.js").is_file():
        unavailable(
            f"web assets missing in {WEBASSETS} (cd tests/webassets && npm ci --ignore-scripts)"
        )
    if not _SHARED["users"]:
        stack = ExitStack()
        try:
            _SHARED["chrome"] = stack.enter_context(chromium())
        except MissingDependencyError as exc:
            stack.close()
            unavailable(str(exc))
        _SHARED["stack"] = stack
    _SHARED["users"] += 1
    try:
        yield _SHARED["chrome"]
    finally:
        _SHARED["users"] -= 1
        if not _SHARED["users"]:
            _SHARED.pop("chrome")
            _SHARED.pop("stack").close()
