"""Write the messy spend fixtures of this folder (run from the repository root).

town_council.csv: a town council's payments as published (UTF-8): a title row,
amounts "1,800", "£32,400", "(1,200.50)", "£-", "-", dates dd/mm/yyyy, dd-Mon-yy,
Mon-yy, ISO and "Ongoing". town_council_cp1252.csv: part of it in Windows-1252,
semicolon-separated. town_council.xlsx: two sheets, a blank first column, a
title above the header, the header repeated mid-sheet, real Excel dates and numbers,
and a total line under the second sheet.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
HEADER = ["Transaction", "Date", "Supplier", "Expense type", "£ (net)"]
ROWS = [
    ["TC001", "01/04/2016", "Anytown Grounds Ltd", "Grounds maintenance", "1,800"],
    ["TC002", "15-Apr-16", "Midlands Electric plc", "Electricity", "£32,400"],
    ["TC003", "03/05/2016", "Anytown Grounds Ltd", "Grounds maintenance", "(1,200.50)"],
    ["TC004", "Mar-16", "County Pension Fund", "Pensions", "£-"],
    ["TC005", "2016-06-30", "Office Supplies Co", "Stationery", "-"],
    ["TC006", "Ongoing", "Hall Cleaning CIC", "Cleaning", "£1,234.56"],
    ["TC007", "1/7/16", "Print Works", "Printing", "250"],
    ["TC008", "12-Aug-2016", "Midlands Electric plc", "Electricity", "-45.00"],
    ["TC009", "31/02/2016", "Village Hall Trust", "Grants", "£ 500.00"],
    ["TC010", "", "Anytown Grounds Ltd", "Grounds maintenance", "n/a"],
    ["TC011", "20 September 2016", "Bank charges", "Bank charges", "12.5"],
    ["TC012", "03/10/2016 00:00", "Print Works", "Printing", "1,000.00"],
]


def write_csv() -> None:
    with (HERE / "town_council.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Anytown Town Council: payments 2016-17"])
        w.writerow([])
        w.writerow(HEADER)
        w.writerows(ROWS)
    with (HERE / "town_council_cp1252.csv").open("w", encoding="cp1252", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADER)
        w.writerows(r for r in ROWS[:6])


def write_xlsx() -> None:
    book = Workbook()
    first = book.active
    first.title = "2016-17"
    first.append([None, "Anytown Town Council: payments 2016-17"])
    first.append([])
    first.append([None, *HEADER])
    first.append([None, "X001", datetime(2016, 4, 1), "Anytown Grounds Ltd", "Grounds", 1800])
    first.append([None, "X002", "15-Apr-16", "Midlands Electric plc", "Electricity", "£32,400"])
    first.append([None, "X003", "Mar-16", "County Pension Fund", "Pensions", "£-"])
    first.append([None, "X004", "Ongoing", "Hall Cleaning CIC", "Cleaning", -1200.5])
    first.append([])
    first.append([None, *HEADER])
    first.append([None, "X005", datetime(2016, 11, 3), "Print Works", "Printing", "(250.00)"])
    first.append([None, "X006", "01/12/2016", "Office Supplies Co", "Stationery", 99.99])
    second = book.create_sheet("2017-18")
    second.append(HEADER)
    second.append(["Y001", datetime(2017, 4, 3), "Anytown Grounds Ltd", "Grounds", 2000])
    second.append(["Y002", "04/05/2017", "Print Works", "Printing", "£1,500"])
    second.append(["Total", None, None, None, 3500])
    book.save(HERE / "town_council.xlsx")


if __name__ == "__main__":
    write_csv()
    write_xlsx()
