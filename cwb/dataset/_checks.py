"""Shared machinery of validation: the per-table problem recorder and number parsing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cwb.dataset.parsing import exact_floats
from cwb.dataset.raw import RawTable
from cwb.errors import ProblemLog

#: Whether pandas 3 (or later) is installed: its ``str`` dtype keeps missing values missing.
PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3
#: At most this many problems of one kind (file, column, reason code) are listed;
#: the rest are counted.
MAX_LISTED_PER_CHECK = 200


@dataclass
class TableCounts:
    """How the rows of one table fared: the parts add up to ``read``."""

    read: int = 0
    clean: int = 0
    with_warnings: int = 0
    with_errors: int = 0


class Checker:
    """Records problems for one table and tracks which rows have errors or warnings."""

    def __init__(
        self, raw: RawTable | None, log: ProblemLog, *, file: str = "", n: int = 0
    ) -> None:
        self.file = raw.file if raw is not None else file
        self.n = len(raw.cells) if raw is not None else n
        self.log = log
        self.row_error = np.zeros(self.n, dtype=bool)
        self.row_warning = np.zeros(self.n, dtype=bool)
        self._listed: dict[tuple[str, str | None, str], int] = {}

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
        """Record one problem per True row of ``mask``."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        (self.row_error if severity == "error" else self.row_warning)[rows] = True
        key = (code, column, severity)
        already = self._listed.get(key, 0)
        listed = rows[: max(MAX_LISTED_PER_CHECK - already, 0)]
        self._listed[key] = already + len(rows)
        array = None if values is None else np.asarray(values, dtype=object)
        for i in listed:
            value = None if array is None else clip_text(array[i])
            self.log.add(
                self.file,
                reason(int(i)) if callable(reason) else reason,
                row=int(i) + 2,
                column=column,
                value=value,
                hint=hint(int(i)) if callable(hint) else hint,
                severity=severity,
                code=code,
            )
        if len(rows) > len(listed):
            self.log.add(
                self.file,
                f"{len(rows) - len(listed)} more rows with the same problem "
                f"({code}) are not listed",
                column=column,
                severity=severity,
                code=code,
            )

    def flagged(self) -> dict[str, int]:
        """Rows flagged per problem code (listed or not)."""
        totals: dict[str, int] = {}
        for (code, _column, _severity), rows in self._listed.items():
            totals[code] = totals.get(code, 0) + rows
        return totals

    def counts(self) -> TableCounts:
        errors = int(self.row_error.sum())
        warnings = int((self.row_warning & ~self.row_error).sum())
        return TableCounts(
            read=self.n,
            clean=self.n - errors - warnings,
            with_warnings=warnings,
            with_errors=errors,
        )


def clip_text(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def text_or_missing(values: pd.Series) -> pd.Series:
    """Text cells with missing values kept missing, on pandas 2 and 3 alike.

    ``astype("str")`` keeps NaN missing under pandas 3 but writes the text
    ``"nan"`` under pandas 2, which then reads as a currency, postcode or date.
    """
    if PANDAS_3:
        return values.astype("str")
    return values.astype(object).where(values.notna(), None)


#: A number as people write it: an optional sign and currency sign, digits with commas
#: only between groups of three ('1,200', never '1,5'), an optional decimal point.
#: '1,5' (a decimal comma) and '1 2 3' are not numbers: they are reported, not guessed.
_NUMBER_TEXT = r"^\s*[+-]?[£$€]?[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$"


def _arrow_text(text: pd.Series) -> pa.Array | None:
    """The Arrow array under an Arrow-backed text column (None for other columns)."""
    array = text.array
    data = getattr(array, "_pa_array", None)
    if isinstance(data, pa.ChunkedArray) and (
        pa.types.is_string(data.type) or pa.types.is_large_string(data.type)
    ):
        return data
    return None


def regex_contains(text: pd.Series, pattern: str) -> np.ndarray:
    """``text.str.contains(pattern)`` as booleans, in Arrow's RE2 when the column is Arrow text.

    Only for patterns whose meaning RE2 and Python share (explicit ASCII classes).
    """
    data = _arrow_text(text)
    if data is None:
        return text.str.contains(pattern, regex=True).to_numpy(dtype=bool, na_value=False)
    found = pc.match_substring_regex(data, pattern)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=object) == True  # noqa: E712


def has_control_bytes(text: pd.Series, byte_set: bytes) -> bool:
    """Whether any cell of ``text`` may hold one of the control characters of ``byte_set``.

    ``byte_set`` holds C0 control bytes and DEL only. For Arrow text this looks at the raw
    UTF-8 bytes at once (an ASCII byte never occurs inside a multi-byte character), so
    a False is exact and costs a pass over memory; a True may come from bytes outside a
    sliced array and calls for a closer look. Other columns always answer True.
    """
    data = _arrow_text(text)
    if data is None:
        return True
    wanted = np.frombuffer(byte_set, dtype=np.uint8)
    for chunk in data.chunks:
        values = chunk.buffers()[2]
        if values is None:
            continue
        octets = np.frombuffer(values, dtype=np.uint8)
        near = octets[(octets < 0x20) | (octets == 0x7F)]  # tabs and newlines: usually few
        if np.isin(near, wanted).any():
            return True
    return False


def regex_match(text: pd.Series, pattern: str) -> np.ndarray:
    """``text.str.match(pattern)`` as booleans; Arrow's RE2 first, Python's ``re`` for the rest.

    RE2's digit and space classes are ASCII, Python's are Unicode: a cell RE2 matches, Python
    matches too; the cells RE2 refuses are checked again with ``re`` (usually none), so
    the result is exactly Python's.
    """
    data = _arrow_text(text)
    if data is None:
        return text.str.match(pattern).to_numpy(dtype=bool, na_value=False)
    anchored = pattern if pattern.startswith("^") else "^(?:" + pattern + ")"
    found = pc.match_substring_regex(data, anchored).to_numpy(zero_copy_only=False)
    matched = np.asarray(found, dtype=object) == True  # noqa: E712
    missing = np.asarray(pd.isna(text))
    again = np.flatnonzero(~matched & ~missing)
    if len(again):
        compiled = re.compile(pattern)
        values = text.to_numpy(dtype=object)
        matched[again] = [compiled.match(values[i]) is not None for i in again]
    return matched


def parse_numbers(text: pd.Series) -> pd.Series:
    """Numbers from text cells: NaN for empty cells and for anything ambiguous."""
    well_formed = pd.Series(
        regex_match(text, _NUMBER_TEXT), index=text.index
    ) | text.str.strip().str.lower().isin(["nan", "inf"])
    cleaned = text.where(well_formed, "x").str.replace(r"[£$€, \t\r\n]", "", regex=True)
    numbers = exact_floats(cleaned.where(cleaned != ""))
    return numbers.where(np.isfinite(numbers))  # 'inf' and 'nan' are not numbers a person means
