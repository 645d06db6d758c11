"""Issue 13, item 8: ``-o -`` on every command, and typed ``--format json|csv`` tables.

Each output that can be one text file goes to stdout with ``-`` (the data alone:
messages and tables go to stderr); folders and binary files refuse ``-`` with
exit 2. JSON and CSV tables carry numbers, not the text the terminal table shows,
and are compared here with the library's own results.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from realdata_paths import REALDATA
from typer.testing import CliRunner

from cwb.catalogue import catalogue
from cwb.cli import _output, app
from cwb.cli._output import csv_cell, field_name, plain_value
from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.spend.analysis import run_spend

runner = CliRunner()
TESTS = Path(__file__).resolve().parent
MINI = TESTS / "data" / "mini"
OSM = TESTS / "data" / "importers" / "osm_smethwick.geojson"


def _ok(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def _tables(stdout: str) -> dict[str, dict[str, Any]]:
    """The JSON documents of ``--format json``, by title."""
    docs = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {doc["title"]: doc for doc in docs}


@pytest.fixture
def in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty folder, to see that no file named '-' appears."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize(
    ("args", "first_column"),
    [
        (["catalogue", str(MINI), "--csv", "-"], "breakdown"),
        (["match", str(MINI), "-o", "-"], None),
        (["gaps", str(MINI), "-o", "-"], "gap"),
        (["stale", str(MINI), "--csv", "-", "--months", "1"], None),
        (["graph", str(MINI), "-o", "g.json", "--metrics-csv", "-"], "node"),
    ],
)
def test_csv_outputs_go_to_stdout(
    args: list[str], first_column: str | None, in_empty_folder: Path
) -> None:
    result = _ok(args)
    table = pd.read_csv(io.StringIO(result.stdout))
    assert len(table) > 0
    if first_column:
        assert table.columns[0] == first_column
    assert "wrote" not in result.stdout
    assert not (in_empty_folder / "-").exists()


def test_compare_either_table_to_stdout(tmp_path: Path, in_empty_folder: Path) -> None:
    near = tmp_path / "near.toml"
    near.write_text("[matching]\nmax_distance_m = 2000\n", encoding="utf-8")
    figures = pd.read_csv(io.StringIO(_ok(["compare", str(MINI), str(near), "-o", "-"]).stdout))
    assert {"figure", "baseline", "near", "change_near"} <= set(figures.columns)
    assert figures["change_near"].dtype.kind in "if"
    result = _ok(["compare", str(MINI), str(near), "--opportunities", "-"])
    take_up = pd.read_csv(io.StringIO(result.stdout))
    assert "near" in take_up.columns
    both = runner.invoke(app, ["compare", str(MINI), str(near), "-o", "-", "--opportunities", "-"])
    assert both.exit_code == 2 and "--opportunities" in both.output
    assert both.stdout == ""


def test_import_duplicates_to_stdout(mini_copy: Path) -> None:
    result = _ok(
        ["import", "osm", str(OSM), "--into", str(mini_copy), "--dry-run", "--duplicates-csv", "-"]
    )
    listing = pd.read_csv(io.StringIO(result.stdout))
    assert "osm:node/1001" in set(listing.iloc[:, 0]) | set(listing.get("incoming_id", []))


def test_areas_to_stdout_are_geojson(tmp_path: Path, in_empty_folder: Path) -> None:
    """Real ONS 2011 LSOA boundaries with IMD 2019, written as GeoJSON to stdout."""
    geo, imd = REALDATA / "boundaries_geographr", REALDATA / "imd2019_energy_flex"
    lsoa11 = geo / "lsoa11_west_midlands_met.geojson"
    if not lsoa11.exists():
        pytest.skip("../shared/realdata is absent")
    folder = tmp_path / "ds"
    _ok(["init", str(folder), "--lat", "52.495", "--lon", "-1.945"])
    before = (folder / "areas.geojson").read_bytes()
    imd_file = imd / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_ENGLAND.csv"
    args = ["areas", str(folder), "-b", str(lsoa11), "--imd", str(imd_file), "--within", "1km"]
    result = _ok([*args, "-o", "-"])
    doc = json.loads(result.stdout)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) > 3
    assert {f["geometry"]["type"] for f in doc["features"]} <= {"Polygon", "MultiPolygon"}
    assert all(1 <= f["properties"]["imd_decile"] <= 10 for f in doc["features"])
    assert (folder / "areas.geojson").read_bytes() == before  # -o - replaces nothing
    assert list(in_empty_folder.iterdir()) == []


def test_bench_report_to_stdout(in_empty_folder: Path) -> None:
    args = ["--format", "json", "bench", "--sizes", "150", "--stages", "validate"]
    result = _ok([*args, "--opportunities", "10", "--out", "-"])
    report = json.loads(result.stdout)
    assert [r["stage"] for r in report["results"]] == ["synth", "validate"]
    lines = [line for line in result.stderr.splitlines() if line.startswith('{"title"')]
    table = json.loads(lines[0])
    assert table["columns"] == [
        "stage",
        "size",
        "status",
        "seconds",
        "peak_rss_mb",
        "rss_before_mb",
    ]
    seconds = {r["stage"]: r["seconds"] for r in report["results"]}
    assert {r["stage"]: r["seconds"] for r in table["rows"]} == pytest.approx(seconds)
    assert list(in_empty_folder.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["map", str(MINI), "-o", "-"],
        ["report", str(MINI), "-o", "-"],
        ["flows", str(MINI), "--map", "-"],
    ],
)
def test_html_outputs_go_to_stdout(args: list[str], in_empty_folder: Path) -> None:
    result = _ok(args)
    assert result.stdout.lstrip().lower().startswith("<!doctype html")
    assert result.stdout.rstrip().endswith("</html>")
    assert list(in_empty_folder.iterdir()) == []


def test_spend_json_to_stdout_is_the_library_result() -> None:
    result = _ok(["spend", str(MINI), "-o", "-"])
    doc = json.loads(result.stdout)
    summary = run_spend(MINI).summary
    assert {row["buyer"] for row in doc["summary"]} == set(summary["buyer"])


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["commons", str(MINI), "-o", "-"], "--out"),
        (["demo", "--out", "-", "--dataset", str(MINI)], "--out"),
        (["publish", str(MINI), "-o", "-"], "--output"),
        (["flows", str(MINI), "--csv-dir", "-"], "--csv-dir"),
        (["build", str(TESTS / "data" / "build" / "sandwell_recipe.toml"), "-o", "-"], "--output"),
        (["store", "build", str(MINI), "-o", "-"], "--out"),
        (["national", str(MINI), "-o", "-"], "--out"),
        (["init", "-"], "FOLDER"),
        (["synth", "-", "--assets", "10"], "FOLDER"),
        (["graph", str(MINI), "-o", "-", "--to", "gpkg"], "--to"),
        (["report", str(MINI), "-o", "-", "--format", "pdf"], "--output"),
        (["report", str(MINI), "-o", "-", "--format", "md"], "--output"),
        (["graph", str(MINI), "-o", "-", "--metrics-csv", "-"], "--metrics-csv"),
    ],
)
def test_folders_binaries_and_a_second_dash_are_usage_errors(
    args: list[str], flag: str, in_empty_folder: Path
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert flag in result.output
    assert result.stdout == ""
    assert list(in_empty_folder.iterdir()) == []


def test_json_tables_carry_the_library_numbers() -> None:
    demo = demo_dataset_path()
    tables = _tables(_ok(["--format", "json", "spend", str(demo)]).stdout)
    doc = tables["Spend by buyer (£ and share of included spend)"]
    assert doc["columns"][:3] == ["buyer", "total_gbp", "local_share"]
    assert doc["labels"][:2] == ["buyer", "spend £"]
    summary = run_spend(demo).summary.set_index("buyer")
    for row in doc["rows"]:
        assert isinstance(row["total_gbp"], float)
        assert row["total_gbp"] == pytest.approx(summary.loc[row["buyer"], "total_gbp"])
        assert row["local_share"] == pytest.approx(summary.loc[row["buyer"], "local_share"])
        assert row["lm3"] is None or isinstance(row["lm3"], float)


def test_csv_tables_are_plain_numbers() -> None:
    demo = demo_dataset_path()
    text = _ok(["--format", "csv", "spend", str(demo)]).stdout
    first = text.split("\n\n")[0]
    assert "£" not in first and "%" not in first
    table = pd.read_csv(io.StringIO(first)).set_index("buyer")
    assert table["total_gbp"].dtype.kind == "f"
    summary = run_spend(demo).summary.set_index("buyer")
    for buyer in summary.index:
        assert table.loc[buyer, "total_gbp"] == pytest.approx(summary.loc[buyer, "total_gbp"])


def test_suppressed_counts_are_null_and_counts_are_integers() -> None:
    tables = _tables(_ok(["--format", "json", "catalogue", str(MINI)]).stdout)
    by_area = next(doc for title, doc in tables.items() if title.startswith("Assets by area"))
    expected = catalogue(read_dataset(MINI)).by_area
    assert len(by_area["rows"]) == len(expected)
    for row, (_, want) in zip(by_area["rows"], expected.iterrows(), strict=True):
        assert isinstance(row["assets"], int) and row["assets"] == want["assets"]
        if pd.isna(want["residents"]):
            assert row["residents"] is None  # "<k" on the terminal
        else:
            assert row["residents"] == want["residents"]


def test_dash_keeps_stdout_for_the_data_and_tables_go_to_stderr() -> None:
    result = _ok(["--format", "json", "graph", str(MINI), "-o", "-"])
    graph = json.loads(result.stdout)  # one document: the graph alone
    assert set(graph) == {"directed", "multigraph", "graph", "nodes", "links"}
    lines = [line for line in result.stderr.splitlines() if line.startswith('{"title"')]
    tables = _tables("\n".join(lines))
    assert any(
        doc["columns"] == ["node_type", "nodes", "edge_type", "edges"] for doc in tables.values()
    )


def test_graph_counts_table(tmp_path: Path) -> None:
    result = _ok(["--format", "json", "graph", str(MINI), "-o", str(tmp_path / "g.gexf")])
    doc = next(d for t, d in _tables(result.stdout).items() if "nodes" in t and "edges" in t)
    assert doc["columns"] == ["node_type", "nodes", "edge_type", "edges"]
    nodes = {r["node_type"]: r["nodes"] for r in doc["rows"] if r["node_type"] is not None}
    assert sum(nodes.values()) == int(doc["title"].split(": ")[1].split()[0])
    brokers = next(d for t, d in _tables(result.stdout).items() if t.startswith("top brokers"))
    assert all(isinstance(r["betweenness"], float) for r in brokers["rows"])


def test_commons_figures_are_typed() -> None:
    tables = _tables(_ok(["--format", "json", "commons", str(demo_dataset_path())]).stdout)
    doc = next(d for t, d in tables.items() if t.endswith("community use of places"))
    figures = {r["figure"]: r["value"] for r in doc["rows"]}
    assert isinstance(figures["places_recorded"], int)
    assert figures["public_underused"] <= figures["public_places"]
    share = figures["public_underused_share"]
    assert share == pytest.approx(figures["public_underused"] / figures["public_places"])


def test_plain_values() -> None:
    assert plain_value(np.int64(3)) == 3 and isinstance(plain_value(np.int64(3)), int)
    assert plain_value(np.float32(0.5)) == 0.5
    assert plain_value(pd.NA) is None and plain_value(pd.NaT) is None
    assert plain_value(float("inf")) is None
    assert plain_value(pd.Timestamp("2024-05-01")) == "2024-05-01"
    assert plain_value(datetime(2024, 5, 1, 9, 30)) == "2024-05-01T09:30:00"
    assert plain_value(date(2024, 5, 1)) == "2024-05-01"
    assert plain_value(np.bool_(True)) is True
    assert plain_value([1, np.nan]) == [1, None]
    assert csv_cell(1234567.5) == "1234567.5" and csv_cell(None) == ""
    assert csv_cell(True) == "true" and csv_cell(["a", "b"]) == "a;b"
    assert field_name("with warnings") == "with_warnings" and field_name("£") == "value"


def test_csv_neutralises_text_formulas_not_negative_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    frame = pd.DataFrame({"name": ["=HYPERLINK(1)", "ok"], "net": [-5.0, 2.0]})
    _output.set_table_format("csv")
    try:
        _output.print_table(frame, "t")
    finally:
        _output.set_table_format("table")
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["name"].tolist() == ["'=HYPERLINK(1)", "ok"]
    assert table["net"].tolist() == [-5.0, 2.0]


def test_tables_on_stderr_are_not_cut_either() -> None:
    """With -o -, the terminal tables go to stderr, at full width when it is not a terminal."""
    result = runner.invoke(app, ["spend", str(demo_dataset_path()), "-o", "-"], terminal_width=60)
    assert result.exit_code == 0, result.output
    assert "Sandwell and West Birmingham NHS Trust" in result.stderr
    assert "…" not in result.stderr
    assert json.loads(result.stdout)["summary"]
