"""Privacy: human assets leave the dataset only in aggregate, small groups suppressed.

Human assets describe residents. Every output that leaves cwb (maps, graph
exports, reports, match tables) goes through :func:`public_assets` or
:func:`aggregate_human`, which drop private columns, replace each resident row
by its group (area × category × skills), and suppress groups smaller than k.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.dataset.schema import is_private_column

#: Label of human-asset groups that fall in no area.
OUTSIDE_AREAS = "outside_areas"


def drop_private_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` without personal columns (contact details and the like)."""
    return frame.drop(columns=[c for c in frame.columns if is_private_column(c)])


def aggregate_human(
    assets: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    min_count: int,
    by: tuple[str, ...] = ("category", "skills"),
) -> tuple[gpd.GeoDataFrame, int]:
    """Aggregate human assets into groups per area; suppress groups smaller than ``min_count``.

    Parameters
    ----------
    assets
        Assets (any kinds; only ``kind == "human"`` rows are used).
    areas
        Area polygons with a ``code`` and ``name`` column.
    min_count
        k: groups standing for fewer residents than this are suppressed.
    by
        Columns that define a group within an area.

    Returns
    -------
    groups, suppressed
        One row per (area, *by*) group with ``count``, ``members`` (rows merged)
        and the area's representative point as geometry (never a resident's
        location); and the number of residents in suppressed groups.
    """
    human = assets[assets["kind"] == "human"]
    columns = ["area_code", "area_name", *by, "count", "members", "geometry"]
    if human.empty:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=assets.crs), 0
    area_of = assign_area_codes(human, areas)
    counts = pd.to_numeric(human["count"], errors="coerce").fillna(1).astype("int64")
    frame = pd.DataFrame({"area_code": area_of.to_numpy(), "count": counts.to_numpy()})
    for col in by:
        frame[col] = human[col].fillna("").astype(str).to_numpy()
    grouped = frame.groupby(["area_code", *by], sort=True, dropna=False).agg(
        count=("count", "sum"), members=("count", "size")
    )
    grouped = grouped.reset_index()
    small = grouped["count"] < min_count
    suppressed = int(grouped.loc[small, "count"].sum())
    grouped = grouped.loc[~small].reset_index(drop=True)
    points = (
        areas.set_index("code").geometry.representative_point()
        if len(areas)
        else pd.Series(dtype=object)
    )
    names = areas.set_index("code")["name"] if len(areas) else pd.Series(dtype=object)
    grouped["area_name"] = grouped["area_code"].map(names).fillna(OUTSIDE_AREAS)
    geometry = grouped["area_code"].map(points)
    out = gpd.GeoDataFrame(
        grouped, geometry=gpd.GeoSeries(geometry.to_numpy(), crs=areas.crs or assets.crs)
    )
    return out[columns], suppressed


def assign_area_codes(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """Area code for each row: its ``area_code`` if set, else the area its geometry falls in.

    Rows in no area get :data:`OUTSIDE_AREAS`. The result is aligned with ``points``.
    """
    codes = (
        points["area_code"].astype(object).where(points["area_code"].notna(), None)
        if "area_code" in points
        else pd.Series(None, index=points.index, dtype=object)
    )
    missing = codes.isna()
    if missing.any() and len(areas):
        located = points.loc[missing & points.geometry.notna() & ~points.geometry.is_empty]
        if len(located):
            hits = gpd.sjoin(
                located[["geometry"]],
                areas[["code", "geometry"]].to_crs(points.crs),
                how="left",
                predicate="within",
            )
            hits = hits[~hits.index.duplicated(keep="first")]
            codes.loc[hits.index] = hits["code"].to_numpy()
    return codes.fillna(OUTSIDE_AREAS).astype(str)


def public_assets(assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Non-human assets without private columns: safe to publish as points."""
    return drop_private_columns(assets[assets["kind"] != "human"])


def suppress_small(values: pd.Series, min_count: int) -> pd.Series:
    """Counts below ``min_count`` replaced by missing values (shown as "<k" by callers)."""
    return values.where(values >= min_count, np.nan)


def drop_rare_resident_terms(
    terms: pd.DataFrame, assets: pd.DataFrame, *, min_count: int
) -> pd.DataFrame:
    """Hide which residents use a term when fewer than ``min_count`` of them do.

    ``terms`` has one row per (``table``, ``term``) with ``count`` and ``rows`` (the
    ``;``-joined ids of the rows naming it), as :func:`cwb.matching.skills.skill_resolutions`
    returns. For asset terms, the human rows among ``rows`` are removed when the
    residents they stand for (their ``count``, 1 when blank) add up to fewer than
    ``min_count``; a term left with no rows is dropped, so one person's unusual skill
    never appears by name.
    """
    if terms.empty or "kind" not in assets:
        return terms
    human = assets[assets["kind"] == "human"]
    residents = pd.Series(
        pd.to_numeric(human["count"], errors="coerce").fillna(1).to_numpy(),
        index=human["id"].astype(str).to_numpy(),
    )
    keep = np.ones(len(terms), dtype=bool)
    counts = terms["count"].to_numpy(copy=True)
    rows = terms["rows"].astype(str).to_numpy(copy=True)
    for i, (table, cell) in enumerate(zip(terms["table"], rows, strict=True)):
        if table != "assets":
            continue
        ids = [r for r in cell.split(";") if r]
        people = [r for r in ids if r in residents.index]
        if not people or residents.loc[people].sum() >= min_count:
            continue
        others = [r for r in ids if r not in residents.index]
        keep[i] = bool(others)
        counts[i], rows[i] = len(others), ";".join(others)
    out = terms.assign(count=counts, rows=rows)
    return out.loc[keep].reset_index(drop=True)


def in_published_group(
    assets: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    min_count: int,
    by: tuple[str, ...] = ("category", "skills"),
) -> np.ndarray:
    """True for each row that outputs may count (non-human rows, human rows in groups of k+).

    A human row counts when its group, as :func:`aggregate_human` forms it, stands
    for at least ``min_count`` residents.

    Totals built only from these rows agree with the published groups, so subtracting
    the groups on a map from a total in a table recovers no suppressed count.
    """
    human = (assets["kind"] == "human").to_numpy()
    keep = np.ones(len(assets), dtype=bool)
    if not human.any():
        return keep
    rows = assets[human]
    frame = pd.DataFrame(
        {
            "area_code": assign_area_codes(rows, areas).to_numpy(),
            "count": pd.to_numeric(rows["count"], errors="coerce").fillna(1).to_numpy(),
        }
    )
    for col in by:
        frame[col] = rows[col].fillna("").astype(str).to_numpy()
    total = frame.groupby(["area_code", *by], dropna=False)["count"].transform("sum")
    keep[np.flatnonzero(human)] = (total >= min_count).to_numpy()
    return keep
