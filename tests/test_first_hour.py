"""The neighbourhood coordinator's first hour: every command on a fresh ``cwb init`` dataset.

A new dataset has the empty ``areas.geojson`` that ``cwb init`` writes; with a resident
group in it, the commands used to crash in the residents' aggregation.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import openpyxl.utils
import pytest
from typer.testing import CliRunner

import cwb
from cwb.cli import app
from cwb.dataset.validate import example_rows_note
from cwb.errors import Problem
from cwb.pipeline import Pipeline
from cwb.report import render_html, render_markdown
from cwb.report_parts import Report

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


EXAMPLES_NOTE = (
    "3 example rows from the template are still in the dataset and were left out of every "
    "figure: delete them once your own rows are in."
)


def _title_spec(page: str) -> dict[str, str]:
    found = re.search(r"cwbMap\.title\(map_\w+, (\{.*?\})\);", page)
    assert found, "no title panel"
    return json.loads(found.group(1))


def _drop_example_rows(folder: Path) -> None:
    for name in ("assets.csv", "opportunities.csv", "links.csv"):
        path = folder / name
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        column = rows[0].index("example")
        kept = [r for r in rows if r is rows[0] or r[column].strip().lower() != "yes"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows(kept)


def test_example_rows_are_named_in_the_map_and_the_report(fresh: Path, tmp_path: Path) -> None:
    """The template's example rows (left out) are named in the outputs, not only in the log."""
    outputs = {suffix: tmp_path / f"out{suffix}" for suffix in (".map.html", ".html", ".md")}
    for suffix, path in outputs.items():
        command = "map" if suffix == ".map.html" else "report"
        result = runner.invoke(app, [command, str(fresh), "--output", str(path)])
        assert result.exit_code == 0, result.output
    assert _title_spec(outputs[".map.html"].read_text(encoding="utf-8"))["warning"] == EXAMPLES_NOTE
    report = outputs[".html"].read_text(encoding="utf-8")
    assert f'<p class="warning" role="note">{EXAMPLES_NOTE}</p>' in report
    assert report.index(EXAMPLES_NOTE) < report.index('aria-label="Headline figures"')
    assert f"> **Note:** {EXAMPLES_NOTE}" in outputs[".md"].read_text(encoding="utf-8")

    _drop_example_rows(fresh)  # once deleted, the outputs say nothing more
    for suffix, path in outputs.items():
        command = "map" if suffix == ".map.html" else "report"
        assert runner.invoke(app, [command, str(fresh), "--output", str(path)]).exit_code == 0
        assert "example row" not in path.read_text(encoding="utf-8"), suffix
    assert "warning" not in _title_spec(outputs[".map.html"].read_text(encoding="utf-8"))


def test_example_rows_note_counts_and_report_escapes_it() -> None:
    one = [Problem("assets.csv", "example row", row=2, column="example", code="example_row")]
    link = [Problem("links.csv", "links an example", row=3, column="source", code="example_row")]
    assert example_rows_note(one + link) == (
        "1 example row from the template is still in the dataset and was left out of every "
        "figure: delete it once your own rows are in."
    )
    assert example_rows_note(link) is None
    report = Report("T", "S", "2025-01-31", [], [], [], warnings=["<b>3</b> & more"])
    page = render_html(report)
    assert '<p class="warning" role="note">&lt;b&gt;3&lt;/b&gt; &amp; more</p>' in page
    assert "> **Note:** &lt;b&gt;3&lt;/b&gt; &amp; more" in render_markdown(report)[0]


# --------------------------------------------------------------------------- the Excel template

ONSPD_EXTRACT = Path(__file__).parent / "data" / "postcodes" / "onspd_extract.csv"


def test_excel_template_has_named_sheets_lists_and_typed_cells(tmp_path: Path) -> None:
    folder = tmp_path / "book"
    assert runner.invoke(app, ["init", str(folder), "--excel"]).exit_code == 0
    book = openpyxl.load_workbook(folder / "dataset.xlsx")
    assert book.sheetnames == ["instructions", "assets", "opportunities", "links", "lists"]
    assert book["lists"].sheet_state == "hidden"
    assert "drop-down" in " ".join(str(c.value) for c in book["instructions"]["A"])
    assets = book["assets"]
    header = [c.value for c in assets[1]]
    assert header[:4] == ["id", "name", "kind", "category"] and header[-1] == "example"
    example = dict(zip(header, (c.value for c in assets[2]), strict=True))
    assert example["example"] == "yes"
    assert isinstance(example["count"], int) and isinstance(example["capacity"], int)
    assert isinstance(example["collected_on"], datetime)
    assert example["registered_number"] == "09876543"  # an id stays text
    lists = {str(dv.sqref).split(":")[0][:-1]: dv for dv in assets.data_validations.dataValidation}
    kind_col = openpyxl.utils.get_column_letter(header.index("kind") + 1)
    assert lists[kind_col].formula1 == "lists!$A$2:$A$5"
    assert [c.value for c in book["lists"]["A"][1:5]] == [
        "physical",
        "financial",
        "community",
        "human",
    ]
    type_col = openpyxl.utils.get_column_letter(
        [c.value for c in book["opportunities"][1]].index("type") + 1
    )
    opp_lists = [str(dv.sqref) for dv in book["opportunities"].data_validations.dataValidation]
    assert f"{type_col}2:{type_col}2001" in opp_lists
    manifest = (folder / "dataset.toml").read_text(encoding="utf-8")
    assert 'assets = { path = "dataset.xlsx", sheet = "assets" }' in manifest


