"""Nothing executable leaves cwb: neutralise spreadsheet formula triggers in tables.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run
as a formula when a CSV file is opened in Excel or LibreOffice (OWASP "CSV
injection"). Every CSV cwb writes goes through :func:`neutralise_frame`, which
follows the OWASP rule: such a text cell gets a single quote in front
(``=SUM(A1)`` → ``'=SUM(A1)``). Numbers are left alone: numeric columns are not
text, and a text cell holding a plain number such as ``-3.5`` is not a formula.

Every Excel workbook cwb writes goes through :func:`write_excel`, which stores such
cells as text (never as a formula) without changing them.

Machine consumers that want the cells byte for byte turn this off: pass
``formula_safe=False`` to a writer, use :func:`raw_output` (or
:func:`set_formula_safe`), set the environment variable ``CWB_RAW_CSV=1``, or
give a command ``--raw-csv``. cwb reads its own quoted cells back unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pandas as pd

TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet treat the start of a cell as a formula."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ESCAPED = re.compile(r"^'(?=[=+\-@\t\r])")
_safe: ContextVar[bool | None] = ContextVar("cwb_formula_safe", default=None)


def formula_safe_default() -> bool:
    """Whether writers neutralise formulas when not told: on, unless turned off.

    :func:`set_formula_safe` / :func:`raw_output` win; otherwise ``CWB_RAW_CSV=1``
    in the environment turns neutralising off.
    """
    chosen = _safe.get()
    if chosen is not None:
        return chosen
    return os.environ.get("CWB_RAW_CSV", "").strip().lower() not in ("1", "true", "yes")


def set_formula_safe(on: bool | None) -> None:
    """Set the default of every writer in this context (``None``: back to the environment)."""
    _safe.set(on)


@contextmanager
def raw_output(raw: bool = True) -> Iterator[None]:
    """Within the block, writers leave formula triggers as they are (when ``raw``)."""
    token = _safe.set(not raw)
    try:
        yield
    finally:
        _safe.reset(token)


def is_formula(value: object) -> bool:
    """True when ``value`` is text that a spreadsheet would run as a formula."""
    return (
        isinstance(value, str)
        and value.startswith(TRIGGERS)
        and _NUMBER.fullmatch(value.strip()) is None
    )


def neutralise_cell(value: object) -> object:
    """Return ``value`` with a single quote in front if it is a formula trigger."""
    return "'" + value if is_formula(value) else value  # type: ignore[operator]


def neutralise_frame(frame: pd.DataFrame, *, formula_safe: bool | None = None) -> pd.DataFrame:
    """Return ``frame`` with every formula-triggering text cell quoted (OWASP rule).

    Parameters
    ----------
    frame
        The table about to be written as CSV.
    formula_safe
        ``False`` returns ``frame`` unchanged; ``None`` follows
        :func:`formula_safe_default`.

    Returns
    -------
    pandas.DataFrame
        A copy when any cell changed, else ``frame`` itself. Column names are
        neutralised too.
    """
    if not (formula_safe_default() if formula_safe is None else formula_safe):
        return frame
    changed = {}
    for position, series in _text_columns(frame):
        hits = series.map(is_formula).astype(bool)
        if hits.any():
            changed[position] = series.where(~hits, "'" + series[hits].astype(str))
    renamed = [neutralise_cell(str(c)) if is_formula(c) else c for c in frame.columns]
    if not changed and renamed == list(frame.columns):
        return frame
    out = frame.copy()
    for position, series in changed.items():
        out.isetitem(position, series)
    out.columns = renamed
    return out


def _text_columns(frame: pd.DataFrame) -> Iterator[tuple[int, pd.Series]]:
    """Yield (position, column) for every column that may hold text (not numbers)."""
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):  # its categories may be text from the data
            yield position, series.astype(object)
            continue
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            continue
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            yield position, series


def unneutralise_text(cells: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_frame` on a table of text cells read from CSV.

    ``'=SUM(A1)`` reads back as ``=SUM(A1)``, so a dataset that cwb wrote and
    reads again keeps its values.
    """
    out = cells.copy()
    for position, series in _text_columns(cells):
        text = series.astype("str")
        quoted = text.str.match(_ESCAPED) & series.notna()
        if quoted.any():
            out.isetitem(position, series.where(~quoted, text.str.slice(1)))
    return out


def write_excel(frame: pd.DataFrame, path: str | Path, *, formula_safe: bool | None = None) -> Path:
    """Write ``frame`` to an .xlsx workbook; formula-looking text is stored as text.

    openpyxl stores any string beginning with ``=`` as a live formula; here such
    cells are typed as strings instead, so the workbook shows the text and runs
    nothing. ``formula_safe=False`` writes them as pandas would.
    """
    safe = formula_safe_default() if formula_safe is None else formula_safe
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False)
        if safe:
            for sheet in writer.sheets.values():
                for row in sheet.iter_rows():
                    for cell in row:
                        if cell.data_type == "f":
                            cell.data_type = "s"
    return Path(path)
