"""Geography helpers: area polygons from ONS-style files, area codes and indicators for any table.

- :func:`read_areas` loads ward or LSOA polygons (GeoJSON, GeoPackage, Shapefile)
  into the ``areas`` schema, recognising ONS column names (``WD22CD``,
  ``ward22_code``, ``LSOA11CD``, ``lad22_name`` …).
- :func:`read_imd` and :func:`read_population` read the English Indices of
  Deprivation 2019 files (File 1/2, File 6) by LSOA.
- :func:`aggregate_imd` gives wards (or any areas) an IMD 2019 rank and decile from
  their LSOAs: the population-weighted mean LSOA rank, placed among England's
  32,844 LSOAs for the decile, plus the share of residents in the most deprived 10 %.
- :func:`attach_area_codes` (spatial join) and :func:`attach_indicators` (code
  lookup) add area codes and indicators to any table; :func:`assign_area_codes`
  gives each row its area code (or :data:`OUTSIDE_AREAS`).
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb.dataset.model import WGS84
from cwb.errors import UsageError, require_path

log = logging.getLogger(__name__)

#: Area code of rows (and human-asset groups) that fall in no area.
OUTSIDE_AREAS = "outside_areas"

#: Number of LSOAs in England in the English Indices of Deprivation 2019.
ENGLAND_LSOAS_2019 = 32_844

_CODE = re.compile(r"(^|_)(cd|code)$|^(wd|lsoa|msoa|lad|ward)\d*cd$|^wardcode$|^lsoa\d*$", re.I)
_NAME = re.compile(r"(^|_)(nm|name)$|^(wd|lsoa|msoa|lad|ward)\d*nm$|^ward$", re.I)
_LA = re.compile(r"^(lad|ltla|la|lad\d+)\d*_?(nm|name)$|^local_authority$|^area$", re.I)


#: Geography level of an ONS GSS code, by its first three characters (England, Wales).
GSS_LEVELS: dict[str, str] = {
    **dict.fromkeys(("E00", "W00"), "output area"),
    **dict.fromkeys(("E01", "W01"), "LSOA"),
    **dict.fromkeys(("E02", "W02"), "MSOA"),
    **dict.fromkeys(("E05", "W05"), "ward"),
    **dict.fromkeys(("E06", "E07", "E08", "E09", "W06"), "local authority"),
    **dict.fromkeys(("E10",), "county"),
    **dict.fromkeys(("E12",), "region"),
}


def geography_level(code: object) -> str:
    """The level of an area code (``"MSOA"`` for ``E02001234``); ``""`` when not an ONS code.

    >>> geography_level("E08000028"), geography_level("E02001234"), geography_level("X1")
    ('local authority', 'MSOA', '')
    """
    text = str(code).strip().upper() if code is not None else ""
    return GSS_LEVELS.get(text[:3], "") if len(text) == 9 else ""


def _pick(
    columns: list[str], pattern: re.Pattern[str], avoid: tuple[str, ...] = ("lad", "ltla")
) -> str | None:
    """The first column matching ``pattern``, preferring non local-authority columns."""
    hits = [c for c in columns if pattern.search(c)]
    preferred = [c for c in hits if not c.lower().startswith(avoid)]
    return next(iter(preferred or hits), None)


def read_areas(
    path: str | Path,
    *,
    code: str | None = None,
    name: str | None = None,
    local_authority: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    local_authorities: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read area polygons into the ``areas`` schema (code, name, local_authority; EPSG:4326).

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or Shapefile of wards, LSOAs or other areas.
    code, name, local_authority
        Source column names; guessed from ONS naming (``WD22CD``/``ward22_code``,
        ``WD22NM``/``ward22_name``, ``LAD22NM``/``lad_name``) when not given.
    layer
        GeoPackage layer.
    crs
        CRS to assume when the file declares none (e.g. ``EPSG:27700``).
    local_authorities
        Keep only areas whose local authority name or code is in this list.

    Other columns are kept (numeric ones are indicators).
    """
    path = require_path(path)
    gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    if gdf.crs is None:
        if crs is None:
            raise UsageError(
                f"{path.name} declares no CRS; pass crs= "
                "(e.g. EPSG:27700 for British National Grid)"
            )
        gdf = gdf.set_crs(crs)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    code = code or _pick(columns, _CODE)
    name = name or _pick(columns, _NAME)
    if code is None or code not in gdf:
        raise UsageError(
            f"{path.name}: no area code column found; pass code=…; columns are {columns}"
        )
    if name is None or name not in gdf:
        name = code
    la = local_authority or _pick(columns, _LA, avoid=())
    la_code = next((c for c in columns if re.match(r"^(lad|ltla)\d*_?(cd|code)$", c, re.I)), None)
    out = gpd.GeoDataFrame(
        {
            "code": gdf[code].astype(str).str.strip(),
            "name": gdf[name].astype(str).str.strip(),
            "local_authority": gdf[la].astype(str) if la and la in gdf else None,
        },
        geometry=gdf.geometry.to_crs(WGS84),
        crs=WGS84,
    )
    extra = [c for c in columns if c not in (code, name, la)]
    for c in extra:
        out[c] = gdf[c].to_numpy()
    if local_authorities:
        wanted = {s.strip().lower() for s in local_authorities}
        keep = out["local_authority"].fillna("").str.lower().isin(wanted)
        if la_code:
            keep |= gdf[la_code].astype(str).str.lower().isin(wanted).to_numpy()
        out = out[keep.to_numpy()].reset_index(drop=True)
    log.info("read %d areas from %s (code=%s, name=%s)", len(out), path.name, code, name)
    return out


