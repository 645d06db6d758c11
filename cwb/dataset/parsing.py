"""Amounts and dates as UK publishers write them, parsed the same way on pandas 2 and 3.

Published spend files write money as ``1,800``, ``£32,400``, ``(1,200.50)`` or
``£-`` and dates as ``01/04/2016``, ``1-Apr-16``, ``Mar-16`` or ``2016-04-01``.
:func:`parse_amounts` and :func:`parse_dates` read every cell as text (whatever
dtype pandas gave the column) and say, per cell, how it was read, so that a
caller can count and name the cells it could not read instead of dropping them.

Rules
-----
Amounts: currency signs (``£ $ €``, ``GBP``) and thousands commas are removed;
brackets, a leading or trailing minus and a ``CR`` suffix mean negative; a
lone dash (``-``, ``£-``, ``–``) is zero, as accounting formats show zero; an
empty cell is *missing*; anything else is *unreadable*.

Dates are always read day first (``03/04/2016`` is 3 April 2016): ISO
``2016-04-03`` (a time after it is ignored), ``03/04/2016``, ``03/04/16``,
``03-04-2016``, ``03.04.2016``, ``3-Apr-16``, ``3 Apr 2016``, ``3 April 2016``,
``20160403`` and Excel day numbers (``42463``). A month without a day
(``Mar-16``, ``March 2016``) is read as the first of that month and marked
*month*. Anything else (``Ongoing``, ``TBC``, ``31/02/2016``) is *unreadable*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: How a cell was read: a value, zero written as a dash, empty, or unreadable.
AMOUNT_NUMBER, AMOUNT_DASH, AMOUNT_EMPTY, AMOUNT_UNREADABLE = (
    "number",
    "dash",
    "empty",
    "unreadable",
)
#: How a date cell was read: a day, a month only, empty, or unreadable.
DATE_DAY, DATE_MONTH, DATE_EMPTY, DATE_UNREADABLE = "day", "month", "empty", "unreadable"

_DASH = re.compile(r"^(?:gbp|[£$€])?\s*[-–—]+\s*$", re.I)
_CURRENCY = re.compile(r"gbp|[£$€,\s\u00a0]", re.I)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$", re.I)
_TIME = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:am|pm)?)$", re.I)

#: Day-first formats, tried in this order on the cells still unread.
DAY_FORMATS: tuple[str, ...] = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %y",
    "%d %b %Y",
    "%d-%B-%Y",
    "%d %B %Y",
    "%d-%B-%y",
    "%d %B %y",
    "%Y/%m/%d",
    "%Y%m%d",
)
#: Month-only formats (read as the first of the month).
MONTH_FORMATS: tuple[str, ...] = ("%b-%y", "%b-%Y", "%b %y", "%b %Y", "%B %Y", "%B-%Y", "%m/%Y")

#: Excel stores dates as days since 1899-12-30; 5-digit day numbers in this range are dates.
_EXCEL_DAYS = (20_000, 80_000)


@dataclass
class ParsedAmounts:
    """Amounts read from text.

    Attributes
    ----------
    values
        Float amounts; NaN where the cell was empty or unreadable.
    how
        Per cell: ``number``, ``dash`` (read as 0), ``empty`` or ``unreadable``.
    """

    values: pd.Series
    how: pd.Series


@dataclass
class ParsedDates:
    """Dates read from text.

    Attributes
    ----------
    values
        ``datetime64`` dates; NaT where the cell was empty or unreadable.
    how
        Per cell: ``day``, ``month`` (first of the month), ``empty`` or ``unreadable``.
    """

    values: pd.Series
    how: pd.Series

    def iso(self) -> pd.Series:
        """The dates as ``YYYY-MM-DD`` text (missing where not read)."""
        text = self.values.dt.strftime("%Y-%m-%d")
        return text.astype(object).where(self.values.notna(), None)


def as_text(values: pd.Series) -> pd.Series:
    """Every cell as stripped Python text ("" for missing), whatever the column's dtype."""
    array = values.to_numpy(dtype=object, na_value=None)
    out = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in array]
    return pd.Series(out, index=values.index, dtype=object).str.strip()


