"""Privacy: human assets leave the dataset only in aggregate, small groups suppressed.

Human assets describe residents. Every output that leaves cwb (maps, graph
exports, reports, match tables) goes through :func:`public_assets` or
:func:`aggregate_human`, which drop private columns, replace each resident row
by its group (area × category × skills), and suppress groups smaller than k.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb import settings
from cwb.dataset.geography import OUTSIDE_AREAS, assign_area_codes
from cwb.dataset.model import Dataset, metric_crs_for
from cwb.dataset.schema import is_private_column

#: Residents in aggregate, as :func:`aggregate_human` returns them: the groups and the
#: number of residents in suppressed groups.
Residents = tuple[gpd.GeoDataFrame, int]
#: The located tables of a dataset that :func:`with_area_codes` codes.
CODED_TABLES: tuple[str, ...] = ("assets", "opportunities", "spend")


#: The column a row sets to ``no`` to keep its location off every map and export.
PUBLISH_LOCATION = "map"
#: Columns that give a row's location away, blanked with its geometry when it is hidden.
LOCATION_COLUMNS: tuple[str, ...] = ("lat", "lon", "postcode")
_NO = frozenset({"false", "no", "n", "0", "f"})


def location_hidden(frame: pd.DataFrame) -> np.ndarray:
    """Whether each row's location must stay unpublished (``map`` = no).

    Residents (``kind`` human) are never hidden here: they leave cwb only in
    aggregate per area, so their own location is never published anyway.
    """
    if PUBLISH_LOCATION not in frame or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    values = frame[PUBLISH_LOCATION]
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    hidden = text.isin(_NO).to_numpy().copy()
    if "kind" in frame:
        hidden &= (frame["kind"].astype(str) != "human").to_numpy()
    return hidden


def hide_locations(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with the geometry, lat/lon and postcode of hidden rows emptied (a copy if any).

    The rows stay (they are still counted); only where they are is withheld.
    See :func:`location_hidden`.
    """
    hidden = location_hidden(frame)
    if not hidden.any():
        return frame
    out = frame.copy()
    out.loc[hidden, out.geometry.name] = None
    for column in LOCATION_COLUMNS:
        if column in out:
            out[column] = out[column].astype(object).where(~hidden, None)
    return out


