"""The areas of a catchment, at several levels (wards, LSOAs), with IMD and other indicators.

:func:`build_catchment_areas` reads ONS boundary files, keeps the areas whose
polygons come within a distance of the projects, and gives each level IMD 2019:

- 2011 LSOAs take their own rank and decile;
- 2021 LSOAs take them through the ONS LSOA 2011→2021 lookup
  (:func:`cwb.dataset.indicators.imd_for_lsoa21`);
- other areas (wards …) aggregate the 2011 LSOAs whose representative point
  falls inside them (:func:`cwb.dataset.geography.aggregate_imd`).

Further indicator tables are joined by code. Every join, IMD included, is
reported (:class:`cwb.dataset.indicators.JoinReport`). The result has a
``level`` column (``ward22``, ``lsoa11`` …) and is what ``cwb areas`` writes
as a dataset's ``areas.geojson``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from cwb.dataset.geography import (
    aggregate_imd,
    lsoa_areas,
    lsoas_to_areas,
    read_areas,
    read_imd,
    read_population,
)
from cwb.dataset.indicators import (
    JoinReport,
    imd_for_lsoa21,
    join_by_code,
    read_indicator_table,
)
from cwb.dataset.model import WGS84
from cwb.errors import UsageError

log = logging.getLogger(__name__)

#: Metric CRS used to measure the catchment (British National Grid).
BNG = "EPSG:27700"
_LEVEL = re.compile(r"^(lsoa|msoa|ward|wd|lad|ltla|oa)(\d{2})?_?(cd|code)$", re.I)
_COLUMNS = ["code", "name", "local_authority", "level"]


@dataclass
class CatchmentAreas:
    """Areas of a catchment and how their indicators were joined."""

    areas: gpd.GeoDataFrame
    reports: list[JoinReport] = field(default_factory=list)

    def levels(self) -> pd.DataFrame:
        """Per level: areas, and how many have an IMD decile."""
        grouped = self.areas.groupby("level", sort=False)
        table = grouped.size().rename("areas").to_frame()
        if "imd_decile" in self.areas:
            table["with_imd"] = grouped["imd_decile"].count()
        return table.reset_index()


def level_name(path: Path) -> str:
    """``ward22``, ``lsoa11`` …: the level of a boundary file, from its code column's name."""
    fields = [str(f) for f in pyogrio.read_info(path)["fields"]]
    for f in fields:
        hit = _LEVEL.match(f)
        if hit:
            kind = {"wd": "ward", "ltla": "lad"}.get(hit.group(1).lower(), hit.group(1).lower())
            return kind + (hit.group(2) or "")
    return path.stem


def build_catchment_areas(
    boundaries: list[str | Path],
    *,
    centres: list[tuple[float, float]],
    within_m: float,
    imd: str | Path | None = None,
    population: str | Path | None = None,
    lsoa_lookup: str | Path | None = None,
    indicators: Sequence[tuple[str | Path, str | None]] = (),
    local_authorities: list[str] | None = None,
) -> CatchmentAreas:
    """Areas of each boundary file that come within ``within_m`` of a centre, with indicators.

    Parameters
    ----------
    boundaries
        ONS-style boundary files (wards, 2011 or 2021 LSOAs …), one level each.
    centres
        ``(lat, lon)`` of the projects.
    within_m
        Keep areas whose polygon comes within this many metres of a centre.
    imd, population
        IoD2019 File 1 (or 2) and File 6.
    lsoa_lookup
        ONS LSOA 2011→2021 lookup CSV, for 2021 LSOAs.
    indicators
        ``(csv path, code column or None)``: numeric columns joined by code.
    local_authorities
        Keep only areas of these local authorities (names or codes).
    """
    if not boundaries:
        raise UsageError("give at least one boundary file (wards, LSOAs …)")
    disc = _catchment(centres, within_m)
    imd_table = read_imd(imd) if imd else None
    pop = read_population(population) if population else None
    lookup = pd.read_csv(lsoa_lookup, dtype=str) if lsoa_lookup else None
    levels: dict[str, gpd.GeoDataFrame] = {}
    everything: dict[str, gpd.GeoDataFrame] = {}
    for path in map(Path, boundaries):
        name = level_name(path)
        areas = read_areas(path, local_authorities=local_authorities)
        everything[name] = areas
        near = areas.to_crs(BNG).intersects(disc).to_numpy()
        levels[name] = areas[near].reset_index(drop=True)
        log.info("%s: %d of %d areas within %g m", path.name, near.sum(), len(areas), within_m)
    _refuse_shared_codes(levels)
    reports: list[JoinReport] = []
    out: list[gpd.GeoDataFrame] = []
    lsoa11 = next((everything[n] for n in everything if n.startswith("lsoa11")), None)
    for name, areas in levels.items():
        kept = areas[["code", "name", "local_authority", "geometry"]].copy()
        kept["level"] = name
        if imd_table is not None:
            kept, report = _with_imd(kept, name, imd_table, pop, lookup, lsoa11)
            reports.append(report)
        out.append(kept)
    result = gpd.GeoDataFrame(pd.concat(out, ignore_index=True), geometry="geometry", crs=WGS84)
    for source, code in indicators:
        table, column = read_indicator_table(source, code)
        parts, level_reports = [], []
        for name in levels:
            rows = result[result["level"] == name]
            joined, report = join_by_code(
                rows, table, code=column, source=Path(source).name, level=name
            )
            parts.append(joined)
            level_reports.append(report)
        result = gpd.GeoDataFrame(pd.concat(parts), geometry="geometry", crs=WGS84).sort_index()
        hits = [r for r in level_reports if r.matched]
        reports += hits or level_reports
    ordered = _COLUMNS + [c for c in result.columns if c not in (*_COLUMNS, "geometry")]
    return CatchmentAreas(result[[*ordered, "geometry"]], reports)


