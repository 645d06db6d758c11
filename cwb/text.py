"""Text normalised for comparison: organisation names and category words.

One place for each: :func:`normalise_name` keys organisations (duplicates,
the supplier register, spend's supplier keys and survey answers), and
:func:`normalise_text` keys category words (sectors, skills in re-localisable
spend). Each has a vectorised twin that gives the same result on a column.
"""

from __future__ import annotations

import re

import pandas as pd

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
    """:func:`normalise_name` of a whole column, vectorised."""
    text = names.astype(object).fillna("").astype(str).str.lower()
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
