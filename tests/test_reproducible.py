"""Same input, same bytes: two runs of `cwb demo` write identical files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwb.cli import app
from cwb.errors import UsageError
from cwb.reproducible import output_date, source_datetime

runner = CliRunner()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_demo_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    runs = []
    for name in ("one", "two"):
        result = runner.invoke(app, ["-q", "demo", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        runs.append(_files(tmp_path / name))
    first, second = runs
    assert {"graph.gpkg", "map.html", "report.html", "spend.json"} <= set(first)
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []


def test_source_date_epoch_sets_the_dates(
    mini_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert output_date() == "2023-11-14"
    result = runner.invoke(app, ["demo", "--dataset", str(mini_path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Made 2023-11-14" in (tmp_path / "map.html").read_text(encoding="utf-8")
    assert '"generated": "2023-11-14"' in (tmp_path / "spend.json").read_text(encoding="utf-8")
    with sqlite3.connect(tmp_path / "graph.gpkg") as db:
        stamps = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {"2023-11-14T22:13:20.000Z"}


def test_a_bad_source_date_epoch_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        source_datetime()
