"""The runnable examples run and write what they promise."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_python_api_tour(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tour = runpy.run_path(str(EXAMPLES / "python_api_tour.py"))
    tour["main"](tmp_path)
    printed = capsys.readouterr().out
    assert "Best local links to nursing posts" in printed
    assert "pathway 'NMC registration" in printed
    assert "consortia proposed" in printed
    for name in ("map.html", "report.html", "graph.gexf"):
        assert (tmp_path / name).stat().st_size > 1000


def test_commons_brownfield(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], realdata: Path
) -> None:
    example = runpy.run_path(str(EXAMPLES / "commons_brownfield.py"))
    register = realdata / "brownfield_digital_land" / "birmingham_brownfield_register.csv"
    example["main"](tmp_path, register)
    printed = capsys.readouterr().out
    assert "imported: 404 assets" in printed
    assert "register sites within 3 km of the hospital: 91" in printed
    assert (tmp_path / "commons_bookings.csv").stat().st_size > 100