def drop_private_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` without personal columns (contact details and the like)."""
    return frame.drop(columns=[c for c in frame.columns if is_private_column(c)])


def aggregate_human(
    assets: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    min_count: int = settings.MIN_COUNT,
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
    area_of = assign_area_codes(human, areas) if len(areas) else _fallback_zones(human)
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
    grouped["area_name"] = grouped["area_code"].map(names).astype(object).fillna(OUTSIDE_AREAS)
    geometry = grouped["area_code"].map(points).astype(object)
    if not len(areas):
        grouped["area_name"] = grouped["area_code"].map(_zone_name)
        geometry = _zone_points(human, area_of, grouped["area_code"])
    out = gpd.GeoDataFrame(
        grouped,
        geometry=gpd.GeoSeries(list(geometry), index=grouped.index, crs=areas.crs or assets.crs),
    )
    return out[columns], suppressed


def _grid_cells(points: gpd.GeoSeries) -> pd.Series:
    """The grid square (``RESIDENT_GRID_M``) each point falls in, as ``(col, row)`` labels."""
    crs = metric_crs_for(gpd.GeoDataFrame(geometry=points))
    metric = points.to_crs(crs)
    side = settings.RESIDENT_GRID_M
    col = np.floor(metric.x.to_numpy() / side)
    row = np.floor(metric.y.to_numpy() / side)
    labels = [
        f"grid {int(c)},{int(r)}" if np.isfinite(c) and np.isfinite(r) else OUTSIDE_AREAS
        for c, r in zip(col, row, strict=True)
    ]
    return pd.Series(labels, index=points.index, dtype=object)


def _fallback_zones(human: gpd.GeoDataFrame) -> pd.Series:
    """Zones of residents when the dataset has no areas: postcode district, else grid square."""
    district = (
        human["postcode"].astype(object).where(human["postcode"].notna(), "")
        if "postcode" in human
        else pd.Series("", index=human.index, dtype=object)
    )
    district = district.astype(str).str.strip().str.upper().str.split(" ").str[0]
    cells = _grid_cells(human.geometry)
    return district.where(district.str.len() >= 2, cells).astype(str)


def _zone_name(code: str) -> str:
    if code.startswith("grid "):
        return f"{settings.RESIDENT_GRID_M / 1000:g} km square {code[5:]}"
    return OUTSIDE_AREAS if code == OUTSIDE_AREAS else f"postcode district {code}"


def _zone_points(human: gpd.GeoDataFrame, zone: pd.Series, codes: pd.Series) -> list[object]:
    """A point per zone that is never a resident's location: a grid square's centre.

    A postcode district is shown at the centre of the grid square holding the mean
    position of its residents' rows.
    """
    located = human.geometry.notna() & ~human.geometry.is_empty
    if not located.any():
        return [None] * len(codes)
    crs = metric_crs_for(gpd.GeoDataFrame(geometry=human.geometry[located]))
    metric = human.geometry[located].to_crs(crs)
    frame = pd.DataFrame({"zone": zone[located].to_numpy(), "x": metric.x, "y": metric.y})
    mean = frame.groupby("zone")[["x", "y"]].mean()
    side = settings.RESIDENT_GRID_M
    centres = gpd.GeoSeries(
        gpd.points_from_xy(
            (np.floor(mean["x"] / side) + 0.5) * side, (np.floor(mean["y"] / side) + 0.5) * side
        ),
        index=mean.index,
        crs=crs,
    ).to_crs(human.crs)
    return [centres.get(c) for c in codes]


def with_area_codes(ds: Dataset) -> Dataset:
    """A copy of ``ds`` whose located rows carry their area in ``area_code``.

    The tables of :data:`CODED_TABLES` are joined to the areas once, together; rows with a
    geometry and no ``area_code`` get the code of the area they fall in, or
    :data:`OUTSIDE_AREAS`. Rows without a geometry are left as they are. Later
    calls of :func:`assign_area_codes` on these tables (or their subsets) then
    read the column instead of joining again.

    Parameters
    ----------
    ds
        The dataset.

    Returns
    -------
    Dataset
        The same dataset with new ``assets``, ``opportunities`` and ``spend`` tables.
    """
    tables = {
        name: table
        for name in CODED_TABLES
        if (table := getattr(ds, name)) is not None and not table.empty
    }
    if not tables:
        return ds
    current = {name: _given_codes(table) for name, table in tables.items()}
    todo = {
        name: table.geometry.notna() & ~table.geometry.is_empty & current[name].isna()
        for name, table in tables.items()
    }
    # the rows of every table that need a code, joined to the areas in one go
    points = gpd.GeoDataFrame(
        geometry=gpd.GeoSeries(
            pd.concat([t.geometry[todo[n]] for n, t in tables.items()], ignore_index=True),
            crs=next(iter(tables.values())).crs,
        )
    )
    found = assign_area_codes(points, ds.areas).to_numpy() if len(points) else []
    changes: dict[str, gpd.GeoDataFrame] = {}
    start = 0
    for name, table in tables.items():
        codes = current[name].copy()
        n = int(todo[name].sum())
        codes[todo[name]] = found[start : start + n]
        start += n
        changes[name] = table.assign(area_code=codes)
    return replace(ds, **changes)


def _given_codes(table: gpd.GeoDataFrame) -> pd.Series:
    """A table's own ``area_code`` values (None where missing or absent)."""
    if "area_code" not in table:
        return pd.Series(None, index=table.index, dtype=object)
    return table["area_code"].astype(object).where(table["area_code"].notna(), None)


def public_assets(assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Non-human assets without private columns or hidden locations: safe to publish as points."""
    return hide_locations(drop_private_columns(assets[assets["kind"] != "human"]))


def published_suppressed(count: int, min_count: int = settings.MIN_COUNT) -> int:
    """The number of residents in suppressed groups as outputs may state it.

    The exact figure would give a suppressed group's size away whenever one group
    is suppressed (or a reader knows all but one of them), so it is rounded down to
    a multiple of ``min_count``: 0 below k, then k, 2k …

    >>> published_suppressed(3, 5), published_suppressed(7, 5), published_suppressed(12, 5)
    (0, 5, 10)
    """
    return count // min_count * min_count if min_count > 1 else count


def describe_suppressed(count: int, min_count: int = settings.MIN_COUNT) -> str:
    """``count`` residents in suppressed groups, as text that never states a group's size.

    >>> describe_suppressed(3, 5), describe_suppressed(7, 5)
    ('fewer than 5', 'at least 5')
    """
    shown = published_suppressed(count, min_count)
    return f"at least {shown:,}" if shown else f"fewer than {min_count}"


def suppress_small(values: pd.Series, min_count: int = settings.MIN_COUNT) -> pd.Series:
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
