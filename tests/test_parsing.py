"""Amounts and dates as UK publishers write them (cwb.dataset.parsing), on any pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cwb.dataset._checks import parse_numbers
from cwb.dataset.parsing import exact_floats, name_rows, parse_amounts, parse_dates

AMOUNTS = {
    "1,800": 1800.0,
    "£32,400": 32400.0,
    "(1,200.50)": -1200.5,
    "£-": 0.0,
    "-": 0.0,
    "–": 0.0,
    "£ -": 0.0,
    "-£5": -5.0,
    "£-5": -5.0,
    "12.00 CR": -12.0,
    "5CR": -5.0,
    "1,000-": -1000.0,
    " 3 ": 3.0,
    "GBP 250": 250.0,
    "£ 500.00": 500.0,
    "(£75)": -75.0,
}


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_every_amount_format_reads_under_any_text_dtype(dtype):
    values = pd.Series(list(AMOUNTS), dtype=dtype)
    parsed = parse_amounts(values)
    assert parsed.values.tolist() == list(AMOUNTS.values())
    dashes = [k for k, v in AMOUNTS.items() if v == 0.0]
    assert parsed.how[parsed.how == "dash"].size == len(dashes)


def test_unreadable_and_empty_amounts_are_told_apart():
    parsed = parse_amounts(pd.Series(["n/a", "", None, "nan", "inf", "12abc", "1.2.3"]))
    assert parsed.values.isna().all()
    assert parsed.how.tolist() == ["unreadable", "empty", "empty"] + ["unreadable"] * 4


def test_numeric_columns_are_kept():
    parsed = parse_amounts(pd.Series([1.5, np.nan, -2.0]))
    assert parsed.values.tolist()[::2] == [1.5, -2.0]
    assert parsed.how.tolist() == ["number", "empty", "number"]


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_numbers_read_back_exactly_from_their_shortest_text(dtype):
    """Every float's repr reads back as the same float (pandas 2's own parser misses some)."""
    floats = np.random.default_rng(7).uniform(-3.0, 60.0, 20_000)
    floats[0] = -1.977853913676168  # a demo longitude pandas 2 read as ...1681
    text = pd.Series([repr(float(f)) for f in floats], dtype=dtype)
    assert (exact_floats(text).to_numpy() == floats).all()
    assert (parse_numbers(text).to_numpy() == floats).all()
    assert (parse_amounts(text).values.to_numpy() == floats).all()


def test_exact_floats_reads_what_to_numeric_reads():
    values = pd.Series([" 2.5 ", "1e3", "+4", ".5", "x", "", None, "1_000", 7], dtype=object)
    expected = pd.to_numeric(values, errors="coerce").astype("float64")
    pd.testing.assert_series_equal(exact_floats(values), expected)


DATES = {
    "01/04/2016": ("2016-04-01", "day"),
    "03/04/2016": ("2016-04-03", "day"),  # day first: 3 April, never 4 March
    "1/7/16": ("2016-07-01", "day"),
    "15-Apr-16": ("2016-04-15", "day"),
    "14-JUN-2016": ("2016-06-14", "day"),
    "3 April 2016": ("2016-04-03", "day"),
    "03.05.2016": ("2016-05-03", "day"),
    "2016-06-30": ("2016-06-30", "day"),
    "2016-06-30T10:15:00": ("2016-06-30", "day"),
    "03/10/2016 00:00": ("2016-10-03", "day"),
    "20160403": ("2016-04-03", "day"),
    "42463": ("2016-04-03", "day"),  # an Excel day number
    "Mar-16": ("2016-03-01", "month"),
    "March 2016": ("2016-03-01", "month"),
    "Ongoing": (None, "unreadable"),
    "31/02/2016": (None, "unreadable"),
    "": (None, "empty"),
}


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_every_date_format_reads_day_first(dtype):
    parsed = parse_dates(pd.Series(list(DATES), dtype=dtype))
    assert parsed.iso().tolist() == [v[0] for v in DATES.values()]
    assert parsed.how.tolist() == [v[1] for v in DATES.values()]


def test_datetime_columns_are_kept():
    parsed = parse_dates(pd.Series(pd.to_datetime(["2016-04-01", None])))
    assert parsed.iso().tolist() == ["2016-04-01", None]
    assert parsed.how.tolist() == ["day", "empty"]


def test_name_rows_lists_the_first_and_counts_the_rest():
    rows = pd.Series(range(2, 10))
    cells = pd.Series([f"v{i}" for i in range(8)])
    assert name_rows(rows, cells, limit=2) == "row 2 'v0', row 3 'v1' and 6 more"
