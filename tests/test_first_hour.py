"""The neighbourhood coordinator's first hour: every command on a fresh ``cwb init`` dataset.

A new dataset has the empty ``areas.geojson`` that ``cwb init`` writes; with a resident
group in it, the commands used to crash in the residents' aggregation.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cwb
from cwb.cli import app
from cwb.pipeline import Pipeline

runner = CliRunner()


def _append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writerows({k: row.get(k, "") for k in header} for row in rows)


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A ``cwb init`` dataset (CSV) with one row of each kind, a spend row and no areas."""
    folder = tmp_path / "fresh"
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    _append_rows(
        folder / "assets.csv",
        [
            {"id": "A1", "name": "Oak Road garage", "kind": "physical",
             "category": "vacant_building", "lat": "52.4960", "lon": "-1.9500"},
            {"id": "A2", "name": "Soho Road kitchen", "kind": "financial",
             "category": "social_enterprise", "lat": "52.4940", "lon": "-1.9400"},
            {"id": "A3", "name": "Cape Hill tenants", "kind": "community",
             "category": "tenants_association", "lat": "52.4930", "lon": "-1.9600"},
            {"id": "A4", "name": "Young carers", "kind": "human", "category": "skills_group",
             "skills": "care", "count": "6", "lat": "52.4920", "lon": "-1.9450",
             "postcode": "B66 2QT"},
        ],
    )  # fmt: skip
    (folder / "spend.csv").write_text(
        "id,buyer,supplier_name,amount,date,postcode\r\n"
        "T1,Sandwell and West Birmingham NHS Trust,Soho Road kitchen,1200,2024-05-01,B66 2QT\r\n",
        encoding="utf-8",
    )
    manifest = folder / "dataset.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            '# spend = "spend.csv"', 'spend = "spend.csv"'
        ),
        encoding="utf-8",
    )
    return folder


def test_residents_without_areas_grouped_per_postcode_district(fresh: Path) -> None:
    ds = cwb.read_dataset(fresh)
    assert ds.areas.empty
    groups, suppressed = Pipeline(ds).residents
    assert suppressed == 0
    assert groups["area_code"].tolist() == ["B66"]
    assert groups["area_name"].tolist() == ["postcode district B66"]
    point = groups.geometry.iloc[0]
    assert point is not None and not point.is_empty
    # the point is a grid square's centre, never the group's own location
    assert (round(point.y, 4), round(point.x, 4)) != (52.492, -1.945)


def test_residents_without_postcode_grouped_per_grid_square_and_suppressed(
    fresh: Path,
) -> None:
    _append_rows(
        fresh / "assets.csv",
        [
            {"id": "A5", "name": "Two cooks", "kind": "human", "category": "skills_group",
             "skills": "catering", "count": "2", "lat": "52.4920", "lon": "-1.9450"},
            {"id": "A6", "name": "Nine drivers", "kind": "human", "category": "skills_group",
             "skills": "driving", "count": "9", "lat": "52.4920", "lon": "-1.9450"},
        ],
    )  # fmt: skip
    groups, suppressed = Pipeline(cwb.read_dataset(fresh)).residents
    assert suppressed == 2  # the two cooks fall under k = 5
    drivers = groups[groups["skills"] == "driving"].iloc[0]
    assert drivers["area_code"].startswith("grid ")
    assert drivers["area_name"].startswith("1 km square")
    assert "catering" not in set(groups["skills"])


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["catalogue"],
        ["match"],
        ["gaps"],
        ["spend"],
        ["graph", "--output", "{out}/graph.graphml"],
        ["map", "--output", "{out}/map.html"],
        ["report", "--output", "{out}/report.html"],
        ["commons"],
    ],
    ids=lambda c: c[0],
)
def test_every_command_runs_on_a_fresh_dataset(
    fresh: Path, tmp_path: Path, command: list[str]
) -> None:
    args = [command[0], str(fresh), *(a.format(out=tmp_path) for a in command[1:])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if command[0] in ("map", "report"):
        page = (tmp_path / f"{command[0]}.html").read_text(encoding="utf-8")
        assert "Young carers" not in page  # residents only in aggregate
    if command[0] == "map":
        assert "postcode district B66" in page


def test_demo_runs_on_a_fresh_dataset(fresh: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--dataset", str(fresh), "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "failed" not in result.output
    assert any((tmp_path / "d").iterdir())
