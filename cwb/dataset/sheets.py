"""Read tables as people publish them: CSV of any encoding and delimiter, Excel sheets with titles.

A council's CSV may be Windows-1252 and semicolon-separated; its workbook may
have a title above the header, a blank first column, the header repeated where
two months were pasted together, and several sheets. :func:`read_published_table`
reads both into text cells and reports, in :attr:`PublishedTable.notes`, every
decision it took (encoding, delimiter, sheet, header row, rows skipped), so
that the rows kept plus the rows skipped add up to the rows in the file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from charset_normalizer import from_bytes

from cwb.dataset.raw import cells_as_text
from cwb.errors import UsageError

#: Rows searched for the header (a title block above it is skipped).
HEADER_SEARCH_ROWS = 30
#: Delimiters the sniffer may choose between.
DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass
class PublishedTable:
    """A table read from a published file.

    Attributes
    ----------
    cells
        Every cell as text ("" when empty), one row per data row, named by the header.
    rows
        The file's own row (line) number of each kept row, as a spreadsheet shows it.
    notes
        What the reader decided and skipped, for the user.
    skipped
        Rows of the file below the header that are not data: ``{"blank": n, "repeated header": n}``.
    """

    cells: pd.DataFrame
    rows: pd.Series
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


def read_published_table(
    path: str | Path, *, sheet: str | None = None, expected: list[str] | None = None
) -> PublishedTable:
    """Read a CSV/text or .xlsx file into text cells, finding its header row.

    Parameters
    ----------
    path
        A text file (``.csv``, ``.tsv``, ``.txt``; encoding and delimiter detected)
        or an ``.xlsx`` workbook.
    sheet
        Workbook sheet: its name, or its position counting from 1; default the first.
    expected
        Column names the header should contain (e.g. a column mapping's sources): the
        first row holding most of them is the header. Without it, the first row as
        wide as the table is.

    Raises
    ------
    UsageError
        When the file is missing, the sheet unknown, or no header row is found.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    notes: list[str] = []
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        grid = _read_sheet(path, sheet, notes)
    elif path.suffix.lower() == ".xls":
        raise UsageError(
            f"{path.name}: old Excel .xls files are not read; open it in Excel or LibreOffice "
            "and save it as .xlsx or CSV UTF-8"
        )
    else:
        if sheet is not None:
            raise UsageError(f"--sheet is for Excel workbooks; {path.name} is a text file")
        grid = _read_text(path, notes)
    return _tabulate(grid, path.name, expected, notes)


def _read_text(path: Path, notes: list[str]) -> list[list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        encoding = _guess_encoding(data)
        text = data.decode(encoding, errors="replace")
        notes.append(f"{path.name} is not UTF-8: read as {encoding} (detected)")
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    if delimiter != ",":
        notes.append(f"{path.name}: columns separated by {_DELIMITER_NAMES[delimiter]}s (detected)")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _guess_encoding(data: bytes) -> str:
    """Windows-1252 (what UK spreadsheets save) unless the bytes say otherwise.

    charset-normalizer's guess is taken when it is a Unicode encoding or when the
    bytes are not valid Windows-1252; single-byte guesses such as cp1250 would turn
    a pound sign into another letter, so they are not trusted over Windows-1252.
    """
    best = from_bytes(data).best()
    guess = best.encoding if best is not None else None
    if guess and guess.startswith(("utf", "utf_")):
        return guess
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return guess or "latin-1"
    return "cp1252"


def _read_sheet(path: Path, sheet: str | None, notes: list[str]) -> list[list[str]]:
    with pd.ExcelFile(path, engine="openpyxl") as book:
        names = [str(n) for n in book.sheet_names]
        if sheet is None:
            chosen = names[0]
            if len(names) > 1:
                notes.append(
                    f"{path.name} has {len(names)} sheets ({', '.join(names)}); read "
                    f"{chosen!r} (choose another with --sheet)"
                )
        elif sheet in names:
            chosen = sheet
        elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
            chosen = names[int(sheet) - 1]
        else:
            raise UsageError(
                f"{path.name} has no sheet {sheet!r}; its sheets are {', '.join(names)} "
                "(give a name or a position from 1)"
            )
        if sheet is not None:
            notes.append(f"{path.name}: read sheet {chosen!r}")
        frame = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object)
    return cells_as_text(frame).to_numpy().tolist()


def _tabulate(
    grid: list[list[str]], name: str, expected: list[str] | None, notes: list[str]
) -> PublishedTable:
    width = max((len(r) for r in grid), default=0)
    rows = [[str(c).strip() for c in r] + [""] * (width - len(r)) for r in grid]
    filled = [sum(c != "" for c in r) for r in rows]
    if not any(filled):
        raise UsageError(f"{name} has no rows")
    at = _header_row(rows, filled, expected)
    if at is None:
        raise UsageError(
            f"{name}: no header row naming {', '.join(expected or [])} in its first "
            f"{HEADER_SEARCH_ROWS} rows"
        )
    if at:
        notes.append(f"{name}: header on row {at + 1}; {at} row(s) above it skipped (title)")
    header = rows[at]
    body = rows[at + 1 :]
    keep_cols = [j for j in range(width) if header[j] != "" or any(r[j] != "" for r in body)]
    dropped = width - len(keep_cols)
    if dropped:
        notes.append(f"{name}: {dropped} blank column(s) ignored")
    names = _column_names([header[j] for j in keep_cols], name, notes)
    kept: list[list[str]] = []
    numbers: list[int] = []
    blank: list[int] = []
    repeated: list[int] = []
    for offset, row in enumerate(body):
        cells = [row[j] for j in keep_cols]
        line = at + 2 + offset
        if not any(cells):
            blank.append(line)
        elif [c.casefold() for c in cells] == [h.casefold() for h in names]:
            repeated.append(line)
        else:
            kept.append(cells)
            numbers.append(line)
    if repeated:
        shown = ", ".join(map(str, repeated[:5])) + (" …" if len(repeated) > 5 else "")
        notes.append(f"{name}: the header is repeated on {len(repeated)} row(s) ({shown}); skipped")
    if blank:
        notes.append(f"{name}: {len(blank)} blank row(s) skipped")
    cells = pd.DataFrame(kept, columns=names, dtype=object)
    return PublishedTable(
        cells=cells,
        rows=pd.Series(numbers, index=cells.index, dtype="int64"),
        notes=notes,
        skipped={"blank": len(blank), "repeated header": len(repeated)},
    )


def _header_row(rows: list[list[str]], filled: list[int], expected: list[str] | None) -> int | None:
    head = range(min(HEADER_SEARCH_ROWS, len(rows)))
    if expected:
        wanted = {e.casefold() for e in expected}
        hits = [len(wanted & {c.casefold() for c in rows[i]}) for i in head]
        best = max(hits, default=0)
        return hits.index(best) if best else None
    widest = max(filled[i] for i in head)
    return next(i for i in head if filled[i] >= max(2, 0.8 * widest) or filled[i] == widest)


def _column_names(header: list[str], name: str, notes: list[str]) -> list[str]:
    out: list[str] = []
    for j, text in enumerate(header, start=1):
        label = text or f"column_{j}"
        if not text:
            notes.append(f"{name}: column {j} has no header; named {label}")
        while label in out:
            label += "_2"
        out.append(label)
    return out
