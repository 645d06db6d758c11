"""Raw spend files as published, through ``cwb spend --file``: every row and pound accounted for.

The town-council fixtures (tests/data/spend/messy, written by make_fixtures.py
there) hold every amount and date format of the module notes of
:mod:`cwb.dataset.parsing`; each bundled column mapping has a sample file in
tests/data/spend/mappings. CI runs these under the newest pandas; they pass
under pandas 2 as well (the parsing never depends on the dtype pandas gives).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cwb.cli import app
from cwb.spend.load import (
    READ_NOTES,
    mapping_names,
    read_mapping,
    read_spend_file,
    total_lines,
)

SPEND = Path(__file__).parent / "data" / "spend"
MESSY = SPEND / "messy"
MAPPING = MESSY / "town_council.toml"
runner = CliRunner()

#: Per bundled mapping: rows of its sample, rows included and their £
#: (bcc-pcards: 1234.56 + 45 - 20 - 20 + 88.10 billed in GBP + 0 for "£-").
MAPPING_SAMPLES = {"bcc-pcards": (6, 6, 1327.66)}


def run_spend(tmp_path: Path, *args: str) -> tuple[str, dict]:
    target = tmp_path / "out.json"
    result = runner.invoke(
        app, ["spend", str(SPEND), *args, "-o", str(target)], env={"COLUMNS": "220"}
    )
    assert result.exit_code == 0, result.output
    return result.output, json.loads(target.read_text())


def reconciled(data: dict) -> dict[str, tuple[int, float]]:
    return {r["line"]: (r["transactions"], r["amount_gbp"]) for r in data["reconciliation"]}


def test_town_council_csv_reconciles_exactly(tmp_path):
    output, data = run_spend(
        tmp_path, "--file", str(MESSY / "town_council.csv"), "-m", str(MAPPING)
    )
    rec = reconciled(data)
    # 1800 + 32400 - 1200.50 + 0 + 0 + 1234.56 + 250 - 45 + 500 + 12.50 + 1000
    assert rec["read"] == (12, 35951.56)
    assert rec["included"] == (11, 35951.56)
    assert rec["excluded: invalid_amount"] == (1, 0.0)  # "n/a" is named, not dropped
    included_and_excluded = sum(
        n for line, (n, _) in rec.items() if line.startswith(("inc", "exc"))
    )
    assert included_and_excluded == rec["read"][0]
    years = {r["year"]: r["total_gbp"] for r in data["by_year"] if r["buyer"] == "(all buyers)"}
    # Mar-16 falls in 2015-16; 'Ongoing' and 31/02/2016 have no year
    assert years == {"2015-16": 0.0, "2016-17": 34217.0, "unknown": 1734.56}
    notes = " | ".join(data["notes"])
    assert (
        "12 rows; amounts: 9 read, 2 written as a dash (read as £0), 0 empty, 1 unreadable" in notes
    )
    assert "row 13 'n/a'" in notes
    assert (
        "dates (day first): 8 read, 1 month only (read as the 1st), 1 empty, 2 unreadable" in notes
    )
    assert "row 9 'Ongoing', row 12 '31/02/2016'" in notes
    assert "header on row 3" in output


def test_town_council_workbook_sheets(tmp_path):
    _, first = run_spend(tmp_path, "--file", str(MESSY / "town_council.xlsx"), "-m", str(MAPPING))
    assert reconciled(first)["read"] == (6, 32849.49)  # 1800 + 32400 + 0 - 1200.50 - 250 + 99.99
    notes = " | ".join(first["notes"])
    assert "header is repeated on 1 row(s) (9); skipped" in notes
    assert "choose another with --sheet" in notes
    _, second = run_spend(
        tmp_path,
        "--file",
        str(MESSY / "town_council.xlsx"),
        "-m",
        str(MAPPING),
        "--sheet",
        "2017-18",
    )
    assert reconciled(second)["read"] == (2, 3500.0)  # the sheet's "Total 3500" is not a payment
    assert "1 total line(s) skipped, not payments: row 4 'Total 3500'" in " ".join(second["notes"])


def test_sheet_errors_exit_2(tmp_path):
    args = ["spend", str(SPEND), "--file", str(MESSY / "town_council.xlsx"), "-m", str(MAPPING)]
    result = runner.invoke(app, [*args, "--sheet", "Payments"])
    assert result.exit_code == 2
    assert "no sheet 'Payments'" in result.output
    result = runner.invoke(app, ["spend", str(SPEND), "--sheet", "1"])
    assert result.exit_code == 2
    assert "--sheet: needs a spend file" in result.output


def test_cp1252_file_reads_like_the_utf8_one():
    cp = read_spend_file(MESSY / "town_council_cp1252.csv", MAPPING)
    utf = read_spend_file(MESSY / "town_council.csv", MAPPING)
    pd.testing.assert_series_equal(cp["amount"], utf["amount"].iloc[:6])
    assert cp["date"].tolist() == utf["date"].iloc[:6].tolist()
    assert any("cp1252" in n for n in cp.attrs[READ_NOTES])


def test_written_cells_and_rows_are_kept():
    spend = read_spend_file(MESSY / "town_council.csv", MAPPING)
    row = spend.set_index("id").loc["TC003"]
    assert (row["amount"], row["amount_as_written"]) == (-1200.5, "(1,200.50)")
    assert (row["date"], row["date_as_written"], row["source_row"]) == (
        "2016-05-03",
        "03/05/2016",
        6,
    )


def test_every_bundled_mapping_has_a_sample():
    assert set(mapping_names()) == set(MAPPING_SAMPLES)


@pytest.mark.parametrize("name", sorted(MAPPING_SAMPLES))
def test_bundled_mapping_sample_reconciles(tmp_path, name):
    rows, included, pounds = MAPPING_SAMPLES[name]
    _, data = run_spend(tmp_path, "--file", str(SPEND / "mappings" / f"{name}.csv"), "-m", name)
    rec = reconciled(data)
    assert rec["read"][0] == rows
    assert rec["included"] == (included, pounds)
    assert not any("unreadable" in n and ", 0 unreadable" not in n for n in data["notes"])


def test_total_lines_need_an_empty_supplier():
    raw = pd.DataFrame(
        {
            "Supplier": ["A Ltd", "", "Totals Ltd", "B Ltd"],
            "Note": ["", "Grand total", "", "Total"],
            "Amount": ["1", "2", "3", "4"],
        }
    )
    mapping = read_mapping(MAPPING)
    mapping = replace(mapping, columns={"supplier_name": "Supplier", "amount": "Amount"})
    assert total_lines(raw, mapping).tolist() == [False, True, False, False]
