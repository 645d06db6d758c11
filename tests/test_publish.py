"""Issue 13: the planner's one command (``cwb publish``), a report a board can print, PDF output."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browser import browser, open_page, unavailable  # noqa: F401
from typer.testing import CliRunner

from cwb.cli import app
from cwb.demo import demo_dataset_path, map_asset_options
from cwb.graph.io import read_graph
from cwb.pdf import chromium_binary

runner = CliRunner()
MINI = Path(__file__).resolve().parent / "data" / "mini"
SCREENSHOTS = Path(__file__).resolve().parent / "output" / "screenshots"
TITLE = "Smethwick & <Hospital> board pack"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planner's one command on the demo dataset."""
    out = tmp_path_factory.mktemp("publish") / "board"
    result = runner.invoke(
        app,
        [
            "publish",
            str(demo_dataset_path()),
            "-o",
            str(out),
            "--indicator",
            "imd_decile",
            "--bands",
            "1km,2km",
            "--title",
            TITLE,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_publish_writes_map_report_and_tables(published: Path) -> None:
    assert {p.name for p in published.iterdir()} == {"map.html", "report.html", "tables"}
    tables = {p.name for p in (published / "tables").iterdir()}
    assert {"catalogue.csv", "matches.csv", "allocation.csv", "gaps.csv"} <= tables
    assert "spend_summary.csv" in tables  # the demo dataset has spend
    assert len(pd.read_csv(published / "tables" / "matches.csv")) > 0
    page = (published / "map.html").read_text(encoding="utf-8")
    assert "Smethwick &amp; &lt;Hospital&gt;" in page or "Smethwick \\u0026" in page
    report = (published / "report.html").read_text(encoding="utf-8")
    assert "<h1>Smethwick &amp; &lt;Hospital&gt; board pack</h1>" in report
    assert 'href="map.html"' in report


def _headline(report: str) -> list[tuple[str, str]]:
    block = report[report.index('aria-label="Headline figures"') :]
    block = block[: block.index("</section>")]
    values = re.findall(r'<div class="value">(.*?)</div><div class="label">(.*?)</div>', block)
    return [(label, value) for value, label in values]


def test_report_headline_has_the_trend_and_no_number_twice(published: Path) -> None:
    headline = _headline((published / "report.html").read_text(encoding="utf-8"))
    labels = [label for label, _ in headline]
    assert "Local share of spend, trend" in labels
    numbers = [n for _, value in headline for n in re.findall(r"\d[\d,.]*", value)]
    assert len(numbers) == len(set(numbers)), headline
    trend = dict(headline)["Local share of spend, trend"]
    assert re.fullmatch(r"[+-]\d+\.\d pts", trend)


def test_report_tables_have_human_headers(published: Path) -> None:
    report = (published / "report.html").read_text(encoding="utf-8")
    headers = re.findall(r"<th[^>]*>(.*?)</th>", report)
    assert "Units left unfilled" in headers and "Total spend" in headers
    assert "LM3 (local multiplier)" in headers
    assert not [h for h in headers if "_" in h], headers
    # figures are right-aligned and never wrap; text cells wrap between words only
    assert '<td class="num">' in report and "overflow-wrap: anywhere" not in report
    assert "@media print" in report and "size: A4" in report


def test_report_prints_without_cut_tables(browser: Any, published: Path) -> None:  # noqa: F811
    page, log = open_page(browser, published / "report.html")
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report_1280x800.png"))
        assert log.errors == []
        wide = page.evaluate(
            "() => [...document.querySelectorAll('.tablewrap')]"
            ".filter(w => w.scrollWidth > w.clientWidth + 1).length"
        )
        assert wide == 0
        # no header is broken inside a word: each header's words fit on their lines
        broken = page.evaluate(
            "() => [...document.querySelectorAll('th')].filter(th => {"
            " const r = document.createRange(); r.selectNodeContents(th);"
            " const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));"
            " return lines.size > th.textContent.trim().split(/\\s+/).length; }).length"
        )
        assert broken == 0
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 720, "height": 1000})  # about A4 less its margins
        wide = page.evaluate(
            "() => [...document.querySelectorAll('table')]"
            ".filter(t => t.getBoundingClientRect().right > document.body.clientWidth + 1).length"
        )
        assert wide == 0
        breaks = page.evaluate(
            "() => [...document.querySelectorAll('section.report-section')]"
            ".map(s => getComputedStyle(s).breakBefore)"
        )
        assert breaks and set(breaks) == {"page"}
    finally:
        page.context.close()


