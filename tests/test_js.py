"""The maps' JavaScript (cwb/maps/js): node unit tests (tests/js), eslint, Chromium round trips.

Skipped when node (or, for the linter, ``npm ci`` in tests/js) is missing on a developer's
machine; under CI (``CI`` set) a missing tool fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from browser import browser, open_page  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
JS_TESTS = REPO / "tests" / "js"
ESLINT = JS_TESTS / "node_modules" / "eslint" / "bin" / "eslint.js"
#: Leaflet as a map page links it (served from tests/webassets by the browser tests' routes).
LEAFLET_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"


def _missing(reason: str) -> None:
    """Fail under CI (the JavaScript must be checked there), skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"JavaScript checks cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed")
    assert node is not None
    return node


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=600
    )


def _write_fixtures(folder: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_fixtures", JS_TESTS / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(str(folder))


def test_node_unit_tests(tmp_path: Path) -> None:
    node = _node()
    _write_fixtures(tmp_path)
    files = [str(p.relative_to(REPO)) for p in sorted(JS_TESTS.glob("*.test.js"))]
    assert files, "no JavaScript tests found"
    result = _run([node, "--test", "--test-reporter=tap", *files], CWB_JS_FIXTURES=str(tmp_path))
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-12000:]
    assert "# fail 0" in report and "# skipped 0" in report, report[-4000:]


def test_eslint() -> None:
    node = _node()
    if not ESLINT.is_file():
        _missing(f"eslint is not installed (cd {JS_TESTS.relative_to(REPO)} && npm ci)")
    config = str((JS_TESTS / "eslint.config.js").relative_to(REPO))
    result = _run([node, str(ESLINT), "-c", config, "cwb/maps/js", "tests/js"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_inlined_code_cannot_end_its_script_element() -> None:
    """Map pages inline the JS and CSS in ``<script>``/``<style>``: nothing in them may close it."""
    for name in ("cwb_map.js", "cwb_map.css"):
        text = (REPO / "cwb" / "maps" / "js" / name).read_text(encoding="utf-8").lower()
        for bad in ("</script", "</style", "<!--"):
            assert bad not in text, f"{name} holds {bad!r}"


@pytest.mark.browser
def test_round_trips_in_chromium(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """The same round trips in the browser, through its own base64 and DecompressionStream."""
    _write_fixtures(tmp_path)
    fixture = (tmp_path / "fixtures.json").read_text(encoding="utf-8")
    scripts = [
        (REPO / "cwb" / "maps" / "js" / "cwb_map.js").read_text(encoding="utf-8"),
        (JS_TESTS / "roundtrip_checks.js").read_text(encoding="utf-8"),
        f"window.FIXTURE = {fixture};",
    ]
    page_html = tmp_path / "roundtrip.html"
    page_html.write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<script src='{LEAFLET_URL}'></script>"
        + "".join(f"<script>{s}</script>" for s in scripts),
        encoding="utf-8",
    )
    page, log = open_page(browser, page_html)
    try:
        found = page.evaluate(
            """async () => {
                const out = { fromBase64: typeof Uint8Array.fromBase64 === "function" };
                for (const k of Object.keys(cwbRoundTrip)) {
                    out[k] = await cwbRoundTrip[k](cwbMap.codec, FIXTURE[k]);
                }
                return out;
            }"""
        )
    finally:
        page.context.close()
    assert log.errors == [] and log.blocked == []
    native_base64 = found.pop("fromBase64")
    assert set(found) == {"varints", "runs", "points", "arrays", "columns", "fields"}
    assert found == {k: [] for k in found}, f"(Uint8Array.fromBase64: {native_base64})"
