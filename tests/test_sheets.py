"""Reading tables as people publish them (cwb.dataset.sheets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from cwb.dataset.sheets import read_published_table
from cwb.errors import UsageError

MESSY = Path(__file__).parent / "data" / "spend" / "messy"
HEADER = ["Transaction", "Date", "Supplier", "Expense type", "£ (net)"]


def test_csv_with_a_title_row_finds_its_header():
    table = read_published_table(MESSY / "town_council.csv")
    assert list(table.cells.columns) == HEADER
    assert len(table.cells) == 12
    assert table.rows.tolist() == list(range(4, 16))  # the file's own line numbers
    assert any("header on row 3" in n for n in table.notes)


def test_cp1252_semicolon_file_is_detected_and_reported():
    table = read_published_table(MESSY / "town_council_cp1252.csv")
    assert list(table.cells.columns) == HEADER
    assert table.cells["£ (net)"].tolist()[:2] == ["1,800", "£32,400"]
    assert any("not UTF-8: read as cp1252" in n for n in table.notes)
    assert any("semicolons" in n for n in table.notes)


def test_tab_separated_utf8(tmp_path):
    path = tmp_path / "spend.tsv"
    path.write_text("Date\tSupplier\tAmount\n01/04/2016\tA Ltd\t1,800\n", encoding="utf-8")
    table = read_published_table(path)
    assert table.cells.to_dict("records") == [
        {"Date": "01/04/2016", "Supplier": "A Ltd", "Amount": "1,800"}
    ]
    assert any("tabs" in n for n in table.notes)


def test_workbook_blank_column_title_and_repeated_header():
    table = read_published_table(MESSY / "town_council.xlsx")
    assert list(table.cells.columns) == HEADER
    assert table.cells["Transaction"].tolist() == ["X001", "X002", "X003", "X004", "X005", "X006"]
    assert table.rows.tolist() == [4, 5, 6, 7, 10, 11]
    assert table.skipped == {"blank": 1, "repeated header": 1}
    notes = " | ".join(table.notes)
    assert "2 sheets (2016-17, 2017-18)" in notes
    assert "repeated on 1 row(s) (9)" in notes
    assert "1 blank column(s) ignored" in notes
    # a real Excel date becomes ISO text, a number its digits
    assert table.cells.loc[0, "Date"] == "2016-04-01"
    assert table.cells.loc[0, "£ (net)"] == "1800"


@pytest.mark.parametrize("sheet", ["2017-18", "2"])
def test_sheet_by_name_or_position(sheet):
    table = read_published_table(MESSY / "town_council.xlsx", sheet=sheet)
    # the total line is a row of the sheet; the spend reader skips it (test_spend_files)
    assert table.cells["Transaction"].tolist() == ["Y001", "Y002", "Total"]


def test_unknown_sheet_names_the_sheets():
    with pytest.raises(UsageError, match="no sheet 'Payments'.*2016-17, 2017-18"):
        read_published_table(MESSY / "town_council.xlsx", sheet="Payments")


def test_expected_columns_pick_the_header(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Report", "generated", "by", "finance"])  # as wide as the data: a decoy
    sheet.append(["Date", "Supplier", "Amount", "Notes"])
    sheet.append(["01/04/2016", "A Ltd", 5, "x"])
    book.save(tmp_path / "decoy.xlsx")
    table = read_published_table(tmp_path / "decoy.xlsx", expected=["Supplier", "Amount"])
    assert list(table.cells.columns) == ["Date", "Supplier", "Amount", "Notes"]
    with pytest.raises(UsageError, match="no header row naming Payee"):
        read_published_table(tmp_path / "decoy.xlsx", expected=["Payee"])


def test_old_xls_and_sheet_on_csv_are_usage_errors(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UsageError, match="save it as .xlsx"):
        read_published_table(tmp_path / "old.xls")
    with pytest.raises(UsageError, match="--sheet is for Excel"):
        read_published_table(MESSY / "town_council.csv", sheet="1")