def _refuse_shared_codes(levels: dict[str, gpd.GeoDataFrame]) -> None:
    """An area code names one area of a dataset: two levels must not share codes."""
    seen: dict[str, list[str]] = {}
    for name, areas in levels.items():
        for other, codes in seen.items():
            shared = set(areas["code"].astype(str)) & set(codes)
            if shared:
                raise UsageError(
                    f"{other} and {name} share {len(shared)} area codes (e.g. {min(shared)}): "
                    "an area code must name one area, so give one LSOA vintage per dataset "
                    "(2021 LSOAs get IMD 2019 through --lsoa-lookup)"
                )
        seen[name] = list(areas["code"].astype(str))


def _catchment(centres: list[tuple[float, float]], within_m: float) -> BaseGeometry:
    if not centres:
        raise UsageError("the dataset has no project to measure the catchment from")
    points = gpd.GeoSeries([Point(lon, lat) for lat, lon in centres], crs=WGS84).to_crs(BNG)
    return points.buffer(within_m).union_all()


def _with_imd(
    areas: gpd.GeoDataFrame,
    level: str,
    imd: pd.DataFrame,
    population: pd.DataFrame | None,
    lookup: pd.DataFrame | None,
    lsoa11: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """IMD for one level, by the route its codes allow, and the report of that join."""
    codes = areas["code"].astype(str)
    if level.startswith("lsoa21"):
        if lookup is None:
            raise UsageError(
                f"{level}: 2021 LSOAs get IMD 2019 through the LSOA 2011→2021 lookup: "
                "give --lsoa-lookup"
            )
        table = imd_for_lsoa21(lookup, imd, population).rename(columns={"lsoa_code": "code"})
        out, report = join_by_code(
            areas,
            table,
            code="code",
            columns=["imd_rank", "imd_decile"],
            source="IMD 2019 via LSOA 2011→2021 lookup",
            level=level,
        )
        return out, report
    if codes.isin(imd["lsoa_code"]).mean() > 0.5:
        out = lsoa_areas(areas, imd, population)
        source = "IMD 2019 by LSOA code"
    else:
        if lsoa11 is None:
            raise UsageError(
                f"{level}: aggregating IMD 2019 to these areas needs the 2011 LSOA boundaries "
                "among --boundaries"
            )
        membership = lsoas_to_areas(lsoa11, areas)
        out = aggregate_imd(areas, imd, membership=membership, population=population)
        source = "IMD 2019 aggregated from 2011 LSOAs"
    found = out["imd_decile"].notna()
    report = JoinReport(
        source=source,
        level=level,
        areas=len(out),
        matched=int(found.sum()),
        unmatched_areas=sorted(out.loc[~found, "code"].astype(str)),
        columns=["imd_rank", "imd_decile"],
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84), report
