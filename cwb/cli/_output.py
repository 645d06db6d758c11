"""The CLI's one table printer: a DataFrame, or rows, as a rich table on stdout."""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from cwb.cli.app import out

if TYPE_CHECKING:
    import pandas as pd

#: Formats one cell: (column key, value) → text.
CellFormat = Callable[[str, object], str]


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
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        chosen = list(columns) if columns is not None else list(data.columns)
        keys = [str(c) for c in chosen]
        rows = [list(r) for r in data[chosen].itertuples(index=False)]
        numeric = {str(c) for c in chosen if data[c].dtype.kind in "iuf"}
    else:
        if columns is None:
            raise ValueError("table_of: rows need their columns")
        keys = list(columns)
        rows = [list(r) for r in data]
        numeric = {k for i, k in enumerate(keys) if rows and all(_is_number(r[i]) for r in rows)}
    labels = [columns[k] for k in keys] if isinstance(columns, Mapping) else keys
    aligned = numeric if right is None else set(right)
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
    """
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {fmt!r}")
    _STATE.clear()
    _STATE["format"] = fmt
    out.stderr = fmt != "table"  # the console follows sys.stdout/sys.stderr as they are swapped


def print_table(
    data: pd.DataFrame | Iterable[Sequence[object]],
    title: str,
    *,
    console: Console | None = None,
    **options: Any,
) -> None:
    """Print ``data`` as a table on ``console`` (default stdout).

    ``options`` are those of :func:`table_of`: ``columns``, ``right``, ``na``, ``cell``.
    In the ``json``/``csv`` formats (:func:`set_table_format`) the cells are
    printed as text, as the table shows them. When stdout is not a terminal the
    table is printed at its full width: no cell is cut.
    """
    table = table_of(data, title, **options)
    fmt = _STATE["format"]
    if fmt != "table" and console is None:
        _print_data(table, title, fmt)
        return
    target = console or out
    if not target.is_terminal:
        wide = target.options.update_width(100_000)
        width = max(Measurement.get(target, wide, table).maximum, 20)
        target = Console(file=target.file, width=width, no_color=True, highlight=False)
    target.print(table)


@contextmanager
def output_target(output: Path | None, suffix: str) -> Iterator[Path | None]:
    """The file a command writes: ``output``, or for ``-o -`` a temporary ``*suffix`` file.

    With ``-o -`` the file's text goes to stdout when the command succeeds, and
    every message and table to stderr (stdout holds the data alone).
    """
    if output is None or str(output) != "-":
        yield output
        return
    out.stderr = True
    _STATE["stdout_taken"] = "1"
    with tempfile.TemporaryDirectory(prefix="cwb-stdout-") as folder:
        path = Path(folder) / f"stdout{suffix}"
        yield path
        sys.stdout.write(path.read_text(encoding="utf-8"))
        sys.stdout.flush()


def is_stdout(output: Path | None) -> bool:
    """Whether ``output`` is ``-`` (standard output)."""
    return output is not None and str(output) == "-"


def _print_data(table: Table, title: str, fmt: str) -> None:
    stream = sys.stderr if _STATE.get("stdout_taken") else sys.stdout
    labels = [Text.from_markup(str(c.header)).plain for c in table.columns]
    rows = list(zip(*(list(c.cells) for c in table.columns), strict=True))
    cells = [[Text.from_markup(str(v)).plain for v in row] for row in rows]
    if fmt == "json":
        rows_out = [dict(zip(labels, row, strict=True)) for row in cells]
        doc = {"title": title, "columns": labels, "rows": rows_out}
        stream.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        writer = csv.writer(stream, lineterminator="\n")
        if _STATE.get("csv_started"):
            stream.write("\n")
        writer.writerow(labels)
        from cwb.safe_output import formula_safe_default, neutralise_cell

        safe = formula_safe_default()
        writer.writerows([[neutralise_cell(v) if safe else v for v in row] for row in cells])
        _STATE["csv_started"] = "1"
    stream.flush()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(key: str, value: object, na: str, cell: CellFormat | None) -> str:
    if cell is not None:
        return cell(key, value)
    return na if is_missing(value) else str(value)
