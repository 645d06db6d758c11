"""The CLI's one table printer, and its one rule for ``-o -`` (standard output).

Tables print as rich tables on a terminal, or with ``cwb --format json|csv`` as
typed data: numbers as numbers, missing values as null (empty in CSV), dates as
ISO 8601, under stable snake_case column names (see :func:`field_name`).
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from cwb.cli.app import out

if TYPE_CHECKING:
    import pandas as pd

#: Formats one cell: (column key, value) → text.
CellFormat = Callable[[str, object], str]

#: The path that means standard output (``-o -``).
STDOUT = "-"
#: ``suffix`` of :func:`output_target` for an option that names a folder.
FOLDER = "/"
#: Suffixes of files that are not text: never written to standard output.
BINARY_SUFFIXES = (".gpkg", ".pdf", ".png", ".xlsx", ".parquet", ".zip", ".svgz")


def is_missing(value: object) -> bool:
    """Whether a cell is empty: None, NaN, ``pd.NA`` or ``pd.NaT``."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def table_of(
    data: pd.DataFrame | Iterable[Sequence[object]],
    title: str,
    *,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    right: Collection[str] | None = None,
    na: str = "",
    cell: CellFormat | None = None,
) -> Table:
    """A rich table of ``data``, every label and cell escaped (dataset text is not markup).

    Parameters
    ----------
    data
        A DataFrame, or rows (sequences of values in the order of ``columns``).
    title
        The table's title.
    columns
        Keys to show, or key → label; for a DataFrame, default all its columns.
        Rows need it (labels may repeat).
    right
        Keys of right-aligned columns; default the numeric columns of a
        DataFrame, and for rows the columns whose values are all numbers.
    na
        Text of empty cells (when ``cell`` is not given).
    cell
        Formats each cell from its column key and value, missing values included.

    Returns
    -------
    Table
        The table, ready for ``Console.print``.
    """
    keys, labels, rows = _columns_and_rows(data, columns)
    if right is not None:
        aligned = set(right)
    elif _is_frame(data):
        frame: Any = data
        chosen = list(columns) if columns is not None else list(frame.columns)
        aligned = {str(c) for c in chosen if frame[c].dtype.kind in "iuf"}
    else:
        aligned = {k for i, k in enumerate(keys) if rows and all(_is_number(r[i]) for r in rows)}
    table = Table(title=escape(title))
    for key, label in zip(keys, labels, strict=True):
        table.add_column(escape(str(label)), justify="right" if key in aligned else "left")
    for row in rows:
        table.add_row(*(escape(_text(k, v, na, cell)) for k, v in zip(keys, row, strict=True)))
    return table


#: How :func:`print_table` prints: ``table`` (rich), ``json`` or ``csv`` (``cwb --format``).
TABLE_FORMATS = ("table", "json", "csv")
_STATE: dict[str, str] = {"format": "table"}


def set_table_format(fmt: str) -> None:
    """Print every later table as ``fmt`` (:data:`TABLE_FORMATS`).

    With ``json`` or ``csv`` the tables alone go to stdout (one JSON document per
    line, or CSV tables separated by a blank line) and every other message to stderr.
    Also forgets an earlier command's ``-o -`` (each command starts here).
    """
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {fmt!r}")
    _STATE.clear()
    _STATE["format"] = fmt
    out.stderr = fmt != "table"  # the console follows sys.stdout/sys.stderr as they are swapped


def is_data_format() -> bool:
    """Whether tables are printed as data (``--format json``/``csv``), not for reading."""
    return _STATE["format"] != "table"


def print_table(
    data: pd.DataFrame | Iterable[Sequence[object]],
    title: str,
    *,
    console: Console | None = None,
    typed: pd.DataFrame | None = None,
    **options: Any,
) -> None:
    """Print ``data`` as a table on ``console`` (default stdout).

    ``options`` are those of :func:`table_of`: ``columns``, ``right``, ``na``, ``cell``.
    In the ``json``/``csv`` formats (:func:`set_table_format`) the values are
    printed typed, not as the table shows them (``cell`` and ``na`` format the
    table only), under the keys of ``columns`` made snake_case
    (:func:`field_name`); ``typed`` replaces ``data`` (and ``columns``) there when the
    table shows text made up of several values. When stdout is not a terminal
    the table is printed at its full width: no cell is cut.
    """
    fmt = _STATE["format"]
    if fmt != "table" and console is None:
        if typed is not None:
            _print_data(typed, title, fmt, None)
        else:
            _print_data(data, title, fmt, options.get("columns"))
        return
    table = table_of(data, title, **options)
    target = console or out
    if not target.is_terminal:
        wide = target.options.update_width(100_000)
        width = max(Measurement.get(target, wide, table).maximum, 20)
        target = Console(file=target.file, width=width, no_color=True, highlight=False)
    target.print(table)


def field_name(key: object) -> str:
    """The JSON/CSV name of a table column: its key in snake_case.

    >>> field_name("with warnings"), field_name("total_gbp"), field_name("MB")
    ('with_warnings', 'total_gbp', 'mb')
    """
    return re.sub(r"[^0-9a-z]+", "_", str(key).lower()).strip("_") or "value"


