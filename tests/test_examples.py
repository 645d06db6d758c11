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
