"""cwb.report and the ``map`` / ``report`` commands: figures, escaping, privacy, formats."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from test_maps import HOSTILE_IMG, HOSTILE_SCRIPT, make_dataset
from typer.testing import CliRunner

from cwb.cli import app
from cwb.errors import UsageError
from cwb.report import build_report, render_html, render_markdown, save_report

MINI = Path(__file__).resolve().parent / "data" / "mini"


def hand_result() -> SimpleNamespace:
    """A match result whose figures are known: 12 nurses on 40 posts, one firm on a £1.2m lot."""
    assignments = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "opportunity_type": ["job", "contract", "space"],
            "opportunity_title": ["Registered nurse", "Catering <i>lot</i>", "Meeting room"],
            "asset_id": ["H1", "F1", "P1"],
            "asset_kind": ["human", "financial", "physical"],
            "asset_category": ["skills_group", "social_enterprise", "library"],
            "quantity": [12, 1, 1],
            "score": [0.8, 0.9, 0.45],
        }
    )
    demand = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "title": ["Registered nurse", "Catering <i>lot</i>", "Meeting room"],
            "type": ["job", "contract", "space"],
            "demand": [40, 1, 1],
            "filled": [12, 1, 1],
            "unfilled": [28, 0, 0],
        }
    )
    matches = pd.DataFrame(
        {
            "asset_id": ["H1", "F1", "H2"],
            "asset_name": ["Overseas-qualified nurses", HOSTILE_IMG, "Jane Resident"],
            "asset_kind": ["human", "financial", "human"],
            "asset_category": ["skills_group", "social_enterprise", "individual"],
            "count": [12, None, 6],
            "opportunity_id": ["O1", "O2", "O1"],
            "opportunity_title": ["Registered nurse", "Catering <i>lot</i>", "Registered nurse"],
            "score": [0.8, 0.9, 0.5],
            "reasons": ["covers registered nurse", HOSTILE_SCRIPT, "x"],
        }
    )
    needs = pd.DataFrame(
        {
            "skill": ["registered nurse"],
            "soc2020": ["2237"],
            "unfilled_units": [28],
            "filled_needing_training": [0],
        }
    )
    untapped = pd.DataFrame(
        {
            "asset_id": ["C1"],
            "name": ["Tenants Association"],
            "kind": ["community"],
            "reason": ["no opportunity asks for these skills"],
        }
    )
    consortia = pd.DataFrame(
        {
            "opportunity_id": ["O2", "O2"],
            "rank": [1, 2],
            "title": ["Catering <i>lot</i>"] * 2,
            "value": [1_200_000.0] * 2,
            "member_names": ["A; B", "A; C"],
            "capacity_cover": [1.1, 1.0],
            "reasons": ["together", "together"],
        }
    )
    return SimpleNamespace(
        allocation=SimpleNamespace(assignments=assignments, demand=demand),
        gaps=SimpleNamespace(training_needs=needs, untapped=untapped),
        consortia=consortia,
        matches=matches,
        suppressed_residents=2,
    )


@pytest.fixture(scope="module")
def report():
    return build_report(
        make_dataset(), map_href="map.html", date="2025-01-31", matches=hand_result()
    )


def test_headline_figures_from_known_allocation(report) -> None:
    figures = {f.label: (f.value, f.note) for f in report.headline}
    # 12 residents on 12 posts: one figure, not the number 12 twice
    assert "Residents linked to posts" not in figures
    assert figures["Posts local residents could fill"] == (
        "12 of 40",
        "30.0% of the posts on offer, one resident of a local skills group per post",
    )
    assert figures["Enterprises linked to contracts"] == ("1", "£1.2m of contract value")
    assert figures["Consortia proposed"] == ("2", "for 1 contract(s) no single firm can take")
    assert figures["Community organisations and spaces involved"] == (
        "1",
        "0 organisation(s), 1 space(s)",
    )
    assert figures["Training needs"][0] == "28"
    assert figures["Untapped assets"][0] == "1"
    assert any(
        "groups smaller than 5 are left out of every figure (fewer than 5 of them)" in n
        for n in report.notes
    )


def test_charts_are_inline_svg_without_text(report) -> None:
    charts = [c for s in report.sections for c in s.charts]
    assert {c.name for c in charts} >= {"assets", "map", "filled", "training"}
    for chart in charts:
        assert chart.svg.startswith("<svg") and "<path" in chart.svg
        assert "<text" not in chart.svg and "<script" not in chart.svg


def test_html_is_self_contained_and_escaped(report) -> None:
    page = render_html(report)
    assert "<script" not in page and "<img" not in page
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "Catering &lt;i&gt;lot&lt;/i&gt;" in page
    assert not re.search(r'(?:src|href)="https?://', page)  # nothing to fetch
    assert 'href="map.html"' in page
    # residents only as groups: the individual's name never appears
    assert "Jane Resident" not in page
    assert "6 residents: a group of residents with these skills" in page


def test_unsafe_map_link_is_neutralised() -> None:
    hostile = build_report(make_dataset(), map_href="javascript:alert(1)", matches=hand_result())
    assert 'href="#"' in render_html(hostile)


def test_markdown_escapes_cells(report) -> None:
    text, files = render_markdown(report, "report_charts")
    assert "<script" not in text and "<img" not in text
    assert "&lt;img src=x onerror=" in text
    assert "| **12 of 40** |" in text.replace("Posts that could be filled locally ", "")
    assert set(files) >= {"report_charts/assets.svg", "report_charts/map.svg"}
    table = [line for line in text.splitlines() if line.startswith("| 12 residents: Overseas")]
    assert table and table[0].count(" | ") == 3  # four cells: no stray pipes


def test_save_report_formats(tmp_path: Path) -> None:
    ds = make_dataset()
    md = save_report(ds, tmp_path / "r.md", matches=hand_result(), date="2025-01-31")
    assert md.read_text().startswith("# Map test &lt;b&gt;dataset&lt;/b&gt;")
    assert (tmp_path / "r_charts" / "training.svg").is_file()
    out = save_report(ds, tmp_path / "r.html", matches=hand_result())
    assert out.read_text().startswith("<!DOCTYPE html>")

    with pytest.raises(UsageError, match="^format: "):
        save_report(ds, tmp_path / "r", format="docx", matches=hand_result())
    with pytest.raises(UsageError, match="^format: "):  # never HTML in a .pdf
        save_report(ds, tmp_path / "r.pdf", format="html", matches=hand_result())
    with pytest.raises(UsageError, match="^output: "):
        save_report(ds, tmp_path / "r.png", matches=hand_result())
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "r.png").exists()


runner = CliRunner()


def test_cli_map_and_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["map", str(MINI), "-o", str(tmp_path / "m.html"), "--no-links"])
    assert result.exit_code == 0, result.output
    assert "cwbMap.points(" in (tmp_path / "m.html").read_text()
    result = runner.invoke(
        app, ["report", str(MINI), "-o", str(tmp_path / "r.md"), "--map", "m.html"]
    )
    assert result.exit_code == 0, result.output
    assert "[m.html](<m.html>)" in (tmp_path / "r.md").read_text()


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["map", str(MINI), "-o", str(tmp_path / "m.html"), "--indicator", "nope"]
    )
    assert result.exit_code == 2 and "nope" in result.output
    result = runner.invoke(
        app, ["report", str(MINI), "-o", str(tmp_path / "r.txt"), "--format", "pdf"]
    )
    assert result.exit_code == 2


def test_help_has_examples() -> None:
    for command in ("map", "report"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Example: cwb " + command in result.output