def plain_value(value: object) -> Any:
    """A cell as JSON has it: numbers as numbers, missing (and infinite) as None, dates ISO.

    >>> plain_value(1.5), plain_value(float("nan")), plain_value(date(2024, 3, 1))
    (1.5, None, '2024-03-01')
    """
    import numpy as np

    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [plain_value(v) for v in value]
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)


def csv_cell(value: object) -> str:
    """A cell as CSV has it: plain numbers (no separators, no £), empty when missing.

    Lists are joined with ``;``; booleans are ``true``/``false``.
    """
    plain = plain_value(value)
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, list):
        return ";".join(csv_cell(v) for v in plain)
    return repr(plain) if isinstance(plain, float) else str(plain)


@contextmanager
def output_target(
    output: Path | None,
    suffix: str,
    *,
    option: str = "output",
    refuse: str | None = None,
) -> Iterator[Path | None]:
    """The path a command writes ``output`` to; for ``-o -`` a temporary file sent to stdout.

    Every option that names an output goes through here. With ``-`` the
    command writes a temporary ``*suffix`` file whose text goes to stdout when
    the command succeeds, and every message and table goes to stderr (stdout
    holds the data alone). ``-`` is a usage error (exit 2) when the output is a
    folder (``suffix`` :data:`FOLDER`), a binary file (:data:`BINARY_SUFFIXES`),
    ``refuse`` says why it cannot be, or another output of the command already
    took stdout.

    Parameters
    ----------
    output
        The option's value (None when not given).
    suffix
        The suffix of the file written for ``-`` (``.csv``, ``.json`` …), or :data:`FOLDER`.
    option
        The option's argument name, for messages (``metrics_csv`` is ``--metrics-csv``).
    refuse
        Why this output can never go to stdout, when that is not its suffix.
    """
    if not is_stdout(output):
        yield output
        return
    from cwb.errors import UsageError

    if refuse is None and suffix == FOLDER:
        refuse = "this output is a folder, not one file: give a folder name"
    elif refuse is None and suffix.lower() in BINARY_SUFFIXES:
        refuse = f"{suffix} files are binary, not text: give a file name"
    elif refuse is None and _STATE.get("stdout_taken"):
        refuse = "another option of the command already writes there: give a file name"
    if refuse:
        raise UsageError(f"'-' (standard output) cannot take it: {refuse}", argument=option)
    out.stderr = True
    _STATE["stdout_taken"] = "1"
    with tempfile.TemporaryDirectory(prefix="cwb-stdout-") as folder:
        path = Path(folder) / f"stdout{suffix}"
        yield path
        sys.stdout.write(path.read_text(encoding="utf-8"))
        sys.stdout.flush()


def is_stdout(output: Path | str | None) -> bool:
    """Whether ``output`` is ``-`` (standard output)."""
    return output is not None and str(output) == STDOUT


def _is_frame(data: object) -> bool:
    import pandas as pd

    return isinstance(data, pd.DataFrame)


def _columns_and_rows(
    data: pd.DataFrame | Iterable[Sequence[object]],
    columns: Sequence[str] | Mapping[str, str] | None,
) -> tuple[list[str], list[str], list[list[object]]]:
    """The keys, the labels and the rows of a table's data."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        chosen = list(columns) if columns is not None else list(data.columns)
        keys = [str(c) for c in chosen]
        rows = [list(r) for r in data[chosen].itertuples(index=False)]
    else:
        if columns is None:
            raise ValueError("table_of: rows need their columns")
        keys = list(columns)
        rows = [list(r) for r in data]
    labels = [columns[k] for k in keys] if isinstance(columns, Mapping) else keys
    return keys, [str(label) for label in labels], rows


def _print_data(
    data: pd.DataFrame | Iterable[Sequence[object]],
    title: str,
    fmt: str,
    columns: Sequence[str] | Mapping[str, str] | None,
) -> None:
    keys, labels, rows = _columns_and_rows(data, columns)
    names: list[str] = []
    for key in keys:
        name = field_name(key)
        while name in names:  # labels may repeat; JSON keys may not
            name += "_2"
        names.append(name)
    stream = sys.stderr if _STATE.get("stdout_taken") else sys.stdout
    if fmt == "json":
        records = [{n: plain_value(v) for n, v in zip(names, row, strict=True)} for row in rows]
        doc = {"title": title, "columns": names, "labels": labels, "rows": records}
        stream.write(json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        from cwb.safe_output import formula_safe_default, neutralise_cell

        safe = formula_safe_default()
        writer = csv.writer(stream, lineterminator="\n")
        if _STATE.get("csv_started"):
            stream.write("\n")
        writer.writerow(names)
        for row in rows:
            cells = [
                neutralise_cell(csv_cell(v)) if safe and isinstance(v, str) else csv_cell(v)
                for v in row
            ]
            writer.writerow(cells)
        _STATE["csv_started"] = "1"
    stream.flush()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(key: str, value: object, na: str, cell: CellFormat | None) -> str:
    if cell is not None:
        return cell(key, value)
    return na if is_missing(value) else str(value)
