"""The in-memory dataset: one object holding every table and the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from cwb.dataset.manifest import Manifest
from cwb.errors import Problem

WGS84 = "EPSG:4326"
BRITISH_NATIONAL_GRID = "EPSG:27700"
#: lon/lat box of Great Britain and Northern Ireland, where EPSG:27700 is the metric CRS.
_GB_BOUNDS = (-9.0, 49.0, 2.5, 61.5)


@dataclass
class Dataset:
    """A cwb dataset: tables as (Geo)DataFrames named like the files, plus the manifest.

    Located tables (``assets``, ``opportunities``, ``areas``, ``spend``) are
    GeoDataFrames in EPSG:4326 holding every column of their spec in
    :mod:`cwb.dataset.schema` (absent ones filled with missing values) followed by any
    extra columns of the source. Rows that could not be located keep an empty
    geometry (``None``) and ``precision == "none"``; nothing is dropped.
    List columns (``skills``) stay ``;``-separated strings: use
    :func:`cwb.dataset.schema.split_list`.
    """

    manifest: Manifest
    assets: gpd.GeoDataFrame
    opportunities: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    spend: gpd.GeoDataFrame | None = None
    links: pd.DataFrame | None = None
    postcodes: pd.DataFrame | None = None
    path: Path | None = None
    problems: list[Problem] = field(default_factory=list)
    #: table name → (the table it was made from, its metric-CRS copy); see :meth:`in_metric`
    _metric: dict[str, tuple[object, gpd.GeoDataFrame]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def name(self) -> str:
        """The dataset's name from the manifest."""
        return self.manifest.name

    @property
    def projects(self) -> gpd.GeoDataFrame:
        """The capital projects as a point GeoDataFrame (EPSG:4326), indexed by nothing."""
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "postcode": p.postcode,
                "opened": p.opened,
                "investment": p.investment,
                "description": p.description,
            }
            for p in self.manifest.projects
        ]
        xs = [p.lon for p in self.manifest.projects]
        ys = [p.lat for p in self.manifest.projects]
        return gpd.GeoDataFrame(
            pd.DataFrame(
                rows,
                columns=["id", "name", "kind", "postcode", "opened", "investment", "description"],
            ),
            geometry=gpd.points_from_xy(xs, ys),
            crs=WGS84,
        )

    @property
    def metric_crs(self) -> CRS:
        """The CRS to measure distances in: the manifest's, EPSG:27700 in GB, else a UTM zone."""
        return metric_crs_for(self.projects, self.manifest.metric_crs)

    def in_metric(self, table: str) -> gpd.GeoDataFrame:
        """A located table reprojected to :attr:`metric_crs`, made once and kept.

        Parameters
        ----------
        table
            ``assets``, ``opportunities``, ``areas``, ``spend`` or ``projects``.

        Returns
        -------
        geopandas.GeoDataFrame
            The same rows and index in the metric CRS. The copy is made again only
            when the table (or, for projects, the manifest) has been replaced.
        """
        source = self.manifest if table == "projects" else getattr(self, table)
        kept = self._metric.get(table)
        if kept is not None and kept[0] is source:
            return kept[1]
        frame: gpd.GeoDataFrame = self.projects if table == "projects" else source
        metric = frame.to_crs(self.metric_crs)
        self._metric[table] = (source, metric)
        return metric

    @property
    def warnings(self) -> list[Problem]:
        """Warnings recorded while reading (errors would have raised)."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def min_count(self) -> int:
        """Privacy threshold k: human groups smaller than this are suppressed."""
        return self.manifest.min_count

    def with_catchment(self, bands_m: Sequence[float]) -> Dataset:
        """A copy whose catchment distance bands (metres) replace the manifest's."""
        from cwb.errors import UsageError

        bands = tuple(sorted(float(b) for b in bands_m))
        if not bands or bands[0] <= 0:
            raise UsageError(
                f"catchment bands must be positive distances in metres; got {list(bands_m)}"
            )
        return replace(self, manifest=replace(self.manifest, bands_m=bands))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables that are present, by name."""
        out: dict[str, pd.DataFrame] = {
            "assets": self.assets,
            "opportunities": self.opportunities,
            "areas": self.areas,
        }
        if self.spend is not None:
            out["spend"] = self.spend
        if self.links is not None:
            out["links"] = self.links
        return out


def metric_crs_for(gdf: gpd.GeoDataFrame, override: str | None = None) -> CRS:
    """A metric CRS for the data in ``gdf`` (EPSG:4326): EPSG:27700 inside GB, else UTM."""
    if override:
        return CRS.from_user_input(override)
    located = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]
    if located.empty:
        return CRS.from_user_input(BRITISH_NATIONAL_GRID)
    minx, miny, maxx, maxy = located.total_bounds
    gx0, gy0, gx1, gy1 = _GB_BOUNDS
    if minx >= gx0 and maxx <= gx1 and miny >= gy0 and maxy <= gy1:
        return CRS.from_user_input(BRITISH_NATIONAL_GRID)
    return located.estimate_utm_crs()