def exact_floats(values: pd.Series) -> pd.Series:
    """``pd.to_numeric(values, errors="coerce")`` as float64, each number read exactly.

    pandas 2's number parser may miss the nearest float by one unit in the last place
    (``-1.977853913676168`` read as ``-1.9778539136761681``), so a coordinate would
    change on a round trip through CSV; pandas 3's does not. pandas decides which cells
    are numbers; Arrow's correctly rounded parser (Python's ``float`` if Arrow refuses a
    cell pandas took) reads them, so both majors give the same floats.

    >>> exact_floats(pd.Series(["-1.977853913676168", " 2 ", "x", None])).tolist()
    [-1.977853913676168, 2.0, nan, nan]
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return numbers
    read = numbers.notna().to_numpy()
    if not read.any():
        return numbers
    given = values.to_numpy(dtype=object)[read]
    try:
        text = pc.utf8_trim_whitespace(pa.array(given, type=pa.string()))
        exact = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        exact = np.array([_float_or_nan(str(v)) for v in given], dtype="float64")
    kept = np.isnan(exact)  # a cell pandas read and neither exact parser could: pandas' value
    numbers[read] = np.where(kept, numbers.to_numpy()[read], exact)
    return numbers


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def parse_amounts(values: pd.Series) -> ParsedAmounts:
    """Read money cells: ``1,800``, ``£32,400``, ``(1,200.50)``, ``-5``, ``£-`` (zero).

    Numeric columns are kept as they are; text columns follow the rules of this module.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        how = np.where(numbers.notna(), AMOUNT_NUMBER, AMOUNT_EMPTY)
        return ParsedAmounts(numbers, pd.Series(how, index=values.index, dtype=object))
    text = as_text(values)
    empty = text == ""
    dash = text.str.match(_DASH)
    bracketed = text.str.match(r"^\(.*\)$")
    credit = text.str.contains(r"(?:\s|\d)CR$", case=False, regex=True)
    trailing_minus = text.str.match(r"^.*\d\s*-$")
    core = text.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    core = core.str.replace(r"(?i)\s*CR$", "", regex=True).str.replace(r"-$", "", regex=True)
    core = core.str.replace(_CURRENCY, "", regex=True)
    # a sign before the currency sign ("-£5") or after it ("£-5") both survive as a leading sign
    valid = core.str.match(_NUMBER) & ~empty & ~dash
    numbers = exact_floats(core.where(valid, None))
    numbers = numbers.where(np.isfinite(numbers))
    negative = bracketed | credit | trailing_minus
    numbers = numbers.where(~negative, -numbers.abs())
    numbers[dash] = 0.0
    how = np.select(
        [empty, dash, numbers.notna()],
        [AMOUNT_EMPTY, AMOUNT_DASH, AMOUNT_NUMBER],
        default=AMOUNT_UNREADABLE,
    )
    return ParsedAmounts(numbers, pd.Series(how, index=values.index, dtype=object))


def parse_dates(values: pd.Series) -> ParsedDates:
    """Read date cells day first in the formats UK publishers use (see the module notes)."""
    index = values.index
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.Series(pd.to_datetime(values).dt.tz_localize(None), index=index)
        how = np.where(parsed.notna(), DATE_DAY, DATE_EMPTY)
        return ParsedDates(parsed.astype("datetime64[ns]"), pd.Series(how, index=index))
    text = as_text(values)
    text = text.str.replace(_TIME, "", regex=True).str.strip()
    result = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    how = pd.Series(np.where(text == "", DATE_EMPTY, DATE_UNREADABLE), index=index, dtype=object)
    iso = text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}$")
    _fill(result, how, text, iso, "%Y-%m-%d", DATE_DAY)
    for fmt in DAY_FORMATS:
        _fill(result, how, text, how == DATE_UNREADABLE, fmt, DATE_DAY)
    for fmt in MONTH_FORMATS:
        _fill(result, how, text, how == DATE_UNREADABLE, fmt, DATE_MONTH)
    serial = (how == DATE_UNREADABLE) & text.str.match(r"^\d{5}(?:\.0+)?$")
    if serial.any():
        days = pd.to_numeric(text[serial], errors="coerce")
        days = days[(days >= _EXCEL_DAYS[0]) & (days < _EXCEL_DAYS[1])]
        result[days.index] = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
        how[days.index] = DATE_DAY
    return ParsedDates(result, how)


def _fill(
    result: pd.Series, how: pd.Series, text: pd.Series, rows: pd.Series, fmt: str, label: str
) -> None:
    """Parse ``text[rows]`` with one format; write what parses into ``result`` and ``how``."""
    if not rows.any():
        return
    parsed = pd.to_datetime(text[rows], format=fmt, errors="coerce")
    hit = parsed.notna()
    if hit.any():
        ok = parsed[hit].index
        result[ok] = parsed[hit].to_numpy(dtype="datetime64[ns]")
        how[ok] = label


def name_rows(rows: pd.Series, cells: pd.Series, limit: int = 5) -> str:
    """``row 4 'Ongoing', row 9 'TBC' and 3 more``: the first rows of a mask, for a message.

    ``rows`` is the spreadsheet row number of each cell, ``cells`` the text shown.
    """
    shown = [f"row {r} {c!r}" for r, c in zip(rows[:limit], cells[:limit], strict=True)]
    more = len(rows) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
