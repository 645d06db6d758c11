"""Text normalised for comparison: organisation names and category words.

One place for each: :func:`normalise_name` keys organisations (duplicates,
the supplier register, spend's supplier keys and survey answers), and
:func:`normalise_text` keys category words (sectors, skills in re-localisable
spend). Each has a vectorised twin that gives the same result on a column.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Words that say nothing about which organisation a name means.
NAME_NOISE = re.compile(
    r"\b(the|ltd|limited|plc|llp|cic|inc|co|company|uk|cio|trust|charitable|incorporated)\b"
)

#: The steps of :func:`normalise_name`, after lower-casing, in order.
_NAME_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile("&"), " and "),
    (re.compile("['.]"), ""),
    (re.compile(r"[^a-z0-9 ]+"), " "),
    (NAME_NOISE, " "),
    (re.compile(r"\s+"), " "),
)
_NON_WORD = re.compile(r"[^\w]+")


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def normalise_name(value: object) -> str:
    """An organisation's name for comparison.

    Lower case, ``&`` as "and", no punctuation or legal-form words (ltd, plc,
    cic …), single spaces; missing values give ``""``.

    Examples
    --------
    >>> normalise_name("The Cape Hill Catering C.I.C.")
    'cape hill catering'
    """
    if _missing(value):
        return ""
    text = str(value).lower()
    for pattern, replacement in _NAME_STEPS:
        text = pattern.sub(replacement, text)
    return text.strip()


def normalise_names(names: pd.Series) -> pd.Series:
    """:func:`normalise_name` of a whole column, vectorised.

    ASCII names go through pyarrow's string kernels (the same steps: after the
    third, a name holds only ``a-z0-9`` and spaces, where RE2 and Python's ``re``
    agree); the others through pandas' string methods, as before.
    """
    text = names.astype(object).fillna("").astype(str)
    if not len(text):
        return _normalise_names_slow(text)
    values = pa.array(
        text.array if isinstance(text.dtype, pd.StringDtype) else text.to_numpy(dtype=object),
        type=pa.large_string(),
    )
    ascii_ = pc.string_is_ascii(values)
    out = pc.ascii_lower(values)
    out = pc.replace_substring(out, pattern="&", replacement=" and ")
    out = pc.replace_substring_regex(out, pattern="['.]", replacement="")
    out = pc.replace_substring_regex(out, pattern="[^a-z0-9 ]+", replacement=" ")
    out = pc.replace_substring_regex(out, pattern=NAME_NOISE.pattern, replacement=" ")
    out = pc.replace_substring_regex(out, pattern=" {2,}", replacement=" ")
    out = pc.utf8_trim(out, characters=" ")
    if not pc.all(ascii_).as_py():
        result = out.to_numpy(zero_copy_only=False)
        other = np.flatnonzero(~ascii_.to_numpy(zero_copy_only=False))
        result[other] = _normalise_names_slow(text.iloc[other]).to_numpy(dtype=object)
        out = pa.array(result, type=pa.large_string())
    if isinstance(text.dtype, pd.StringDtype):
        return pd.Series(out, index=names.index, name=names.name, dtype=text.dtype)
    return pd.Series(out.to_numpy(zero_copy_only=False), index=names.index, name=names.name)


def _normalise_names_slow(text: pd.Series) -> pd.Series:
    """:func:`normalise_names` by pandas' string methods (``text``: strings, none missing)."""
    text = text.str.lower()
    for pattern, replacement in _NAME_STEPS:
        text = text.str.replace(pattern, replacement, regex=True)
    return text.str.strip()


def normalise_text(value: object) -> str:
    """Category text for comparison: case-folded, ``&`` as ``and``, punctuation as spaces.

    Examples
    --------
    >>> normalise_text("Purchases - Food & Drink")
    'purchases food and drink'
    """
    text = str(value).casefold().replace("&", " and ")
    return _NON_WORD.sub(" ", text).strip()


def normalise_texts(values: pd.Series) -> pd.Series:
    """:func:`normalise_text` of a whole column (missing values as ``""``)."""
    text = values.fillna("").astype(str)
    return text.map({v: normalise_text(v) for v in text.unique()})