def _find(columns: list[str], *needles: str) -> str | None:
    for c in columns:
        low = c.lower()
        if all(n in low for n in needles):
            return c
    return None


def _numbers(series: pd.Series) -> pd.Series:
    return pd.to_numeric(
        series.astype(str).str.replace(",", "", regex=False).str.strip(), errors="coerce"
    )


def read_imd(path: str | Path) -> pd.DataFrame:
    """IMD 2019 rank and decile by LSOA from File 1 or File 2 of the English Indices of Deprivation.

    Returns
    -------
    DataFrame
        ``lsoa_code``, ``lsoa_name``, ``local_authority``, ``imd_rank``, ``imd_decile``.
    """
    path = require_path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    cols = list(raw.columns)
    code = _find(cols, "lsoa code")
    rank = _find(cols, "index of multiple deprivation", "rank")
    decile = _find(cols, "index of multiple deprivation", "decile")
    if not (code and rank and decile):
        raise UsageError(
            f"{path.name}: expected the IoD2019 columns 'LSOA code (2011)', "
            f"'Index of Multiple Deprivation (IMD) Rank' and '… Decile'; found {cols[:8]}"
        )
    return pd.DataFrame(
        {
            "lsoa_code": raw[code].str.strip(),
            "lsoa_name": raw[_find(cols, "lsoa name")] if _find(cols, "lsoa name") else None,
            "local_authority": raw[_find(cols, "district name")]
            if _find(cols, "district name")
            else None,
            "imd_rank": _numbers(raw[rank]),
            "imd_decile": _numbers(raw[decile]),
        }
    )


def read_population(path: str | Path) -> pd.DataFrame:
    """Population by LSOA (``lsoa_code``, ``population``) from IoD2019 File 6 or a similar CSV."""
    path = require_path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    cols = list(raw.columns)
    code = _find(cols, "lsoa code") or _find(cols, "lsoa11cd") or _find(cols, "lsoa")
    total = _find(cols, "total population") or _find(cols, "population")
    if not (code and total):
        raise UsageError(
            f"{path.name}: expected an LSOA code and a total population column; found {cols[:8]}"
        )
    return pd.DataFrame({"lsoa_code": raw[code].str.strip(), "population": _numbers(raw[total])})


def attach_area_codes(
    frame: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    column: str = "area_code",
    overwrite: bool = False,
) -> gpd.GeoDataFrame:
    """A copy of ``frame`` whose ``column`` holds the code of the area each row lies in.

    Points are joined as they are, other geometries by their representative point.
    Rows outside every area (or unlocated) keep their value (None when new).
    Existing values are kept unless ``overwrite``.
    """
    out = frame.copy()
    if column not in out:
        out[column] = None
    geoms = out.geometry
    ok = (geoms.notna() & ~geoms.is_empty).to_numpy(copy=True)
    if not overwrite:
        ok = ok & (out[column].isna() | (out[column].astype(str).str.strip() == "")).to_numpy()
    if ok.any() and len(areas):
        pts = gpd.GeoDataFrame(geometry=geoms[ok].representative_point().to_numpy(), crs=out.crs)
        pts.index = out.index[ok]
        hits = gpd.sjoin(
            pts, areas[["code", "geometry"]].to_crs(out.crs), how="left", predicate="within"
        )
        hits = hits[~hits.index.duplicated(keep="first")]
        found = hits["code"].notna()
        codes = pd.Series(
            out[column].astype(object).to_numpy(copy=True), index=out.index, dtype=object
        )
        codes[hits.index[found]] = hits.loc[found, "code"].to_numpy()
        out[column] = codes
    return out


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
        polygons = areas[["code", "geometry"]].to_crs(points.crs)
        inside = _points_within(located.geometry.to_numpy(), polygons)
        if inside is not None:
            codes.loc[located.index] = inside
        elif len(located):
            hits = gpd.sjoin(located[["geometry"]], polygons, how="left", predicate="within")
            hits = hits[~hits.index.duplicated(keep="first")]
            codes.loc[hits.index] = hits["code"].to_numpy()
    return codes.fillna(OUTSIDE_AREAS).astype(str)