def _pdf_texts(pdf: Path) -> dict[str, str]:
    """The PDF's text as poppler's ``pdftotext`` and pypdf read it, whitespace collapsed.

    ``pdftotext`` is the reader the issue names (Debian ``poppler-utils``, which ``.ci/run``
    installs): required under CI, skipped on a developer's machine without it.
    """
    pypdf = pytest.importorskip("pypdf")
    texts = {"pypdf": " ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)}
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        unavailable("pdftotext missing (apt-get install poppler-utils)")
    else:
        done = subprocess.run(
            [pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
        )
        texts["pdftotext"] = done.stdout.decode("utf-8")
    return {reader: " ".join(text.split()) for reader, text in texts.items()}


def test_report_pdf_has_the_headline_figures(tmp_path: Path) -> None:
    if chromium_binary() is None:
        pytest.skip("no Chromium to print with")
    html = tmp_path / "report.html"
    pdf = tmp_path / "report.pdf"
    for path in (html, pdf):
        result = runner.invoke(app, ["report", str(MINI), "-o", str(path)])
        assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    report = html.read_text(encoding="utf-8")
    headline = _headline(report)
    assert headline
    for reader, text in _pdf_texts(pdf).items():
        for label, value in headline:
            assert value in text, (reader, label, value)


def test_no_pdf_engine_exits_2_with_the_hint(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CWB_CHROMIUM", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("CWB_PDF_ENGINE", "chromium")
    result = runner.invoke(app, ["report", str(MINI), "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2
    assert "cwb[pdf]" in result.output and "chromium" in result.output.lower()
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize("command", ["map", "report"])
def test_unwritable_suffix_is_a_usage_error(tmp_path: Path, command: str) -> None:
    target = tmp_path / "x.png"
    result = runner.invoke(app, [command, str(MINI), "-o", str(target)])
    assert result.exit_code == 2 and "x.png" in result.output
    assert not target.exists()


def test_report_format_must_match_the_suffix(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", str(MINI), "-o", str(tmp_path / "r.pdf"), "--format", "html"]
    )
    assert result.exit_code == 2 and not (tmp_path / "r.pdf").exists()


def test_publish_map_asset_options() -> None:
    options = map_asset_options("vendor/", "none")
    assert options["tiles"] is None
    assert options["assets"] == "vendor/"
    assert map_asset_options("cdn", None) == {"assets": "cdn"}  # not silently inline
    assert map_asset_options(None, None) == {}  # make_map's default: inline


def test_tables_as_json_and_csv_parse(mini_path: Path) -> None:
    result = runner.invoke(app, ["--format", "json", "catalogue", str(mini_path)])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(docs) >= 3
    first = docs[0]
    assert first["columns"][:2] == ["kind", "category"] and first["rows"]
    assert set(first["rows"][0]) == set(first["columns"])
    result = runner.invoke(app, ["--format", "csv", "validate", str(mini_path)])
    assert result.exit_code in (0, 1), result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["table", "read", "clean", "with_warnings", "with_errors"]
    assert "is valid" not in result.stdout and "has errors" not in result.stdout
    bad = runner.invoke(app, ["--format", "xml", "catalogue", str(mini_path)])
    assert bad.exit_code == 2


def test_piped_tables_are_not_cut() -> None:
    result = runner.invoke(app, ["spend", str(demo_dataset_path())], terminal_width=80)
    assert result.exit_code == 0, result.output
    assert "Sandwell and West Birmingham NHS Trust" in result.stdout
    assert "…" not in result.stdout


def test_gexf_is_1_3_with_weights_colours_and_positions(tmp_path: Path) -> None:
    path = tmp_path / "g.gexf"
    result = runner.invoke(app, ["graph", str(MINI), "-o", str(path)])
    assert result.exit_code == 0, result.output
    root = ET.parse(path).getroot()
    ns = {"g": "http://gexf.net/1.3", "viz": "http://gexf.net/1.3/viz"}
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    nodes = root.findall("g:graph/g:nodes/g:node", ns)
    edges = root.findall("g:graph/g:edges/g:edge", ns)
    assert nodes and edges
    assert all(float(e.get("weight")) > 0 for e in edges)
    colours = {tuple(n.find("viz:color", ns).attrib[c] for c in "rgb") for n in nodes}
    assert len(colours) >= 3
    placed = [n for n in nodes if n.find("viz:position", ns) is not None]
    assert placed
    titles = {a.get("id"): a.get("title") for a in root.iter("{http://gexf.net/1.3}attribute")}
    assert {"latitude", "longitude"} <= set(titles.values())
    G = read_graph(path)
    scored = [d for *_, d in G.edges(data=True) if d.get("edge_type") == "match"]
    assert scored and all("score" in d for d in scored)
    weights = {e.get("id"): float(e.get("weight")) for e in edges}
    for u, v, k, d in G.edges(keys=True, data=True):
        if d.get("edge_type") == "match":
            assert weights[f"{u}->{v}#{k}"] == pytest.approx(d["score"])


def test_report_to_dash_is_html_on_stdout_and_pdf_a_usage_error() -> None:
    result = runner.invoke(app, ["report", str(MINI), "-o", "-"])
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().lower().startswith("<!doctype html")
    assert "wrote" not in result.stdout
    for fmt in ("pdf", "md"):
        result = runner.invoke(app, ["report", str(MINI), "-o", "-", "--format", fmt])
        assert result.exit_code == 2 and "standard output" in result.output


def test_dash_writes_to_stdout(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["graph", str(MINI), "-o", "-", "--to", "gexf"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.stdout.encode("utf-8"))
    assert root.get("version") == "1.3"
    result = runner.invoke(app, ["graph", str(MINI), "-o", "-"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"directed", "multigraph", "graph", "nodes", "links"}
    result = runner.invoke(app, ["match", str(MINI), "-o", "-"])
    assert result.exit_code == 0, result.output
    matches = pd.read_csv(io.StringIO(result.stdout))
    assert len(matches) > 0 and "score" in matches
    assert list(tmp_path.iterdir()) == []  # no file named "-"
    bad = runner.invoke(app, ["graph", str(MINI), "-o", "-", "--to", "gpkg"])
    assert bad.exit_code == 2
