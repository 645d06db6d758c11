"""The Excel template ``cwb init --excel`` writes: one workbook volunteers can fill in.

Named sheets (``assets``, ``opportunities``, ``links``), an ``instructions`` sheet
first, drop-down lists for kind, category, opportunity type and yes/no columns (their
values on a hidden ``lists`` sheet), typed cells (numbers as numbers, dates as
dates), a frozen bold header and an ``example`` column: the template's example rows
say ``yes`` there and are left out of every figure until they are deleted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from cwb._atomic import atomic_path
from cwb.dataset.schema import (
    ALL_CATEGORIES,
    ASSET_CATEGORIES,
    OPPORTUNITY_TYPES,
    TABLES,
    Column,
    TableSpec,
)

#: The workbook ``cwb init --excel`` writes, and the tables it holds (one sheet each).
WORKBOOK_NAME = "dataset.xlsx"
WORKBOOK_TABLES: tuple[str, ...] = ("assets", "opportunities", "links")
#: Rows the drop-down lists and cell formats cover below the header.
TEMPLATE_ROWS = 2000
#: The example column's heading (see :data:`cwb.dataset.validate.EXAMPLE_COLUMN`).
EXAMPLE = "example"

_LISTS: dict[str, tuple[str, ...]] = {
    "kind": tuple(ASSET_CATEGORIES),
    "category": ALL_CATEGORIES,
    "type": OPPORTUNITY_TYPES,
    "yes_no": ("yes", "no"),
}

_INSTRUCTIONS: tuple[str, ...] = (
    "How to fill in this workbook (cwb, community wealth building)",
    "One row per asset on the 'assets' sheet; one per job, contract, training place or "
    "space on the 'opportunities' sheet; one per relationship on the 'links' sheet.",
    "Pick kind, category, type and yes/no values from the drop-down list in each cell.",
    "A row needs a place: a postcode is enough (cwb looks it up), or lat and lon.",
    "Write numbers as numbers (12, 250000) and dates as dates (2024-10-06).",
    "The grey example rows say 'yes' in the example column: cwb leaves them out of every "
    "figure. Delete them once your own rows are in.",
    "Residents (kind human) are only ever shown in groups; never write their names or "
    "contact details.",
    "Then check the workbook:  cwb validate FOLDER   (problems are listed by sheet and row)",
    "",
    "Columns of each sheet (* = required):",
)


def write_template_workbook(path: Path, examples: dict[str, list[dict[str, str]]]) -> Path:
    """Write the template workbook to ``path`` with ``examples`` rows per table; return it."""
    book = Workbook()
    instructions = book.active
    assert instructions is not None
    instructions.title = "instructions"
    lists = book.create_sheet("lists")
    ranges = _write_lists(lists)
    lists.sheet_state = "hidden"
    for name in WORKBOOK_TABLES:
        spec = TABLES[name]
        sheet = book.create_sheet(name, index=len(book.sheetnames) - 1)
        _write_table_sheet(sheet, spec, examples.get(name, []), ranges)
    _write_instructions(instructions)
    with atomic_path(path) as tmp:
        book.save(tmp)
    return path


def _write_lists(sheet: Worksheet) -> dict[str, str]:
    ranges = {}
    for j, (name, values) in enumerate(_LISTS.items(), start=1):
        letter = get_column_letter(j)
        sheet.cell(row=1, column=j, value=name)
        for i, value in enumerate(values, start=2):
            sheet.cell(row=i, column=j, value=value)
        ranges[name] = f"lists!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _columns(spec: TableSpec) -> list[Column]:
    return [c for c in spec.columns if not c.private and c.name != "precision"]


def _write_table_sheet(
    sheet: Worksheet, spec: TableSpec, examples: list[dict[str, str]], ranges: dict[str, str]
) -> None:
    columns = _columns(spec)
    headings = [c.name for c in columns] + [EXAMPLE]
    for j, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=1, column=j, value=heading)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(j)].width = max(12, len(heading) + 2)
    grey = Font(color="808080", italic=True)
    for i, row in enumerate(examples, start=2):
        for j, column in enumerate(columns, start=1):
            cell = sheet.cell(row=i, column=j, value=_typed(row.get(column.name, ""), column))
            cell.font = grey
            if column.type == "date":
                cell.number_format = "yyyy-mm-dd"
        sheet.cell(row=i, column=len(headings), value="yes").font = grey
    last = TEMPLATE_ROWS + 1
    for j, maybe in enumerate([*columns, None], start=1):
        letter = get_column_letter(j)
        area = f"{letter}2:{letter}{last}"
        source = _list_for(maybe)
        if source:
            check = DataValidation(
                type="list",
                formula1=ranges[source],
                allow_blank=True,
                showErrorMessage=source != "category",  # a new category is flagged by cwb
                errorTitle="Not in the list",
                error="Pick a value from the drop-down list.",
            )
            check.add(area)
            sheet.add_data_validation(check)
    sheet.freeze_panes = "A2"


def _list_for(column: Column | None) -> str | None:
    if column is None or column.type == "bool":
        return "yes_no"
    if column.name in ("kind", "category", "type"):
        return column.name
    return None


def _typed(text: str, column: Column) -> object:
    """A template cell as Excel should hold it: numbers as numbers, dates as dates."""
    if text == "":
        return None
    if column.type in ("int", "float"):
        number = float(text)
        return int(number) if column.type == "int" or number.is_integer() else number
    if column.type == "date":
        return date.fromisoformat(text[:10])
    if column.type == "bool":
        return "yes" if text.lower() in ("true", "yes", "1") else "no"
    return text


def _write_instructions(sheet: Worksheet) -> None:
    lines = list(_INSTRUCTIONS)
    for name in WORKBOOK_TABLES:
        lines.append("")
        lines.append(f"Sheet '{name}': {TABLES[name].description}")
        for column in _columns(TABLES[name]):
            mark = "*" if column.required else " "
            lines.append(f"  {mark} {column.name}: {column.description}")
        lines.append(f"    {EXAMPLE}: yes on the template's example rows (left out of figures).")
    lines.append("")
    lines.append("Kinds and their categories:")
    lines += [f"  {kind}: {', '.join(cats)}" for kind, cats in ASSET_CATEGORIES.items()]
    for i, line in enumerate(lines, start=1):
        cell = sheet.cell(row=i, column=1, value=line)
        if i == 1:
            cell.font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 120