def _points_within(geoms: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray | None:
    """The code of the first area each point lies within (None where none); None if not points.

    What ``gpd.sjoin(…, predicate="within")`` keeping each point's first area gives, with
    the spatial index over the areas instead of over the points: the points are tested
    against the (prepared) areas whose bounding box holds them.
    """
    if not len(geoms) or not (shapely.get_type_id(geoms) == 0).all():
        return None
    polygons = areas.geometry.to_numpy()
    out = np.full(len(geoms), None, dtype=object)
    usable = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
    if not usable.any():
        return out
    tree = shapely.STRtree(np.where(usable, polygons, None))
    point, area = tree.query(geoms)
    shapely.prepare(polygons[usable])
    inside = shapely.contains(polygons[area], geoms[point])
    point, area = point[inside], area[inside]
    order = np.lexsort((area, point))  # per point, its areas in the areas' order
    point, area = point[order], area[order]
    first = np.flatnonzero(np.r_[True, point[1:] != point[:-1]]) if len(point) else point
    out[point[first]] = areas["code"].to_numpy(dtype=object)[area[first]]
    return out


def attach_indicators(
    frame: pd.DataFrame,
    table: pd.DataFrame,
    *,
    left_on: str = "area_code",
    right_on: str = "code",
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """``frame`` with indicator ``columns`` of ``table`` looked up by code (``imd_decile`` …).

    Indicators already in ``frame`` are replaced; rows whose code is not in ``table``
    get missing values, and a warning names them (see
    :func:`cwb.dataset.indicators.join_by_code` for a join that returns its report).
    """
    if left_on not in frame:
        raise UsageError(f"the table has no {left_on!r} column to look indicators up by")
    columns = columns or [
        c for c in table.columns if c != right_on and pd.api.types.is_numeric_dtype(table[c])
    ]
    lookup = pd.DataFrame(table).drop_duplicates(right_on).set_index(right_on)[columns]
    out = frame.drop(columns=[c for c in columns if c in frame.columns]).copy()
    keys = out[left_on].astype(object)
    for c in columns:
        out[c] = keys.map(lookup[c]).to_numpy()
    given = keys.notna() & (keys.astype(str).str.strip() != "")
    unmatched = given & ~keys.isin(lookup.index)
    if unmatched.any():
        shown = ", ".join(sorted(map(str, keys[unmatched].unique()))[:6])
        log.warning(
            "indicators: %d of %d rows matched a %s; no row for %s%s",
            int((given & ~unmatched).sum()),
            int(given.sum()),
            right_on,
            shown,
            " …" if keys[unmatched].nunique() > 6 else "",
        )
    return out


def lsoas_to_areas(
    lsoa_polygons: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, lsoa_code: str = "code"
) -> pd.DataFrame:
    """Which area each LSOA falls in (by its representative point): ``lsoa_code``, ``area_code``."""
    pts = gpd.GeoDataFrame(
        {"lsoa_code": lsoa_polygons[lsoa_code].astype(str).to_numpy()},
        geometry=lsoa_polygons.geometry.to_crs(WGS84).representative_point().to_numpy(),
        crs=WGS84,
    )
    hits = gpd.sjoin(
        pts, areas[["code", "geometry"]].to_crs(WGS84), how="inner", predicate="within"
    )
    hits = hits.drop_duplicates("lsoa_code")
    return pd.DataFrame(
        {"lsoa_code": hits["lsoa_code"].to_numpy(), "area_code": hits["code"].to_numpy()}
    )


def decile_of_rank(rank: float, total: int = ENGLAND_LSOAS_2019) -> float:
    """The national decile (1 = most deprived) of an IMD rank among ``total`` LSOAs."""
    if rank is None or np.isnan(rank):
        return float("nan")
    return float(min(10, max(1, math.ceil(rank * 10 / total))))


def aggregate_imd(
    areas: gpd.GeoDataFrame,
    imd: pd.DataFrame,
    *,
    membership: pd.DataFrame,
    population: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Give each area an IMD 2019 rank and decile aggregated from its LSOAs.

    Parameters
    ----------
    areas
        Area polygons (``code``).
    imd
        :func:`read_imd` output (``lsoa_code``, ``imd_rank``, ``imd_decile``).
    membership
        ``lsoa_code`` → ``area_code`` (from :func:`lsoas_to_areas` or an ONS lookup).
    population
        :func:`read_population` output; without it every LSOA weighs the same.

    Returns
    -------
    GeoDataFrame
        ``areas`` with ``imd_rank`` (population-weighted mean LSOA rank), ``imd_decile``
        (that rank's national decile), ``imd_pct_most_deprived`` (% of residents in
        decile-1 LSOAs), ``population`` (sum, when given) and ``lsoa_count``.
    """
    joined = membership.merge(imd, on="lsoa_code", how="inner")
    if population is not None:
        joined = joined.merge(population, on="lsoa_code", how="left")
        weight = joined["population"].fillna(0.0)
    else:
        weight = pd.Series(1.0, index=joined.index)
    joined["_w"] = weight.astype(float)
    joined["_wr"] = joined["_w"] * joined["imd_rank"]
    joined["_w1"] = joined["_w"] * (joined["imd_decile"] == 1)
    grouped = joined.groupby("area_code").agg(
        _w=("_w", "sum"), _wr=("_wr", "sum"), _w1=("_w1", "sum"), lsoa_count=("lsoa_code", "size")
    )
    rank = grouped["_wr"] / grouped["_w"].replace(0, np.nan)
    out = areas.drop(
        columns=[
            c
            for c in ("imd_rank", "imd_decile", "imd_pct_most_deprived", "lsoa_count")
            if c in areas.columns
        ]
    ).copy()
    codes = out["code"].astype(str)
    out["imd_rank"] = codes.map(rank.round(1)).astype(float).to_numpy()
    out["imd_decile"] = [decile_of_rank(r) for r in out["imd_rank"]]
    out["imd_pct_most_deprived"] = (
        codes.map((100 * grouped["_w1"] / grouped["_w"].replace(0, np.nan)).round(1))
        .astype(float)
        .to_numpy()
    )
    if population is not None:
        out["population"] = codes.map(grouped["_w"]).round().astype("Int64").to_numpy()
    out["lsoa_count"] = codes.map(grouped["lsoa_count"]).astype("Int64").to_numpy()
    missing = int(out["imd_rank"].isna().sum())
    if missing:
        log.warning("%d area(s) contain no LSOA with an IMD rank", missing)
    return out


def lsoa_areas(
    lsoa_polygons: gpd.GeoDataFrame, imd: pd.DataFrame, population: pd.DataFrame | None = None
) -> gpd.GeoDataFrame:
    """LSOA polygons (``read_areas`` output) with their own IMD 2019 rank, decile, population."""
    out = lsoa_polygons.drop(
        columns=[c for c in ("imd_rank", "imd_decile") if c in lsoa_polygons]
    ).copy()
    table = imd.set_index("lsoa_code")
    out["imd_rank"] = out["code"].map(table["imd_rank"]).astype(float).to_numpy()
    out["imd_decile"] = out["code"].map(table["imd_decile"]).astype(float).to_numpy()
    if population is not None:
        out["population"] = (
            out["code"]
            .map(population.set_index("lsoa_code")["population"])
            .astype("Int64")
            .to_numpy()
        )
    return out


def build_areas(
    boundaries: str | Path,
    *,
    imd: str | Path,
    population: str | Path | None = None,
    lsoa_boundaries: str | Path | None = None,
    lookup: pd.DataFrame | None = None,
    local_authorities: list[str] | None = None,
    **read_options: Any,
) -> gpd.GeoDataFrame:
    """Areas with IMD 2019 indicators from ONS-style files, ready to write as ``areas.geojson``.

    When ``boundaries`` are LSOAs themselves (their codes are in the IMD file) each
    LSOA gets its own rank and decile. Otherwise (wards …) LSOAs are assigned to
    areas through ``lookup`` (``lsoa_code``, ``area_code``) or, by their
    representative points, through ``lsoa_boundaries``, and aggregated with
    :func:`aggregate_imd`.
    """
    areas = read_areas(boundaries, local_authorities=local_authorities, **read_options)
    imd_table = read_imd(imd)
    pop = read_population(population) if population else None
    if areas["code"].isin(imd_table["lsoa_code"]).mean() > 0.5:
        return lsoa_areas(areas, imd_table, pop)
    if lookup is None:
        if lsoa_boundaries is None:
            raise UsageError(
                "aggregating IMD to these areas needs lsoa_boundaries= (LSOA 2011 polygons) "
                "or lookup= (lsoa_code → area_code)"
            )
        lookup = lsoas_to_areas(read_areas(lsoa_boundaries), areas)
    return aggregate_imd(areas, imd_table, membership=lookup, population=pop)
