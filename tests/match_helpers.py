"""Hand-made datasets for the matching tests: positions in metres on the British National Grid.

The project sits at ``ORIGIN`` (BNG); assets and opportunities are placed by an
offset in metres from it, so that distances are known exactly. Areas are
squares around the origin with a chosen IMD decile.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from cwb.dataset import Dataset
from cwb.manifest import manifest_from_dict
from cwb.schema import AREAS, ASSETS, OPPORTUNITIES

ORIGIN = (400_000.0, 290_000.0)  # BNG metres, in the West Midlands
BNG = "EPSG:27700"


def _to_wgs84(points: list[Point | None]) -> gpd.GeoSeries:
    return gpd.GeoSeries(points, crs=BNG).to_crs("EPSG:4326")


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    points = []
    records = []
    for row in rows:
        row = dict(row)
        at = row.pop("at", (0.0, 0.0))
        points.append(None if at is None else Point(ORIGIN[0] + at[0], ORIGIN[1] + at[1]))
        records.append(row)
    frame = pd.DataFrame(records).reindex(columns=[c for c in columns if c not in ("lat", "lon")])
    for col in ("count", "quantity"):
        if col in frame:
            frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
    for col in ("capacity", "value"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col]).astype(float)
    frame["precision"] = ["none" if p is None else "exact" for p in points]
    return gpd.GeoDataFrame(frame, geometry=_to_wgs84(points).to_numpy(), crs="EPSG:4326")


def make_areas(
    areas: list[tuple[str, tuple[float, float, float, float], float | None]],
) -> gpd.GeoDataFrame:
    """Areas from (code, (minx, miny, maxx, maxy) offsets in metres, imd_decile)."""
    rows, geoms = [], []
    for code, (x0, y0, x1, y1), decile in areas:
        rows.append({"code": code, "name": f"Area {code}", "imd_decile": decile})
        geoms.append(box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x1, ORIGIN[1] + y1))
    frame = pd.DataFrame(rows).reindex(columns=[c.name for c in AREAS.columns])
    return gpd.GeoDataFrame(
        frame,
        geometry=gpd.GeoSeries(geoms, crs=BNG).to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )


def make_dataset(
    assets: list[dict[str, Any]],
    opportunities: list[dict[str, Any]],
    areas: gpd.GeoDataFrame | None = None,
    *,
    matching: dict[str, Any] | None = None,
    min_count: int = 1,
) -> Dataset:
    """A dataset with one project ``p`` at the origin."""
    lon, lat = _to_wgs84([Point(*ORIGIN)]).iloc[0].coords[0]
    raw = {
        "dataset": {"name": "test", "metric_crs": BNG},
        "projects": [{"id": "p", "name": "The Hospital", "lat": lat, "lon": lon}],
        "privacy": {"min_count": min_count},
    }
    if matching:
        raw["matching"] = matching
    manifest = manifest_from_dict(raw)
    if areas is None:
        areas = make_areas([("W1", (-50_000, -50_000, 50_000, 50_000), 5.0)])
    opps = [{"project": "p", **o} for o in opportunities]
    return Dataset(
        manifest=manifest,
        assets=_frame(assets, [c.name for c in ASSETS.columns]),
        opportunities=_frame(opps, [c.name for c in OPPORTUNITIES.columns]),
        areas=areas,
    )


def expected_score(
    components: dict[str, float | None], weights: dict[str, float] | None = None
) -> float:
    """The documented weighted mean over the components that apply (None: does not apply)."""
    from cwb.matching import DEFAULT_WEIGHTS

    weights = weights or DEFAULT_WEIGHTS
    num = sum(weights[k] * v for k, v in components.items() if v is not None)
    den = sum(weights[k] for k, v in components.items() if v is not None)
    return round(num / den, 6)


def decay(metres: float, decay_m: float = 3000.0) -> float:
    """The documented distance score."""
    return math.exp(-metres / decay_m)
