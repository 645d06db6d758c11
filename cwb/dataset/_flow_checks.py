"""Checks of the flows table beyond column types: places, coordinates and shares.

A flow's origin and destination must each name a place cwb can put on a map: an
area code, an asset, opportunity or project id, or any code whose coordinates
the row (or another row naming the same code) gives (``origin_lat``/``origin_lon``).
Shares must lie in 0–1, and the shares of one destination's inflow (or one
origin's outflow) of one kind and period should add up to 1: a warning says by how much they do not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cwb.dataset._checks import Checker

#: Shares of one total that add up to within this of 1 count as adding up.
SHARE_TOLERANCE = 0.01


def _normal_word(series: pd.Series) -> pd.Series:
    return (
        series.astype("str")
        .str.strip()
        .str.lower()
        .str.replace(r"[ \t\r\n\-]+", "_", regex=True)
        .where(series.notna())
    )


def check_flows(chk: Checker, frame: pd.DataFrame, known: dict[str, pd.Index]) -> None:
    """Check (and normalise, in place) a typed flows frame; problems go to ``chk``."""
    frame["kind"] = _normal_word(frame["kind"]).astype("str")
    frame["unit"] = frame["unit"].fillna("people").astype("str")
    empty = pd.Index([], dtype="str")
    places = (
        known.get("areas", empty)
        .append(known.get("assets", empty))
        .append(known.get("opportunities", empty))
        .append(known.get("projects", empty))
        .unique()
    )
    placed = pd.Index(
        pd.concat(
            [
                frame.loc[frame[f"{end}_lat"].notna() & frame[f"{end}_lon"].notna(), end]
                for end in ("origin", "destination")
            ]
        ).dropna(),
        dtype="str",
    )
    places = places.append(placed).unique()
    for end in ("origin", "destination"):
        lat, lon = frame[f"{end}_lat"], frame[f"{end}_lon"]
        half = lat.isna() != lon.isna()
        chk.flag(
            half.to_numpy(),
            f"{end}_lat",
            lat.astype("str"),
            f"{end}_lat and {end}_lon must be given together",
            code="half_coordinates",
        )
        bad = (lat.abs() > 90) | (lon.abs() > 180)
        chk.flag(
            bad.fillna(False).to_numpy(dtype=bool),
            f"{end}_lat",
            lat.astype("str") + ", " + lon.astype("str"),
            "is not a latitude, longitude in degrees",
            code="out_of_range",
        )
        codes = frame[end]
        found = places.get_indexer(codes.fillna("")) >= 0
        has_xy = (lat.notna() & lon.notna()).to_numpy()
        unknown = codes.notna().to_numpy() & ~found & ~has_xy
        chk.flag(
            unknown,
            end,
            codes,
            "is not an area code, asset, opportunity or project id, and the row gives "
            "no coordinates for it",
            code="unknown_place",
            hint=f"add the area to areas, or give {end}_lat and {end}_lon",
        )
    is_share = frame["unit"] == "share"
    over = is_share & (frame["magnitude"] > 1)
    chk.flag(
        over.to_numpy(),
        "magnitude",
        frame["magnitude"].astype("str"),
        "is a share above 1",
        code="share_above_one",
        hint="write shares as fractions, e.g. 0.57 for 57 %",
    )
    chk.flag(
        (frame["share"] > 1).fillna(False).to_numpy(dtype=bool),
        "share",
        frame["share"].astype("str"),
        "is a share above 1",
        code="share_above_one",
        hint="write shares as fractions, e.g. 0.57 for 57 %",
    )
    _check_share_totals(chk, frame, is_share)


def _check_share_totals(chk: Checker, frame: pd.DataFrame, is_share: pd.Series) -> None:
    share = frame["share"].where(frame["share"].notna(), frame["magnitude"].where(is_share))
    side = frame["share_of"].fillna("destination")
    has = share.notna()
    if not has.any():
        return
    work = pd.DataFrame(
        {
            "place": np.where(side == "origin", frame["origin"], frame["destination"]),
            "side": side,
            "kind": frame["kind"].fillna(""),
            "period": frame["period"].fillna(""),
            "share": share,
        }
    )[has.to_numpy()]
    keys = ["side", "place", "kind", "period"]
    totals = work.groupby(keys, dropna=False)["share"].transform("sum")
    off = (totals - 1).abs() > SHARE_TOLERANCE
    first = ~work[keys].duplicated()
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.flatnonzero(has.to_numpy())[(off & first).to_numpy()]] = True
    total_at = pd.Series(np.nan, index=frame.index)
    total_at[has] = totals.to_numpy()
    chk.flag(
        mask,
        "share",
        share.astype("str"),
        lambda i: (
            f"the shares of {frame['kind'].iloc[i]} flows "
            f"{'out of' if side.iloc[i] == 'origin' else 'into'} "
            f"{frame['origin' if side.iloc[i] == 'origin' else 'destination'].iloc[i]!r} "
            f"add up to {total_at.iloc[i]:.3f}, not 1"
        ),
        code="shares_do_not_add_up",
        severity="warning",
        hint="list every part of the total, or check share_of",
    )
