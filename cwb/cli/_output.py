"""The CLI's one table printer: a DataFrame, or rows, as a rich table on stdout."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cwb.cli.app import out

#: Formats one cell: (column key, value) → text.
CellFormat = Callable[[str, object], str]


def is_missing(value: object) -> bool:
    """Whether a cell is empty: None, NaN, ``pd.NA`` or ``pd.NaT``."""
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


def print_table(
    data: pd.DataFrame | Iterable[Sequence[object]],
    title: str,
    *,
    console: Console | None = None,
    **options: Any,
) -> None:
    """Print ``data`` as a table on ``console`` (default stdout).

    ``options`` are those of :func:`table_of`: ``columns``, ``right``, ``na``, ``cell``.
    """
    (console or out).print(table_of(data, title, **options))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(key: str, value: object, na: str, cell: CellFormat | None) -> str:
    if cell is not None:
        return cell(key, value)
    return na if is_missing(value) else str(value)
