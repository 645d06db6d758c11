"""Each column's text cells checked and typed: numbers, dates, yes/no, choices.

A column whose values repeat is checked once per distinct value (:class:`_ByValue`)
and its problems are then recorded on every row holding the value, in row order: the
same problems a cell-by-cell check records. Tables under :data:`BY_VALUE_MIN_ROWS`
rows, and columns of mostly distinct values, are checked cell by cell.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import process

from cwb.dataset._checks import PANDAS_3, Checker, parse_numbers, regex_match, text_or_missing
from cwb.dataset.schema import Column, TableSpec

YES_WORDS = {"true", "yes", "y", "1", "t"}
NO_WORDS = {"false", "no", "n", "0", "f"}


def suggest(value: str, choices: tuple[str, ...] | list[str]) -> str | None:
    if not value:
        return None
    match = process.extractOne(value, choices, score_cutoff=60)
    return f"did you mean {match[0]!r}?" if match else "expected one of: " + ", ".join(choices)


def normalise_word(series: pd.Series) -> pd.Series:
    """'Social Enterprise ' → 'social_enterprise'."""
    return (
        series.str.strip()
        .str.lower()
        .str.replace(r"[ \t\r\n\-]+", "_", regex=True)  # no \s: keeps pyarrow's fast path
        .str.replace("&", "and", regex=False)
    )


# --------------------------------------------------------------------------- column typing


def _check_number(chk: Checker, text: pd.Series, col: Column) -> pd.Series:
    numbers = parse_numbers(text)
    given = text != ""
    bad = given & numbers.isna()
    chk.flag(
        bad.to_numpy(),
        col.name,
        text,
        "is not a number",
        code="not_a_number",
        hint="write digits only, e.g. 1200 or 1200.50",
    )
    if col.type == "int":
        huge = numbers.abs() > 2**53
        chk.flag(huge.to_numpy(), col.name, text, "is too large", code="not_a_number")
        numbers = numbers.where(~huge)
        fractional = numbers.notna() & (numbers != np.floor(numbers.fillna(0)))
        chk.flag(
            fractional.to_numpy(), col.name, text, "is not a whole number", code="not_a_number"
        )
        numbers = numbers.where(~fractional)
    if col.non_negative:
        chk.flag((numbers < 0).to_numpy(), col.name, text, "must not be negative", code="negative")
    if col.type == "int":
        return numbers.round().astype("Int64")
    return numbers.astype("float64")


#: A date, optionally with a time after it; '2024-02-10garbage' is not a date.
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"


def _check_date(chk: Checker, text: pd.Series, col: Column) -> pd.Series:
    given = text != ""
    dated = given & regex_match(
        text,
        r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    )
    iso = pd.to_datetime(text.str.slice(0, 10).where(dated), format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text.where(given & ~dated), format="%d/%m/%Y", errors="coerce")
    parsed = iso.fillna(uk)
    chk.flag(
        (given & parsed.isna()).to_numpy(),
        col.name,
        text,
        "is not a date",
        code="not_a_date",
        hint="write dates as YYYY-MM-DD, e.g. 2024-10-06",
    )
    return text_or_missing(parsed.dt.strftime("%Y-%m-%d"))


def _check_bool(chk: Checker, text: pd.Series, col: Column) -> pd.Series:
    lowered = text.str.strip().str.lower()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[lowered.isin(YES_WORDS)] = True
    out[lowered.isin(NO_WORDS)] = False
    chk.flag(
        ((lowered != "") & out.isna()).to_numpy(),
        col.name,
        text,
        "is not yes/no",
        code="not_a_bool",
        hint="write true or false",
    )
    return out


def _check_choice(chk: Checker, text: pd.Series, col: Column) -> pd.Series:
    normal = normalise_word(text)
    choices = col.choices or ()
    unknown = (normal != "") & ~normal.isin(choices)
    if unknown.any():
        hints = {v: suggest(v, choices) for v in normal[unknown].unique()}
        chk.flag(
            unknown.to_numpy(),
            col.name,
            text,
            f"is not a known {col.name}",
            code=f"unknown_{col.name}",
            hint=lambda i: hints.get(normal.iloc[i]),
        )
    return text_or_missing(normal.where(normal != ""))


#: Columns of at least this many rows are typed value by value (see :class:`_ByValue`)
#: when they hold few distinct values.
BY_VALUE_MIN_ROWS = 1000


class _ByValue(Checker):
    """A :class:`Checker` for the distinct values of one column, flagging their rows.

    A check run over the distinct values (``codes[i]`` is row ``i``'s value) records,
    for each flagged value, every row holding it, in row order: the same problems a
    row-by-row check records, at a fraction of the work when values repeat.
    """

    def __init__(self, chk: Checker, codes: np.ndarray, distinct: int) -> None:
        super().__init__(None, chk.log, file=chk.file, n=distinct)
        self.rows, self.codes = chk, codes

    def flag(
        self,
        mask: np.ndarray,
        column: str | None,
        values: pd.Series | np.ndarray | None,
        reason: str | Callable[[int], str],
        *,
        code: str,
        severity: str = "error",
        hint: str | Callable[[int], str | None] | None = None,
    ) -> None:
        """Flag the rows of the values ``mask`` marks (see :meth:`Checker.flag`)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        codes = self.codes
        self.rows.flag(
            mask[codes],
            column,
            None if values is None else np.asarray(values, dtype=object)[codes],
            _per_row(reason, codes),
            code=code,
            severity=severity,
            hint=_per_row(hint, codes),
        )


def _per_row(text: Callable[[int], str | None] | str | None, codes: np.ndarray) -> Any:
    """A message given per distinct value, asked for by row."""
    if not callable(text):
        return text
    return lambda i: text(int(codes[i]))


def _distinct(cells: pd.DataFrame, name: str) -> tuple[np.ndarray, pd.Series] | None:
    """The codes and distinct values of a column, when typing them value by value pays."""
    n = len(cells)
    if n < BY_VALUE_MIN_ROWS:
        return None
    if name not in cells:
        return np.zeros(n, dtype=np.intp), pd.Series([""], dtype="str")
    column = cells[name]
    head = column.iloc[: 10 * BY_VALUE_MIN_ROWS]
    if head.nunique() > len(head) * 0.9:  # ids, names: nearly all distinct
        return None
    codes, values = pd.factorize(column, use_na_sentinel=False)
    if len(values) > n // 2:
        return None
    return codes, pd.Series(values, dtype=column.dtype)


def _type_column(
    chk: Checker, cells: pd.DataFrame, name: str, typer: Callable[[Checker, pd.Series], pd.Series]
) -> pd.Series:
    """``typer`` over column ``name`` (``""`` when absent); value by value when few."""
    distinct = _distinct(cells, name)
    if distinct is None:
        text = cells[name] if name in cells else pd.Series("", index=cells.index, dtype="str")
        return typer(chk, text)
    codes, values = distinct
    typed = typer(_ByValue(chk, codes, len(values)), values)
    return pd.Series(typed.array.take(codes), index=cells.index)


def _type_spec_column(chk: Checker, text: pd.Series, *, col: Column) -> pd.Series:
    if col.choices and col.name != "category":
        return _check_choice(chk, text, col)
    if col.type in ("int", "float"):
        return _check_number(chk, text, col)
    if col.type == "date":
        return _check_date(chk, text, col)
    if col.type == "bool":
        return _check_bool(chk, text, col)
    return _text_column(text)


def _text_column(text: pd.Series) -> pd.Series:
    """Text cells, ``""`` read as missing."""
    empty = text == ""
    if PANDAS_3 and not empty.any():
        return text  # nothing to blank: the column as it is (no copy)
    return text_or_missing(text.where(~empty))


def _type_extra_column(_chk: Checker, text: pd.Series) -> pd.Series:
    """A column cwb does not know: numbers when every given cell is one, else text."""
    numbers = parse_numbers(text)
    numeric = (text != "").any() and not ((text != "") & numbers.isna()).any()
    return numbers.astype("float64") if numeric else _text_column(text)


def type_columns(chk: Checker, cells: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Typed frame: spec columns in order (missing ones empty), then the extra columns."""
    typed: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.type == "str" and not col.choices and col.name in cells:
            typed[col.name] = _text_column(cells[col.name])  # nothing to check value by value
            continue
        typed[col.name] = _type_column(chk, cells, col.name, partial(_type_spec_column, col=col))
    for name in cells.columns:
        if name in typed or name in ("lat", "lon"):
            continue
        typed[name] = _type_column(chk, cells, name, _type_extra_column)
    return pd.DataFrame(typed, index=cells.index)


def per_distinct(text: pd.Series, change: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``change(text)``, computed once per distinct value when values repeat (cell by cell)."""
    if len(text) < BY_VALUE_MIN_ROWS:
        return change(text)
    codes, values = pd.factorize(text, use_na_sentinel=False)
    if len(values) > len(text) // 2:
        return change(text)
    changed = change(pd.Series(values, dtype=text.dtype))
    return pd.Series(changed.array.take(codes), index=text.index)
