"""Validation of the community-use columns and tables: place use, needs, pacts (CO-CITY).

Called by :mod:`cwb.dataset.validate` after a table's columns are typed. Each check
flags rows through the table's :class:`~cwb.dataset._checks.Checker`, so every
problem names the file, row, column and value; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cwb.dataset._checks import Checker
from cwb.dataset.schema import DAYS, PACT_STATUSES, SESSIONS, SLOTS, SPACE_TYPES

#: Pact statuses from which each date must be filled in.
_PACT_DATE_FROM: dict[str, str] = {"signed_on": "signed", "starts": "active", "ends": "ended"}
#: Dates of a pact in the order they must come.
_PACT_DATES: tuple[str, ...] = ("proposed_on", "signed_on", "starts", "ends")

Check = Callable[[Checker, pd.DataFrame, dict[str, pd.Index]], None]


def _words(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    words = (w.strip().lower() for w in value.split(";"))
    return [w.replace(" ", "_").replace("-", "_") for w in words if w]


def _check_list(
    chk: Checker, frame: pd.DataFrame, column: str, vocabulary: tuple[str, ...]
) -> None:
    """Flag list cells with words outside ``vocabulary``; store the cleaned list."""
    if column not in frame:
        return
    given = frame[column].notna().to_numpy()
    if not given.any():  # most assets of a large catalogue: nothing to read
        return
    text = frame[column][given]
    words = text.map(_words)
    unknown = words.map(lambda ws: [w for w in ws if w not in vocabulary])
    bad = np.zeros(len(frame), dtype=bool)
    bad[given] = unknown.map(bool).to_numpy()
    where = np.flatnonzero(given)
    position = {int(row): k for k, row in enumerate(where)}
    chk.flag(
        bad,
        column,
        frame[column],
        lambda i: (
            f"{', '.join(map(repr, unknown.iloc[position[i]]))} is not a known {column} value"
        ),
        code=f"unknown_{column}",
        hint="expected ';'-separated words from: " + ", ".join(vocabulary),
    )
    cleaned = words.map(lambda ws: ";".join(ws) if ws else None)
    keep = ~bad[given]
    frame.loc[frame.index[where[keep]], column] = cleaned[keep].to_numpy()


def _check_order(chk: Checker, frame: pd.DataFrame, first: str, second: str) -> None:
    """Flag rows whose date ``second`` comes before date ``first``."""
    a = pd.to_datetime(frame[first], errors="coerce")
    b = pd.to_datetime(frame[second], errors="coerce")
    bad = (a.notna() & b.notna() & (b < a)).to_numpy()
    chk.flag(
        bad,
        second,
        frame[second],
        lambda i: f"comes before {first} ({frame[first].iloc[i]})",
        code="date_order",
        hint=f"{second} must be on or after {first}",
    )


def _check_ids(chk: Checker, frame: pd.DataFrame, column: str, known: pd.Index, what: str) -> None:
    """Flag ``;``-separated id cells naming an id that is not in ``known``."""
    missing = (
        frame[column]
        .map(lambda v: [i for i in (v.split(";") if isinstance(v, str) else []) if i.strip()])
        .map(lambda ids: [i for i in ids if i.strip() not in known])
    )
    chk.flag(
        missing.map(bool).to_numpy(),
        column,
        frame[column],
        lambda i: f"{', '.join(repr(m.strip()) for m in missing.iloc[i])} is not the id of {what}",
        code="unknown_id",
        hint=f"use the id of {what} in assets",
    )


def check_places(chk: Checker, frame: pd.DataFrame, known: dict[str, pd.Index]) -> None:
    """Assets: hours in a week, availability dates in order, space and slot words.

    Also records the ids of physical assets as ``known["places"]`` for the pacts check.
    """
    hours = frame["hours_used_per_week"]
    chk.flag(
        (hours > 168).fillna(False).to_numpy(dtype=bool),
        "hours_used_per_week",
        hours,
        "is more hours than a week has (168)",
        code="out_of_range",
    )
    _check_order(chk, frame, "available_from", "available_until")
    _check_list(chk, frame, "spaces", SPACE_TYPES)
    _check_list(chk, frame, "free_sessions", SLOTS)
    physical = frame.loc[frame["kind"] == "physical", "id"].dropna()
    known["places"] = pd.Index(physical.unique(), dtype="str")
    groups = frame.loc[frame["kind"].isin(["community", "financial"]), "id"].dropna()
    known["groups"] = pd.Index(groups.unique(), dtype="str")


def check_needs(chk: Checker, frame: pd.DataFrame, known: dict[str, pd.Index]) -> None:
    """Needs: a community or financial group, days and times, sessions that fit, dates in order."""
    _check_ids(
        chk,
        frame,
        "group",
        known.get("groups", pd.Index([], dtype="str")),
        "a community or financial asset (residents are never named in a need)",
    )
    _check_list(chk, frame, "days", DAYS)
    _check_list(chk, frame, "times", SESSIONS)
    _check_order(chk, frame, "needed_from", "needed_until")
    # counted into float arrays: on an empty table pandas 3 would type a mapped column as text
    n_days = np.array([len(_words(v)) or len(DAYS) for v in frame["days"]], dtype=float)
    n_times = np.array([len(_words(v)) or len(SESSIONS) for v in frame["times"]], dtype=float)
    sessions = frame["sessions_per_week"].astype("Float64")
    room = pd.Series(n_days * n_times, index=frame.index, dtype="Float64")
    too_many = (sessions > room).fillna(False).to_numpy(dtype=bool)
    chk.flag(
        too_many,
        "sessions_per_week",
        frame["sessions_per_week"],
        lambda i: f"asks for more sessions than its days and times allow ({int(room.iloc[i])})",
        code="out_of_range",
        hint="widen days or times, or ask for fewer sessions",
    )


def check_pacts(chk: Checker, frame: pd.DataFrame, known: dict[str, pd.Index]) -> None:
    """Pacts: the place and partners exist, dates come in order and match the status."""
    empty = pd.Index([], dtype="str")
    _check_ids(chk, frame, "asset", known.get("places", empty), "a physical asset (a place)")
    _check_ids(chk, frame, "partners", known.get("assets", empty), "an asset")
    dated = [c for c in _PACT_DATES if c in frame]
    for i, first in enumerate(dated):
        for second in dated[i + 1 :]:
            _check_order(chk, frame, first, second)
    rank = frame["status"].map({s: n for n, s in enumerate(PACT_STATUSES)})
    for column, status in _PACT_DATE_FROM.items():
        needed = (rank >= PACT_STATUSES.index(status)).fillna(False).to_numpy(dtype=bool)
        absent = needed & frame[column].isna().to_numpy()
        chk.flag(
            absent,
            column,
            None,
            lambda i: f"is empty but the pact is {frame['status'].iloc[i]}",
            code="pact_lifecycle",
            hint=f"a pact that is {status} or later needs {column}",
        )
    early = (rank < PACT_STATUSES.index("signed")).fillna(False).to_numpy(dtype=bool)
    chk.flag(
        early & frame["signed_on"].notna().to_numpy(),
        "status",
        frame["status"],
        "has a signed_on date but the status is before signed",
        code="pact_lifecycle",
        hint="set the status to signed (or later), or clear signed_on",
        severity="warning",
    )


#: The check of each table that has one.
COMMONS_CHECKS: dict[str, Check] = {
    "assets": check_places,
    "needs": check_needs,
    "pacts": check_pacts,
}

__all__ = ["COMMONS_CHECKS", "check_needs", "check_pacts", "check_places"]