def _fill_sheet(path: Path, sheet: str, rows: list[dict[str, object]]) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    for row in rows:
        ws.append([row.get(h) for h in header])
    book.save(path)


def _set_cells(path: Path, sheet: str, column: str, values: dict[str, str]) -> None:
    """Set ``column`` of the rows whose name is a key of ``values``."""
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        name = row[header.index("name")].value
        if name in values:
            row[header.index(column)].value = values[name]
    book.save(path)


def test_the_coordinators_first_hour(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A volunteer-typed Excel list → init with postcodes → validate → map and report."""
    folder = tmp_path / "smethwick"
    made = runner.invoke(
        app,
        ["init", str(folder), "--excel", "--project-name", "Midland Metropolitan",
         "--postcodes", str(ONSPD_EXTRACT), "--districts", "B66, b67"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    book = folder / "dataset.xlsx"
    # typed by volunteers: odd spacing and case, a typo, everyday words, numbers as text;
    # the template's example rows are left in
    _fill_sheet(
        book,
        "assets",
        [
            {"id": "S1", "name": "St Mary's", "kind": "Physical", "category": "Church",
             "postcode": " b66  3aa"},
            {"id": "S2", "name": "Cape Hill boxing", "kind": "physical",
             "category": "Sports Club", "postcode": "b663ab"},
            {"id": "S3", "name": "Smethwick kitchen co-op", "kind": "financial",
             "category": "social enterprise", "postcode": "BG6 1ZY", "capacity": "£12,000"},
            {"id": "S4", "name": "Windmill Lane tenants", "kind": "community",
             "category": "tenants_association", "postcode": "B67 5LA", "count": "40"},
            {"id": "S5", "name": "Home carers", "kind": "human", "category": "skills_group",
             "skills": "care", "count": "7", "postcode": "B66 2QT"},
            {"id": "S6", "name": "Gurdwara", "kind": "physical", "category": "gurdwara",
             "postcode": "B66 3AD"},
            *({"id": f"S{7 + i}", "name": f"Club {i}", "kind": "community",
               "category": "voluntary_group", "postcode": "B66 9ZZ"} for i in range(3)),
        ],
    )  # fmt: skip
    _fill_sheet(
        book,
        "opportunities",
        [{"id": "J1", "project": "project", "type": "job", "title": "Porter",
          "skills": "care", "quantity": "10", "postcode": "B66 2QT"}],
    )  # fmt: skip

    checked = runner.invoke(app, ["validate", str(folder)])
    assert checked.exit_code == 1  # the categories need a decision
    lines = [line for line in checked.output.splitlines() if line.startswith(("error", "warn"))]
    text = " ".join(checked.output.split())
    # Church and gurdwara: the same problem and suggestion, so one line naming both rows
    assert (
        "sheet assets, column category: 2 rows (3, 8): is not a category of kind "
        "'physical' (did you mean 'place_of_worship'?)" in text
    )
    assert (
        "row 4, column category: 'Sports Club': is not a category of kind 'physical' "
        "(did you mean 'sports_facility'?)" in text
    )
    assert "'BG6 1ZY': is not a known postcode (did you mean B66 1ZY?)" in text
    grouped = [line for line in lines if "B66 9ZZ" in line or "3 rows" in line]
    assert len(grouped) == 1 and "3 rows (9, 10, 11): is not a known postcode" in grouped[0]
    assert "example row from the template" in text
    assert "no postcode lookup" not in text
    for severity in ("error", "warning"):  # errors first, then warnings; each by row
        rows = [
            int(m)
            for line in lines
            if line.startswith(severity)
            for m in re.findall(r"sheet assets, row (\d+)", line)
        ]
        assert rows == sorted(rows)
    cells = [c for line in lines for c in re.findall(r"(sheet \w+), row (\d+), column (\w+)", line)]
    assert len(cells) == len(set(cells))  # one cell, one problem

    # the coordinator takes the suggestions
    _set_cells(book, "assets", "category", {"St Mary's": "place_of_worship",
                                            "Cape Hill boxing": "sports_facility",
                                            "Gurdwara": "place_of_worship"})  # fmt: skip
    again = runner.invoke(app, ["validate", str(folder)])
    assert again.exit_code == 0, again.output

    ds = cwb.read_dataset(folder)
    assert "A0001" not in set(ds.assets["id"]) and "O001" not in set(ds.opportunities["id"])
    assert ds.links is None or ds.links.empty
    assets = ds.assets.set_index("id")
    assert assets.loc["S1", "precision"] == "postcode"  # ' b66  3aa' located
    assert assets.loc["S3", "capacity"] == 12000
    assert int(ds.opportunities["quantity"].sum()) == 10  # not the example's 120 nurses

    for command in ("map", "report"):
        out = tmp_path / f"{command}.html"
        result = runner.invoke(app, [command, str(folder), "--output", str(out)])
        assert result.exit_code == 0, result.output
        page = out.read_text(encoding="utf-8")
        assert "Soho Road Community Kitchen" not in page  # the example asset
        assert "Registered nurse" not in page  # the example job
    assert "postcode district B66" in (tmp_path / "map.html").read_text(encoding="utf-8")
    catalogue = runner.invoke(app, ["catalogue", str(folder)])
    assert catalogue.exit_code == 0
    assert "example row(s) of the template are left out" in caplog.text  # stderr in the CLI
