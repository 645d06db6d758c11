"""Stale listing: last_verified (or collected_on) older than N months."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cwb.dataset.io import read_dataset
from cwb.dataset.stale import months_before, stale_records, stale_rows
from cwb.errors import UsageError

TODAY = dt.date(2025, 6, 15)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["A1", "A2", "A3", "A4", "A5"],
            "name": ["fresh", "old check", "old collection", "undated", "recent collection"],
            "last_verified": ["2025-01-01", "2022-03-01", None, None, None],
            "collected_on": ["2020-01-01", "2025-01-01", "2021-06-14", None, "2024-06-16"],
        }
    )


def test_known_listing():
    listing = stale_rows(frame(), months=12, today=TODAY)
    assert list(listing["id"]) == ["A4", "A3", "A2"]
    reasons = dict(zip(listing["id"], listing["reason"], strict=True))
    assert reasons["A2"] == "last verified more than 12 months ago"
    assert reasons["A3"] == "never verified; collected more than 12 months ago"
    assert reasons["A4"] == "never verified and no collection date"
    ages = dict(zip(listing["id"], listing["age_months"], strict=True))
    assert ages["A2"] == 39 and ages["A3"] == 48 and pd.isna(ages["A4"])


def test_exclude_undated_and_boundary():
    listing = stale_rows(frame(), months=12, today=TODAY, include_undated=False)
    assert "A4" not in set(listing["id"])
    # collected 2024-06-16: 12 months back from 2025-06-15 is 2024-06-15, so not stale
    assert "A5" not in set(listing["id"])
    assert "A5" in set(stale_rows(frame(), months=11, today=TODAY)["id"])


def test_months_before_clamps_to_month_end():
    assert months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2025, 1, 15), 13) == dt.date(2023, 12, 15)
    with pytest.raises(UsageError):
        stale_rows(frame(), months=-1)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=120))
def test_more_months_never_lists_more(months):
    fewer = set(stale_rows(frame(), months=months + 1, today=TODAY)["id"])
    more = set(stale_rows(frame(), months=months, today=TODAY)["id"])
    assert fewer <= more


def test_stale_records_of_a_dataset(mini_path, tmp_path):
    ds = read_dataset(mini_path)
    out = tmp_path / "stale.csv"
    listing = stale_records(ds, months=12, today=TODAY, out=out)
    assert set(listing["table"]) <= {"assets", "opportunities"}
    assert "A4" in set(listing["id"])  # collected 2022-09-30
    written = pd.read_csv(out)
    assert len(written) == len(listing)
    assert not any(c.startswith("contact") for c in written.columns)
