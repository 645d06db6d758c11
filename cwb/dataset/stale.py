"""Stale records: rows whose ``last_verified`` date is older than a number of months.

A row never verified falls back on its ``collected_on`` date; a row with neither
date is listed as never verified (unless ``include_undated=False``).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pandas as pd

from cwb import settings
from cwb.dataset.model import Dataset

STALE_COLUMNS = [
    "table",
    "id",
    "name",
    "kind",
    "category",
    "source",
    "last_verified",
    "collected_on",
    "checked_on",
    "age_months",
    "reason",
]


def months_before(day: _dt.date, months: int) -> _dt.date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return _dt.date(year, month, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def stale_rows(
    frame: pd.DataFrame,
    *,
    months: int = settings.STALE_MONTHS,
    today: _dt.date | None = None,
    table: str = "assets",
    include_undated: bool = True,
) -> pd.DataFrame:
    """Rows of ``frame`` not verified within ``months`` months of ``today``, oldest first.

    Parameters
    ----------
    frame
        A table with ``id`` and optionally ``name``/``title``, ``last_verified``, ``collected_on``.
    months
        How old a check may be before the row counts as stale.
    today
        The reference date (default: today).
    table
        Table name written in the ``table`` column.
    include_undated
        List rows that have neither date as ``never verified``.

    Returns
    -------
    DataFrame
        :data:`STALE_COLUMNS`: the date the row was last checked, its age in whole months
        and why it is listed.
    """
    if months < 0:
        from cwb.errors import UsageError

        raise UsageError(f"months must be 0 or more; got {months}")
    today = today or _dt.date.today()
    cutoff = pd.Timestamp(months_before(today, months))
    n = len(frame)

    def column(name: str) -> pd.Series:
        return (
            frame[name] if name in frame else pd.Series([None] * n, index=frame.index, dtype=object)
        )

    verified = pd.to_datetime(column("last_verified"), errors="coerce", format="mixed")
    collected = pd.to_datetime(column("collected_on"), errors="coerce", format="mixed")
    checked = verified.fillna(collected)
    old = checked < cutoff
    undated = checked.isna()
    listed = old | (undated & include_undated)
    now = pd.Timestamp(today)
    age = (
        (now.year - checked.dt.year) * 12
        + (now.month - checked.dt.month)
        - (now.day < checked.dt.day).astype("Int64")
    )
    reason = pd.Series("", index=frame.index, dtype=object)
    reason[old & verified.notna()] = f"last verified more than {months} months ago"
    reason[old & verified.isna()] = f"never verified; collected more than {months} months ago"
    reason[undated] = "never verified and no collection date"
    name = column("name") if "name" in frame else column("title")
    out = pd.DataFrame(
        {
            "table": table,
            "id": column("id"),
            "name": name,
            "kind": column("kind"),
            "category": column("category") if "category" in frame else column("type"),
            "source": column("source"),
            "last_verified": column("last_verified"),
            "collected_on": column("collected_on"),
            "checked_on": checked.dt.strftime("%Y-%m-%d").where(checked.notna(), None),
            "age_months": age.astype("Int64"),
            "reason": reason,
        }
    )[listed.to_numpy()]
    return out.sort_values("checked_on", na_position="first", kind="stable").reset_index(drop=True)


def stale_records(
    ds: Dataset,
    *,
    months: int = settings.STALE_MONTHS,
    today: _dt.date | None = None,
    include_undated: bool = True,
    out: str | Path | None = None,
) -> pd.DataFrame:
    """Stale rows of a dataset's assets and opportunities; written as CSV to ``out`` when given.

    Private columns never appear in the listing (it holds ids, names and dates only).
    """
    parts = [
        stale_rows(frame, months=months, today=today, table=name, include_undated=include_undated)
        for name, frame in (("assets", ds.assets), ("opportunities", ds.opportunities))
        if frame is not None and len(frame)
    ]
    listing = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=STALE_COLUMNS)
    if out is not None:
        from cwb.dataset.io import write_table

        write_table(listing, Path(out))
    return listing
