"""Nothing executable leaves cwb: formula triggers are neutralised in every CSV and XLSX."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset, write_table
from cwb.safe_output import (
    TRIGGERS,
    is_formula,
    neutralise_frame,
    raw_output,
    unneutralise_text,
    write_excel,
)

runner = CliRunner()
PAYLOADS = [f"{t}cmd|' /C calc'!A0 {i}" for i, t in enumerate(TRIGGERS)]


@pytest.fixture
def poisoned(mini_copy: Path) -> Path:
    """The mini dataset with names, titles, suppliers and area names starting with triggers."""
    assets = pd.read_csv(mini_copy / "assets.csv", dtype=str, keep_default_na=False)
    assets["name"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(assets))]
    assets.to_csv(mini_copy / "assets.csv", index=False, lineterminator="\r\n")
    opps = pd.read_csv(mini_copy / "opportunities.csv", dtype=str, keep_default_na=False)
    opps["title"] = [PAYLOADS[-1 - i % len(PAYLOADS)] for i in range(len(opps))]
    opps.to_csv(mini_copy / "opportunities.csv", index=False, lineterminator="\r\n")
    spend = pd.read_csv(mini_copy / "spend.csv", dtype=str, keep_default_na=False)
    spend["supplier_name"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(spend))]
    spend["buyer"] = '=HYPERLINK("http://evil.example")'
    spend.to_csv(mini_copy / "spend.csv", index=False, lineterminator="\r\n")
    areas = json.loads((mini_copy / "areas.geojson").read_text())
    for feature in areas["features"]:
        feature["properties"]["name"] = "@SUM(1+1)*cmd"
    (mini_copy / "areas.geojson").write_text(json.dumps(areas))
    return mini_copy


def _live_formulas(folder: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(folder.rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                found += [(path.name, cell) for cell in row if is_formula(cell)]
    return found


def _run(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def _run_every_csv_command(dataset: Path, out: Path, *extra: str) -> None:
    _run("demo", "--dataset", str(dataset), "--out", str(out / "demo"), *extra)
    _run("match", str(dataset), "-o", str(out / "matches.csv"), *extra)
    _run("gaps", str(dataset), "-o", str(out / "gaps.csv"), *extra)
    _run("spend", str(dataset), "-o", str(out / "spend.csv"), *extra)
    _run("catalogue", str(dataset), "--csv", str(out / "catalogue.csv"), *extra)
    _run("graph", str(dataset), "-o", str(out / "g.graphml"), "--metrics-csv",
         str(out / "metrics.csv"), *extra)  # fmt: skip


def test_no_command_writes_a_live_formula(poisoned: Path, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    _run_every_csv_command(poisoned, tmp_path)
    written = {p.name for p in tmp_path.rglob("*.csv")}
    assert {"matches.csv", "gaps.csv", "spend.csv", "catalogue.csv", "metrics.csv"} <= written
    assert {"allocation.csv", "consortia.csv", "spend_summary.csv"} <= written
    assert _live_formulas(tmp_path) == []
    # the payloads are there, quoted: neutralised, not dropped
    text = (tmp_path / "matches.csv").read_text(encoding="utf-8")
    assert any(f"'{p}" in text for p in PAYLOADS)
    assert "'=HYPERLINK" in (tmp_path / "spend.csv").read_text(encoding="utf-8")


def test_raw_csv_flag_keeps_cells_as_they_are(poisoned: Path, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    _run("spend", str(poisoned), "-o", str(tmp_path / "spend.csv"), "--raw-csv")
    _run("catalogue", str(poisoned), "--csv", str(tmp_path / "catalogue.csv"), "--raw-csv")
    assert any(cell.startswith("=HYPERLINK") for _, cell in _live_formulas(tmp_path))
    # the next command is safe again: the flag does not leak between invocations
    _run("spend", str(poisoned), "-o", str(tmp_path / "again.csv"))
    assert "'=HYPERLINK" in (tmp_path / "again.csv").read_text(encoding="utf-8")


def test_environment_variable_turns_it_off(
    poisoned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CWB_RAW_CSV", "1")
    tmp_path = tmp_path / "out"
    _run("spend", str(poisoned), "-o", str(tmp_path / "spend.csv"))
    assert _live_formulas(tmp_path)


def test_numbers_are_left_alone() -> None:
    frame = pd.DataFrame(
        {"name": ["-3.5", "+44 121 496 0000", "-", "ok"], "value": [-3.5, -1.0, 2.0, 0.0]}
    )
    out = neutralise_frame(frame)
    assert out["name"].tolist() == ["-3.5", "'+44 121 496 0000", "'-", "ok"]
    assert out["value"].tolist() == [-3.5, -1.0, 2.0, 0.0]
    assert neutralise_frame(frame, formula_safe=False) is frame
    with raw_output():
        assert neutralise_frame(frame) is frame


def test_categorical_text_is_neutralised_too() -> None:
    """A categorical column's categories are text from the data as much as a str column's."""
    frame = pd.DataFrame(
        {
            "reason": pd.Categorical(['=HYPERLINK("http://x")', "ok", "ok", None]),
            "band": pd.Categorical([1, 2, 1, 2]),
        }
    )
    out = neutralise_frame(frame)
    assert out["reason"].tolist()[:3] == ['\'=HYPERLINK("http://x")', "ok", "ok"]
    assert pd.isna(out["reason"].iloc[3])
    assert out["band"].tolist() == [1, 2, 1, 2]


def test_dataset_tables_round_trip(poisoned: Path, tmp_path: Path) -> None:
    """A dataset cwb writes is safe to open in Excel and reads back with the same names."""
    ds = read_dataset(poisoned)
    tmp_path = tmp_path / "out"
    write_table(ds.assets, tmp_path / "assets.csv")
    assert _live_formulas(tmp_path) == []
    back = pd.read_csv(tmp_path / "assets.csv", dtype=str, keep_default_na=False)
    assert unneutralise_text(back)["name"].tolist() == ds.assets["name"].tolist()
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("dataset.toml", "opportunities.csv", "areas.geojson"):
        (copy / name).write_bytes((poisoned / name).read_bytes())
    (copy / "dataset.toml").write_text(
        (poisoned / "dataset.toml").read_text().split("[files]")[0]
        + '[files]\nassets = "assets.csv"\nopportunities = "opportunities.csv"\n'
        'areas = "areas.geojson"\n'
    )
    write_table(ds.assets, copy / "assets.csv")
    assert read_dataset(copy).assets["name"].tolist() == ds.assets["name"].tolist()


def test_xlsx_cells_are_text_not_formulas(poisoned: Path, tmp_path: Path) -> None:
    ds = read_dataset(poisoned)
    write_table(ds.assets, tmp_path / "assets.xlsx")
    write_excel(pd.DataFrame({"name": PAYLOADS}), tmp_path / "plain.xlsx")
    for name in ("assets.xlsx", "plain.xlsx"):
        sheet = openpyxl.load_workbook(tmp_path / name).active
        cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
        assert all(c.data_type != "f" for c in cells)
        values = {c.value for c in cells}
        assert PAYLOADS[0] in values  # kept as it is, as text
    raw = tmp_path / "raw.xlsx"
    write_excel(pd.DataFrame({"name": PAYLOADS}), raw, formula_safe=False)
    sheet = openpyxl.load_workbook(raw).active
    assert sheet["A2"].data_type == "f"


def test_init_excel_templates_hold_no_formulas(tmp_path: Path) -> None:
    _run("init", str(tmp_path / "new"), "--excel")
    for path in (tmp_path / "new").glob("*.xlsx"):
        sheet = openpyxl.load_workbook(path).active
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
